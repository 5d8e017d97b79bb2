/**
 * How every command ends: a result on stdout (human or one JSON document), errors as one line
 * on stderr — or, with `--json`, as `{"error": {"code", "message"}}` on stdout — and the exit
 * code of §7. Error messages come from `describe()`, never from raw exception text.
 */
import { OpenSoulError, describe } from '../ipc/errors.js';

export interface OutputOptions {
  json: boolean;
}

export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

export function reportError(err: unknown, out: OutputOptions): number {
  const e = err instanceof OpenSoulError ? err : new OpenSoulError('INTERNAL', {}, `unexpected error: ${err instanceof Error ? err.name : 'unknown'} (OPENSOUL_DEBUG=1 shows where)`);
  // An unexpected error's text is not shown by default: it was not written for people and could
  // quote input. OPENSOUL_DEBUG=1 opts in, on stderr.
  if (!(err instanceof OpenSoulError) && process.env.OPENSOUL_DEBUG === '1') process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  if (out.json) printJson({ error: { code: e.kind, message: e.message } });
  else process.stderr.write(`opensoul: ${e.message}\n`);
  return e.exitCode;
}

/**
 * Usage messages quote the command line back, and a person may have pasted a key into it (a
 * `--key=…` flag that does not exist, a token where a word belongs). Argv is already exposed,
 * but stderr and `--json` documents are captured by scripts: option values after `=` and
 * anything shaped like a key are elided before they are printed.
 */
export function scrubArgvEcho(text: string): string {
  return text
    .replace(/(--[A-Za-z][\w-]*)=[^\s'"]+/g, '$1=…')
    .replace(/(?:sk-[A-Za-z0-9_-]{8,}|gsk_[A-Za-z0-9]{8,}|xai-[A-Za-z0-9]{8,}|AIza[0-9A-Za-z_-]{20,}|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_\w{16,}|[A-Za-z0-9_-]{32,})/g, '…');
}

export function usageError(reason: string): OpenSoulError {
  const scrubbed = scrubArgvEcho(reason);
  return new OpenSoulError('USAGE', { reason: scrubbed }, describe('USAGE', { reason: scrubbed }));
}
