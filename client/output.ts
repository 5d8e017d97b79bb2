/**
 * How every command ends: a result on stdout (human or one JSON document), errors as one line
 * on stderr — or, with `--json`, as `{"error": {"code", "message"}}` on stdout — and the exit
 * code of §7. Error messages come from `describe()`, never from raw exception text.
 */
import { OpenSoulError, describe } from '../ipc/errors.js';
import { printJson, scrubArgvEcho } from './argv-echo.js';

export { printJson, scrubArgvEcho };

export interface OutputOptions {
  json: boolean;
}

export function reportError(err: unknown, out: OutputOptions): number {
  const e =
    err instanceof OpenSoulError
      ? err
      : new OpenSoulError('INTERNAL', {}, `unexpected error: ${err instanceof Error ? err.name : 'unknown'} (OPENSOUL_DEBUG=1 shows where)`);
  // An unexpected error's text is not shown by default: it was not written for people and could
  // quote input. OPENSOUL_DEBUG=1 opts in, on stderr.
  if (!(err instanceof OpenSoulError) && process.env.OPENSOUL_DEBUG === '1')
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (out.json) printJson({ error: { code: e.kind, message: e.message } });
  else process.stderr.write(`opensoul: ${e.message}\n`);
  return e.exitCode;
}

export function usageError(reason: string): OpenSoulError {
  const scrubbed = scrubArgvEcho(reason);
  return new OpenSoulError('USAGE', { reason: scrubbed }, describe('USAGE', { reason: scrubbed }));
}
