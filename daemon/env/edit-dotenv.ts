/**
 * In-place edits of `.env` (`env.set`, `env.unset`, `paste-api-key --target env`): the line that
 * assigns the key is replaced (later duplicates, which dotenv would let win, are removed), or a
 * line is appended; every comment and other line is kept as it was. A value is written in a
 * form dotenv reads back exactly — checked by parsing the result — or refused.
 */
import dotenv from 'dotenv';
import { OpenSoulError } from '../../ipc/errors.js';

const assignmentOf = (name: string) => new RegExp(`^\\s*(?:export\\s+)?${name}\\s*=`);

/** The line numbers (0-based) that belong to an assignment of `name`, including continuation lines of a multi-line quoted value. */
function assignmentLines(lines: string[], name: string): number[][] {
  const re = assignmentOf(name);
  const out: number[][] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (!re.test(line)) continue;
    const group = [i];
    const value = line.slice(line.indexOf('=') + 1).trimStart();
    const q = value[0];
    if ((q === '"' || q === "'" || q === '`') && value.indexOf(q, 1) === -1) {
      // A quoted value that continues on the next lines, up to its closing quote.
      while (i + 1 < lines.length) {
        i++;
        group.push(i);
        if ((lines[i] as string).includes(q)) break;
      }
    }
    out.push(group);
  }
  return out;
}

/** `NAME=value` in a form dotenv parses back to exactly `value`; throws INVALID_INPUT when there is none. */
export function formatAssignment(name: string, value: string): string {
  if (/[\r\n\0]/.test(value)) throw new OpenSoulError('INVALID_INPUT', { reason: `the value of ${name} contains a line break or NUL` });
  const candidates = [/^[A-Za-z0-9_\-.:/+=@%~^,]*$/.test(value) ? value : null, `"${value}"`, `'${value}'`, `\`${value}\``];
  for (const c of candidates) {
    if (c === null) continue;
    const line = `${name}=${c}`;
    if (dotenv.parse(line)[name] === value) return line;
  }
  throw new OpenSoulError('INVALID_INPUT', { reason: `the value of ${name} cannot be written to .env so that it reads back unchanged` });
}

/** Sets `name`, keeping every other line. Returns the new text and whether it changed. */
export function setDotenvKey(text: string | null, name: string, value: string): { next: string; changed: boolean } {
  const line = formatAssignment(name, value);
  const source = text ?? '';
  const eol = source.includes('\r\n') ? '\r\n' : '\n';
  const lines = source === '' ? [] : source.split(/\r?\n/);
  const trailing = lines.length > 0 && lines[lines.length - 1] === '';
  if (trailing) lines.pop();
  const groups = assignmentLines(lines, name);
  if (groups.length === 0) {
    lines.push(line);
  } else {
    const first = groups[0] as number[];
    const drop = new Set(groups.slice(1).flat().concat(first.slice(1)));
    lines[first[0] as number] = line;
    for (const i of [...drop].sort((a, b) => b - a)) lines.splice(i, 1);
  }
  const next = `${lines.join(eol)}${eol}`;
  return { next, changed: next !== source };
}

/** Removes every assignment of `name`, keeping every other line. */
export function unsetDotenvKey(text: string | null, name: string): { next: string | null; changed: boolean } {
  if (text === null) return { next: null, changed: false };
  const eol = text.includes('\r\n') ? '\r\n' : '\n';
  const lines = text.split(/\r?\n/);
  const drop = new Set(assignmentLines(lines, name).flat());
  if (drop.size === 0) return { next: null, changed: false };
  const next = lines.filter((_, i) => !drop.has(i)).join(eol);
  return { next, changed: true };
}
