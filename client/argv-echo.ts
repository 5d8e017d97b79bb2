/**
 * Printing what the command line said back, safely: one JSON document, and usage messages with
 * anything shaped like a secret elided. No dependencies: the launcher prints usage errors with it.
 */

/** One JSON document on stdout. */
export function printJson(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}

/** Words shaped like a key: a known provider's key prefix, or any run of 32+ key characters. */
const KEY_SHAPED =
  /(?:sk-[A-Za-z0-9_-]{8,}|gsk_[A-Za-z0-9]{8,}|xai-[A-Za-z0-9]{8,}|AIza[0-9A-Za-z_-]{20,}|gh[pousr]_[A-Za-z0-9]{16,}|github_pat_\w{16,}|[A-Za-z0-9_-]{32,})/g;

/**
 * Usage messages quote the command line back, and a person may have pasted a key into it (a
 * `--key=…` flag that does not exist, a token where a word belongs). Argv is already exposed,
 * but stderr and `--json` documents are captured by scripts: option values after `=` and
 * anything shaped like a key are elided before they are printed.
 */
export function scrubArgvEcho(text: string): string {
  return text.replace(/(--[A-Za-z][\w-]*)=[^\s'"]+/g, '$1=…').replace(KEY_SHAPED, '…');
}
