/**
 * In-place edits of `.env` (`env.set`, `env.unset`, `paste-api-key --target env`) on the very
 * grammar dotenv reads (dotenv-grammar.ts): the first assignment of the key has its value
 * replaced (later duplicates, which dotenv would let win, are removed), or a line is appended;
 * every other byte is kept. The result is checked by parsing it: the key reads back as written
 * (or is gone) and every other key reads exactly as before. When no form of the edit passes —
 * a neighbouring quote would swallow or release lines — the edit is refused with the line
 * number (ENV_UNSAFE_EDIT) and the file is left byte-identical.
 */
import dotenv from 'dotenv';
import { OpenSoulError } from '../../ipc/errors.js';
import { tokenizeDotenv } from './dotenv-grammar.js';
import type { DotenvAssignment } from './dotenv-grammar.js';

/** The forms of `value` that dotenv reads back as exactly `value` on their own line; throws INVALID_INPUT when there is none. */
function valueForms(name: string, value: string): string[] {
  if (/[\r\n\0]/.test(value)) throw new OpenSoulError('INVALID_INPUT', { reason: `the value of ${name} contains a line break or NUL` });
  const candidates = [/^[A-Za-z0-9_\-.:/+=@%~^,]*$/.test(value) ? value : null, `"${value}"`, `'${value}'`, `\`${value}\``];
  const forms = candidates.filter((c): c is string => c !== null && dotenv.parse(`${name}=${c}`)[name] === value);
  if (forms.length === 0)
    throw new OpenSoulError('INVALID_INPUT', { reason: `the value of ${name} cannot be written to .env so that it reads back unchanged` });
  return forms;
}

/** `NAME=value` in a form dotenv parses back to exactly `value`; throws INVALID_INPUT when there is none. */
export function formatAssignment(name: string, value: string): string {
  return `${name}=${valueForms(name, value)[0] as string}`;
}

interface Edit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(source: string, edits: Edit[]): string {
  let out = source;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/**
 * Removes assignments' whole lines (from the line of each key to the end of its value's line),
 * adjacent ones as one block.
 */
function removals(source: string, list: readonly DotenvAssignment[]): Edit[] {
  const blocks: Edit[] = [];
  for (const a of [...list].sort((x, y) => x.lineStart - y.lineStart)) {
    const last = blocks[blocks.length - 1];
    if (last && last.end === a.lineStart) last.end = a.lineEnd;
    else blocks.push({ start: a.lineStart, end: a.lineEnd, text: '' });
  }
  // A lone CR before a block and an LF after it (an empty line) would join into one CRLF, eating
  // a line break. Leave a CR in the block's place: with that LF it becomes the empty line's own
  // break (CRLF), and the CR before stays its line's. (Removing the CR before instead failed when
  // another lone CR preceded it: `\r\r` + block + `\n` still joined.)
  return blocks.map((b) => (source[b.start - 1] === '\r' && source[b.end] === '\n' && b.end > b.start ? { ...b, text: '\r' } : b));
}

/** Whether `next` reads like `before` except for `name`, which reads `expected` (undefined: absent). */
function onlyKeyChanged(before: string, next: string, name: string, expected: string | undefined): boolean {
  const a = dotenv.parse(before);
  const b = dotenv.parse(next);
  if (b[name] !== expected || Object.hasOwn(b, name) !== (expected !== undefined)) return false;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  keys.delete(name);
  for (const k of keys) if (Object.hasOwn(a, k) !== Object.hasOwn(b, k) || a[k] !== b[k]) return false;
  return true;
}

function unsafe(line: number, reason: string): OpenSoulError {
  return new OpenSoulError('ENV_UNSAFE_EDIT', { line, reason });
}

/** Sets `name`, keeping every other byte. Returns the new text and whether it changed. */
export function setDotenvKey(text: string | null, name: string, value: string): { next: string; changed: boolean } {
  const forms = valueForms(name, value);
  const source = text ?? '';
  const assignments = tokenizeDotenv(source);
  const mine = assignments.filter((a) => a.key === name);
  if (mine.length === 1 && mine[0]?.value === value) return { next: source, changed: false };
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  for (const form of forms) {
    let next: string;
    const [first, ...later] = mine;
    if (first) {
      // Only the key's own bytes change: from just past the key to the end of its value (a
      // multi-line value included); `export ` and whatever follows the value stay.
      next = applyEdits(source, [{ start: first.keyEnd, end: first.valueEnd, text: `=${form}` }, ...removals(source, later)]);
    } else {
      const needsBreak = source !== '' && !/[\r\n]$/.test(source);
      next = `${source}${needsBreak ? eol : ''}${name}=${form}${eol}`;
    }
    if (onlyKeyChanged(source, next, name, value)) return { next, changed: next !== source };
  }
  const line = mine[0]?.line ?? source.split(/\r\n|\r|\n/).length;
  throw unsafe(
    line,
    mine.length > 0
      ? `${name} cannot be replaced there without changing how other lines read (a quote nearby spans lines)`
      : `${name} cannot be appended without changing how the lines above it read (a quote above is never closed)`,
  );
}

/** Removes every assignment of `name`, keeping every other byte. */
export function unsetDotenvKey(text: string | null, name: string): { next: string | null; changed: boolean } {
  if (text === null) return { next: null, changed: false };
  const mine = tokenizeDotenv(text).filter((a) => a.key === name);
  if (mine.length === 0) return { next: null, changed: false };
  const next = applyEdits(text, removals(text, mine));
  if (!onlyKeyChanged(text, next, name, undefined)) {
    throw unsafe((mine[0] as DotenvAssignment).line, `removing ${name} would change how other lines read (a quote nearby spans lines)`);
  }
  return { next, changed: true };
}
