/**
 * From argv to an exit code (SPEC §7): refuse secrets in argv, parse against the table, print
 * help, the version or a usage error (exit 64, with the command's usage), else load the one
 * module that runs the command and run it.
 */
import { PROTOCOL_VERSION, VERSION } from '../../ipc/version.js';
import type { CliContext, CommandRun } from '../cli-context.js';
import { printJson, scrubArgvEcho } from '../argv-echo.js';
import { colorEnabled, makeStyle } from '../render/style.js';
import { secretArgvRefusal } from './argv-secrets.js';
import { renderHelp, usageHint } from './help.js';
import { findSub, parseArgv } from './parse.js';
import type { CommandSpec, HandlerRef } from './spec.js';

/** Exit codes of this file (ipc/errors.ts's EXIT, not imported: the launcher stays small). */
const EXIT = { OK: 0, USAGE: 64 } as const;

/** Loads a command's module (each is its own file, so only the one that runs is read). */
export type LoadHandler = (ref: HandlerRef) => CommandRun;

/** The deepest command argv's words name, for the usage after an error found before parsing. */
function pathOf(argv: readonly string[], table: CommandSpec): CommandSpec[] {
  const path = [table];
  for (const word of argv) {
    if (word === '--') break;
    if (word.startsWith('-')) continue;
    const sub = findSub(path[path.length - 1] as CommandSpec, word);
    if (!sub) break;
    path.push(sub);
  }
  return path;
}

/** A usage error: the message on stderr (and, with --json, one document on stdout), then the usage. */
function usageError(message: string, path: readonly CommandSpec[], json: boolean): number {
  const text = scrubArgvEcho(message);
  process.stderr.write(`opensoul: ${text}\n${usageHint(path)}\n`);
  if (json) printJson({ error: { code: 'USAGE', message: text } });
  return EXIT.USAGE;
}

/** Runs the command line; resolves with the exit code. */
export async function dispatch(argv: readonly string[], table: CommandSpec, ctx: CliContext, load: LoadHandler): Promise<number> {
  const sep = argv.indexOf('--');
  const json = (sep >= 0 ? argv.slice(0, sep) : argv).includes('--json');
  // Before parsing: an error about the option would quote it, and the value could follow.
  const secret = secretArgvRefusal(argv);
  if (secret) return usageError(secret, pathOf(argv, table), json);
  const p = parseArgv(argv, table);
  switch (p.kind) {
    case 'version':
      // --json everywhere is one JSON document (§7), the version included.
      process.stdout.write(p.json ? `${JSON.stringify({ version: VERSION, protocolVersion: PROTOCOL_VERSION }, null, 2)}\n` : `${VERSION}\n`);
      return EXIT.OK;
    case 'help':
      process.stdout.write(renderHelp(p.path));
      return EXIT.OK;
    case 'usage':
      if (p.missingCommand) {
        // A group called without its command (`opensoul models auth`): its help, then why (§7).
        process.stderr.write(`${renderHelp(p.path, 80)}opensoul: ${p.message}\n`);
        if (p.json) printJson({ error: { code: 'USAGE', message: p.message } });
        return EXIT.USAGE;
      }
      return usageError(p.message, p.path, p.json);
    case 'run': {
      const cmd = p.path[p.path.length - 1] as CommandSpec;
      const run = load(cmd.run as HandlerRef);
      return run({
        env: { json: p.json, style: makeStyle(!p.json && colorEnabled()) },
        opts: p.opts,
        args: p.args,
        dashDash: p.dashDash,
        ctx,
        usage: usageHint(p.path),
      });
    }
  }
}
