/**
 * `opensoul exec [--provider p …] [--agent id] [--session id] -- cmd args…` (§7): the run (and
 * child_process) is client/exec/run-exec.ts; the flags and help are in the command table.
 */
import { command, flag, list, num, str } from '../cli-context.js';
import { runExec } from '../exec/run-exec.js';
import type { ExecOptions } from '../exec/run-exec.js';
import { usageError } from '../output.js';

/** The form, as usage errors name it. */
export const EXEC_FORM = 'opensoul exec [--provider p …] -- <command> [args…]';

/** `exec`. */
export const exec = command(({ env, opts, args, dashDash }) => {
  const o: ExecOptions = {};
  const providers = list(opts, 'provider');
  if (providers.length > 0) o.provider = providers;
  const agent = str(opts, 'agent');
  if (agent !== undefined) o.agent = agent;
  const session = str(opts, 'session');
  if (session !== undefined) o.session = session;
  if (flag(opts, 'proxy')) o.proxy = true;
  const ttl = num(opts, 'proxyTtl');
  if (ttl !== undefined) o.proxyTtl = ttl;
  if (flag(opts, 'printNames')) o.printNames = true;
  // Through the proxy the tool's own requests pick the credential; a pin cannot ride along in a
  // key, and ignoring the flag would run the tool on another credential than the one asked for.
  if (o.proxy && o.session !== undefined)
    throw usageError("--session does not apply with --proxy: a tool reaches a session's pin by sending the header x-opensoul-session: <id> itself");
  if (!o.printNames && (!dashDash || args.length === 0)) {
    throw usageError(args.length === 0 ? `a command to run is missing: ${EXEC_FORM}` : `put \`--\` before the command: ${EXEC_FORM}`);
  }
  return runExec(env, o, args);
});
