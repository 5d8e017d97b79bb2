/**
 * The launcher's fast path (SPEC §7 "the CLI must feel instant"): `--version` and the everyday
 * forms of `models status` run without loading commander, which alone costs ~15 ms of a
 * ~75 ms start here. Anything else — help, other commands, an unknown or malformed flag —
 * returns false and goes to the full CLI, which owns usage errors and help.
 */
import { reportError } from './output.js';
import { colorEnabled, makeStyle } from './render/style.js';
import { PROTOCOL_VERSION, VERSION } from '../ipc/version.js';
import type { ModelsStatusOptions } from './commands/models-status-run.js';

/** The flags of `models status` the fast path takes; `--agent` takes a value. */
function parseModelsStatus(rest: string[]): ModelsStatusOptions | null {
  const o: ModelsStatusOptions = {};
  for (let i = 0; i < rest.length; i++) {
    const a = rest[i] as string;
    if (a === '--plain') o.plain = true;
    else if (a === '--check') o.check = true;
    else if (a === '--agent' && i + 1 < rest.length && !(rest[i + 1] as string).startsWith('-')) o.agent = rest[++i];
    else if (a.startsWith('--agent=') && a.length > '--agent='.length) o.agent = a.slice('--agent='.length);
    else return null;
  }
  return o;
}

/** Handles `argv` if it is a fast-path form; returns false to fall back to the full CLI. */
export async function fastPath(argv: string[]): Promise<boolean> {
  const json = argv.includes('--json');
  const isVersion = (a: string | undefined) => a === '--version' || a === '-V';
  if ((argv.length === 1 && isVersion(argv[0])) || (argv.length === 2 && json && argv.some(isVersion))) {
    // --json everywhere is one JSON document (§7), the version included.
    process.stdout.write(json ? `${JSON.stringify({ version: VERSION, protocolVersion: PROTOCOL_VERSION }, null, 2)}\n` : `${VERSION}\n`);
    return true;
  }
  const words = argv.filter((a) => a !== '--json');
  if (words[0] !== 'models' || words[1] !== 'status') return false;
  const opts = parseModelsStatus(words.slice(2));
  if (!opts) return false;
  const env = { json, style: makeStyle(!json && colorEnabled()) };
  try {
    const { runModelsStatus } = await import('./commands/models-status-run.js');
    process.exitCode = await runModelsStatus(env, opts);
  } catch (err) {
    process.exitCode = reportError(err, { json });
  }
  return true;
}
