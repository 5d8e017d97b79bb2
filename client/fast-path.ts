/**
 * The launcher's fast path (SPEC §7 "the CLI must feel instant"): `--version` and every form of
 * `models status` run without loading commander, which alone costs ~15 ms of a ~75 ms start
 * here. Anything else — help, other commands, an unknown or malformed flag — returns false and
 * goes to the full CLI, which owns usage errors and help. The flags below must be exactly those
 * of client/commands/models.ts (test/client/fast-path.test.ts holds the two to each other).
 */
import { reportError } from './output.js';
import { colorEnabled, makeStyle } from './render/style.js';
import { PROTOCOL_VERSION, VERSION } from '../ipc/version.js';
import type { ModelsStatusOptions } from './commands/models-status-run.js';

/** How a flag takes its value: none, one word, a positive whole number, or a comma list (repeatable). */
export type FlagKind = 'bool' | 'value' | 'int' | 'list';

/** The flags of `models status`, by the option key commander gives them. */
export const MODELS_STATUS_FLAGS: Readonly<Record<string, { key: keyof ModelsStatusOptions | 'json'; kind: FlagKind }>> = {
  '--agent': { key: 'agent', kind: 'value' },
  '--json': { key: 'json', kind: 'bool' },
  '--plain': { key: 'plain', kind: 'bool' },
  '--check': { key: 'check', kind: 'bool' },
  '--probe': { key: 'probe', kind: 'bool' },
  '--probe-provider': { key: 'probeProvider', kind: 'value' },
  '--probe-profile': { key: 'probeProfile', kind: 'list' },
  '--probe-timeout': { key: 'probeTimeout', kind: 'int' },
  '--probe-concurrency': { key: 'probeConcurrency', kind: 'int' },
  '--probe-max-tokens': { key: 'probeMaxTokens', kind: 'int' },
};

/** The flags of the `models` group itself (OpenClaw's `models --status-json`, `models --agent work status`). */
export const MODELS_GROUP_FLAGS: Readonly<Record<string, { key: 'agent' | 'statusJson' | 'statusPlain'; kind: FlagKind }>> = {
  '--agent': { key: 'agent', kind: 'value' },
  '--status-json': { key: 'statusJson', kind: 'bool' },
  '--status-plain': { key: 'statusPlain', kind: 'bool' },
};

/** A positive whole number, or null (the full CLI then words the usage error). */
export function positiveInteger(value: string): number | null {
  const n = Number(value);
  return /^\d+$/.test(value.trim()) && Number.isInteger(n) && n > 0 ? n : null;
}

/** `a,b` and repeats into one list of ids; empty items dropped (OpenClaw's `--probe-profile`). */
export function splitList(value: string, previous: string[] = []): string[] {
  return [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];
}

type Parsed = Record<string, string | number | boolean | string[]>;

/** Parses flags against a table; null when anything is unknown or malformed. */
function parseFlags(args: string[], table: Readonly<Record<string, { key: string; kind: FlagKind }>>, out: Parsed, stopAt?: string): { rest: string[] } | null {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (stopAt !== undefined && a === stopAt) return { rest: args.slice(i) };
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    const name = eq > 0 ? a.slice(0, eq) : a;
    const spec = table[name];
    if (!spec) return null;
    if (spec.kind === 'bool') {
      if (eq > 0) return null;
      out[spec.key] = true;
      continue;
    }
    let value: string;
    if (eq > 0) value = a.slice(eq + 1);
    else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('-')) return null;
      value = next;
      i++;
    }
    if (value === '') return null;
    if (spec.kind === 'int') {
      const n = positiveInteger(value);
      if (n === null) return null;
      out[spec.key] = n;
    } else if (spec.kind === 'list') out[spec.key] = splitList(value, (out[spec.key] as string[] | undefined) ?? []);
    else out[spec.key] = value;
  }
  return { rest: [] };
}

/**
 * The `models status` forms, parsed without commander: `models [group flags] [status [flags]]`,
 * `--json` anywhere. Returns the options and whether the output is JSON, or null to fall back.
 */
export function parseModelsStatusArgv(argv: readonly string[]): { json: boolean; opts: ModelsStatusOptions } | null {
  const json = argv.includes('--json');
  const words = argv.filter((a) => a !== '--json');
  if (words[0] !== 'models') return null;
  const group: Parsed = {};
  const head = parseFlags(words.slice(1), MODELS_GROUP_FLAGS, group, 'status');
  if (!head) return null;
  const status: Parsed = {};
  if (head.rest[0] === 'status') {
    if (!parseFlags(head.rest.slice(1), MODELS_STATUS_FLAGS, status)) return null;
  } else if (head.rest.length > 0) return null;
  const opts = { ...status } as ModelsStatusOptions & { json?: boolean };
  delete opts.json;
  // The subcommand's own --agent wins over the group's, as in the full CLI.
  if (opts.agent === undefined && typeof group.agent === 'string') opts.agent = group.agent;
  // --status-json/--status-plain speak for the group's own action only, as in the full CLI.
  const bare = head.rest.length === 0;
  if (bare && group.statusPlain === true) opts.plain = true;
  return { json: json || (bare && group.statusJson === true), opts };
}

/** Handles `argv` if it is a fast-path form; returns false to fall back to the full CLI. */
export async function fastPath(argv: string[]): Promise<boolean> {
  const wantsJson = argv.includes('--json');
  const isVersion = (a: string | undefined) => a === '--version' || a === '-V';
  if ((argv.length === 1 && isVersion(argv[0])) || (argv.length === 2 && wantsJson && argv.some(isVersion))) {
    // --json everywhere is one JSON document (§7), the version included.
    process.stdout.write(wantsJson ? `${JSON.stringify({ version: VERSION, protocolVersion: PROTOCOL_VERSION }, null, 2)}\n` : `${VERSION}\n`);
    return true;
  }
  if (argv[0] !== 'models' && argv[1] !== 'models') return false;
  const parsed = parseModelsStatusArgv(argv);
  if (!parsed) return false;
  const { json, opts } = parsed;
  const env = { json, style: makeStyle(!json && colorEnabled()) };
  try {
    const { runModelsStatus } = await import('./commands/models-status-run.js');
    process.exitCode = await runModelsStatus(env, opts);
  } catch (err) {
    process.exitCode = reportError(err, { json });
  }
  return true;
}
