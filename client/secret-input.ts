/**
 * Secrets come from stdin or a masked prompt, never from argv (§7: argv is visible to every user
 * on the host). stdin when it is not a terminal; a masked prompt (@clack/prompts, loaded only
 * here) when it is. All whitespace and line breaks inside a pasted secret are removed: a token
 * wrapped by a terminal or copied with a trailing newline still arrives whole.
 */
import { OpenSoulError } from '../ipc/errors.js';

const MAX_STDIN_BYTES = 64 * 1024;

export function isInteractive(): boolean {
  return Boolean(process.stdin.isTTY) && Boolean(process.stdout.isTTY);
}

/** Removes every whitespace character (spaces, tabs, CR/LF) from a pasted secret. */
export function normalizePasted(text: string): string {
  return text.replace(/\s+/g, '');
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of process.stdin) {
    const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += b.length;
    if (size > MAX_STDIN_BYTES) throw new OpenSoulError('INVALID_INPUT', { reason: 'more than 64 KiB on stdin; expected one secret' });
    chunks.push(b);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A masked prompt; throws (exit 1) when the person cancels. `validate` returns a problem or undefined. */
export async function promptSecret(message: string, validate?: (value: string) => string | undefined): Promise<string> {
  const { password, isCancel } = await import('@clack/prompts');
  const value = await password({
    message,
    mask: '•',
    validate: (v) => {
      const s = normalizePasted(v ?? '');
      if (s === '') return 'Nothing pasted yet';
      return validate?.(s);
    },
  });
  if (isCancel(value)) throw new OpenSoulError('INVALID_INPUT', { reason: 'cancelled; nothing was stored' });
  return normalizePasted(value);
}

/** The secret from stdin (not a terminal) or a masked prompt (a terminal). */
export async function readSecret(what: string, validate?: (value: string) => string | undefined): Promise<string> {
  if (!process.stdin.isTTY) {
    const secret = normalizePasted(await readStdin());
    if (secret === '') throw new OpenSoulError('INVALID_INPUT', { reason: `no ${what} on stdin (pipe it in, or run in a terminal for a masked prompt)` });
    const problem = validate?.(secret);
    if (problem) throw new OpenSoulError('INVALID_INPUT', { reason: problem });
    return secret;
  }
  return promptSecret(`Paste the ${what}`, validate);
}
