/**
 * Secrets come from stdin or a masked prompt, never from argv (§7: argv is visible to every user
 * on the host). stdin when it is not a terminal; a masked prompt (@clack/prompts, loaded only
 * here) when it is. All whitespace and line breaks inside a pasted secret are removed: a token
 * wrapped by a terminal or copied with a trailing newline still arrives whole.
 */
import { readSync } from 'node:fs';
import { isatty } from 'node:tty';
import { OpenSoulError, describe } from '../ipc/errors.js';
import { secretShapeProblem } from '../ipc/providers.js';
import type { SecretShapeProblem } from '../ipc/providers.js';
import { secretArgvRefusal } from './cli/argv-secrets.js';

/** A check of a pasted secret: the error to refuse it with, or undefined. */
export type SecretCheck = (value: string) => OpenSoulError | undefined;

const MAX_STDIN_BYTES = 64 * 1024;

export function isInteractive(): boolean {
  return isatty(0) && isatty(1);
}

/** Removes every whitespace character (spaces, tabs, CR/LF) from a pasted secret. */
export function normalizePasted(text: string): string {
  return text.replace(/\s+/g, '');
}

const tooMuchInput = () => new OpenSoulError('INVALID_INPUT', { reason: 'more than 64 KiB on stdin; expected one secret' });

/**
 * All of stdin, up to 64 KiB. Read from the descriptor directly while it blocks (a pipe or a
 * file, the usual case): `process.stdin` is a whole stream, built and driven through the event
 * loop, for a few hundred bytes. A descriptor left non-blocking by whoever shares it answers
 * EAGAIN instead of waiting; the rest is then read through the stream.
 */
export function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for (;;) {
    const b = Buffer.allocUnsafe(16 * 1024);
    let n: number;
    try {
      n = readSync(0, b, 0, b.length, null);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN') return readStdinStream(chunks, size);
      if (code === 'EOF') break;
      return Promise.reject(new OpenSoulError('INVALID_INPUT', { reason: `stdin cannot be read (${code ?? 'unknown error'}); pipe the secret in` }));
    }
    if (n === 0) break;
    size += n;
    if (size > MAX_STDIN_BYTES) return Promise.reject(tooMuchInput());
    chunks.push(b.subarray(0, n));
  }
  return Promise.resolve(Buffer.concat(chunks).toString('utf8'));
}

/**
 * The rest of stdin through `process.stdin`'s events, after `chunks` (`size` bytes) read
 * already. Its events, not `for await`: the async iterator brings in some 30 more of Node's
 * stream functions, each compiled at every run. Past the limit the stream is destroyed, as
 * leaving a `for await` early would.
 */
function readStdinStream(chunks: Buffer[], size: number): Promise<string> {
  const stdin = process.stdin;
  return new Promise((resolve, reject) => {
    stdin.on('data', (chunk: Buffer | string) => {
      if (size > MAX_STDIN_BYTES) return;
      const b = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      size += b.length;
      if (size > MAX_STDIN_BYTES) {
        stdin.destroy();
        reject(tooMuchInput());
        return;
      }
      chunks.push(b);
    });
    stdin.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stdin.once('error', reject);
  });
}

/** A masked prompt; throws (exit 1) when the person cancels. `validate` refuses a value (the prompt shows why and asks again). */
export async function promptSecret(message: string, validate?: SecretCheck): Promise<string> {
  const { password, isCancel } = await import('@clack/prompts');
  const value = await password({
    message,
    mask: '•',
    validate: (v) => {
      const s = normalizePasted(v ?? '');
      if (s === '') return 'Nothing pasted yet';
      return validate?.(s)?.message;
    },
  });
  if (isCancel(value)) throw new OpenSoulError('INVALID_INPUT', { reason: 'cancelled; nothing was stored' });
  return normalizePasted(value);
}

/** The secret from stdin (not a terminal) or a masked prompt (a terminal). */
export async function readSecret(what: string, validate?: SecretCheck): Promise<string> {
  if (!isatty(0)) {
    const secret = normalizePasted(await readStdin());
    if (secret === '') throw new OpenSoulError('INVALID_INPUT', { reason: `no ${what} on stdin (pipe it in, or run in a terminal for a masked prompt)` });
    const problem = validate?.(secret);
    if (problem) throw problem;
    return secret;
  }
  return promptSecret(`Paste the ${what}`, validate);
}

/** Where a secret of the wrong kind belongs, worded for this CLI (the daemon's message names no command). */
function shapeRemedy(p: SecretShapeProblem): string {
  switch (p.problem) {
    case 'setup-token-as-api-key':
      return ' — store it with `opensoul models auth paste-token --provider anthropic` (or `setup-token`)';
    case 'api-key-as-token':
      return ' — store it with `opensoul models auth paste-api-key --provider anthropic`, or as ANTHROPIC_API_KEY in ~/.opensoul/.env';
    case 'prefix':
      return p.provider === 'anthropic' && p.kind === 'token' ? ' — run `claude setup-token` to make one' : '';
    default:
      return '';
  }
}

/** The SECRET_SHAPE error for a problem, with this CLI's remedy. */
export function shapeError(p: SecretShapeProblem): OpenSoulError {
  return new OpenSoulError('SECRET_SHAPE', p, `${describe('SECRET_SHAPE', p)}${shapeRemedy(p)}`);
}

/** The provider's shape check (ipc/providers.ts) for quick feedback; the daemon checks again before writing. */
export function shapeCheck(provider: string, kind: 'api_key' | 'token'): SecretCheck {
  return (value) => {
    const p = secretShapeProblem(provider, kind, value);
    return p ? shapeError(p) : undefined;
  };
}

/** The refusal of a secret-bearing option (`--token`, `--api-key`, …) as a usage error (exit 64), or null. */
export function secretArgvOption(argv: readonly string[]): OpenSoulError | null {
  const message = secretArgvRefusal(argv);
  if (message === null) return null;
  const name = message.slice(0, message.indexOf(' '));
  return new OpenSoulError('USAGE', { reason: `${name} is refused: a secret on the command line is visible to every user of this host` }, message);
}
