/**
 * The grammar of `.env` as dotenv 17 reads it, as one tokenizer that both the reader's
 * warnings and the in-place editor use, so an edit can never see a different file than the
 * daemon does. It runs dotenv's own line expression (copied from `dotenv/lib/main.js`; a
 * property test checks that the values it yields equal `dotenv.parse`'s for random files) and
 * keeps where each assignment sits: multi-line single, double and backtick quotes, `export `,
 * `KEY: value`, comments, CRLF and lone CR line ends.
 */

// dotenv 17.4's LINE, verbatim. Quirks it implies (and so we follow): `\s` also matches line
// breaks, so a separator or a quoted value may start on a following line; a quote that is
// never closed makes the value everything up to the end of its line; the last of several
// assignments of a key wins.
const LINE = /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"|\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/dgm;
const SEPARATOR = /\s*=\s*?|:\s+?/y;

/** One assignment as dotenv reads it; offsets are into the original text (CRLF kept). */
export interface DotenvAssignment {
  key: string;
  /** The value dotenv gives the key for this assignment. */
  value: string;
  /** 1-based line where the assignment (its `export` or key) starts. */
  line: number;
  /** Start of the line holding the key: only blanks before the key on it. */
  lineStart: number;
  /** Just past the line break that ends the value's last line (or the end of the text). */
  lineEnd: number;
  /** Just past the key. */
  keyEnd: number;
  /**
   * Just past the value; with no value, just past the separator's `=` or `:` (the blank that
   * `KEY:` needs after it may be the line break, which belongs to the line, not to the value).
   */
  valueEnd: number;
}

/** dotenv's value post-processing, verbatim in effect. */
function valueOf(raw: string | undefined): string {
  let value = (raw ?? '').trim();
  const maybeQuote = value[0];
  value = value.replace(/^(['"`])([\s\S]*)\1$/gm, '$2');
  if (maybeQuote === '"') value = value.replace(/\\n/g, '\n').replace(/\\r/g, '\r');
  return value;
}

/** Every assignment dotenv sees in `text`, in order. */
export function tokenizeDotenv(text: string): DotenvAssignment[] {
  // dotenv turns CRLF and lone CR into LF before matching; `at` maps back to the original.
  let norm = '';
  const at: number[] = [];
  for (let i = 0; i < text.length; i++) {
    at.push(i);
    if (text[i] === '\r') {
      norm += '\n';
      if (text[i + 1] === '\n') i++;
    } else {
      norm += text[i];
    }
  }
  at.push(text.length);
  const lineStarts = [0];
  for (let i = 0; i < norm.length; i++) if (norm[i] === '\n') lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] as number) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const out: DotenvAssignment[] = [];
  LINE.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = LINE.exec(norm)) !== null) {
    const indices = m.indices as RegExpIndicesArray;
    const [keyStart, keyEnd] = indices[1] as [number, number];
    SEPARATOR.lastIndex = keyEnd;
    const separator = SEPARATOR.exec(norm)?.[0] ?? '';
    let valueEnd = indices[2] ? indices[2][1] : keyEnd + separator.search(/[=:]/) + 1;
    // An unquoted value's trailing blanks belong to what follows it (dotenv trims them).
    if (indices[2]) while (valueEnd > indices[2][0] && /[ \t\f\v]/.test(norm[valueEnd - 1] as string)) valueEnd--;
    // The assignment starts at its first non-blank character (`export` or the key).
    let start = m.index;
    while (start < keyStart && /\s/.test(norm[start] as string)) start++;
    const line = lineOf(start);
    const lastLine = lineOf(Math.max(start, valueEnd - 1));
    const next = lineStarts[lastLine + 1];
    out.push({
      key: m[1] as string,
      value: valueOf(m[2]),
      line: line + 1,
      lineStart: at[lineStarts[line] as number] as number,
      lineEnd: at[next ?? norm.length] as number,
      keyEnd: at[keyEnd] as number,
      valueEnd: at[valueEnd] as number,
    });
  }
  return out;
}

/** The values dotenv reads (last assignment wins); a Map, since the keys are whatever the file holds. */
export function valuesOf(assignments: readonly DotenvAssignment[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const a of assignments) values.set(a.key, a.value);
  return values;
}

/**
 * 1-based numbers of the lines that are neither blank, a comment, nor part of an assignment:
 * dotenv skips them without a word, so the reader names them.
 */
export function strayLines(text: string, assignments: readonly DotenvAssignment[]): number[] {
  const covered: [number, number][] = assignments.map((a) => [a.lineStart, a.lineEnd]);
  const out: number[] = [];
  let offset = 0;
  let k = 0;
  const lines = text.split(/\r\n|\r|\n/);
  const breaks = text.match(/\r\n|\r|\n/g) ?? [];
  for (const [i, line] of lines.entries()) {
    while (k < covered.length && (covered[k] as [number, number])[1] <= offset) k++;
    const inside = k < covered.length && (covered[k] as [number, number])[0] <= offset;
    const trimmed = line.trim();
    if (!inside && trimmed !== '' && !trimmed.startsWith('#')) out.push(i + 1);
    offset += line.length + (breaks[i]?.length ?? 0);
  }
  return out;
}
