/**
 * Test helper: reads a directive's value back the way systemd does, independently of the
 * generator's escaping code, so a test can prove a path round-trips. Strict where systemd is
 * lenient: an escape or a specifier systemd would only warn about (or expand) throws here.
 *
 * Order follows systemd: split and unquote (systemd.syntax(7) "Quoting", C escapes) → resolve
 * specifiers (`%%` → `%`; any other `%x` would be expanded) → for ExecStart= arguments only, at
 * run time, environment expansion (`$$` → `$`; any other `$` may be expanded).
 */

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  a: '\u0007',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
  v: '\v',
  '\\': '\\',
  '"': '"',
  "'": "'",
  s: ' ',
};

function decodeEscape(text: string, at: number): { char: string; next: number } {
  const c = text[at + 1];
  if (c === undefined) throw new Error(`trailing backslash in ${JSON.stringify(text)}`);
  const simple = SIMPLE_ESCAPES[c];
  if (simple !== undefined) return { char: simple, next: at + 2 };
  const hex = (len: number, from: number): { char: string; next: number } => {
    const digits = text.slice(from, from + len);
    if (!new RegExp(`^[0-9a-fA-F]{${len}}$`).test(digits)) throw new Error(`bad escape in ${JSON.stringify(text)}`);
    return { char: String.fromCodePoint(parseInt(digits, 16)), next: from + len };
  };
  if (c === 'x') return hex(2, at + 2);
  if (c === 'u') return hex(4, at + 2);
  if (c === 'U') return hex(8, at + 2);
  if (/[0-7]/.test(c)) {
    const digits = text.slice(at + 1, at + 4);
    if (!/^[0-7]{3}$/.test(digits)) throw new Error(`bad octal escape in ${JSON.stringify(text)}`);
    return { char: String.fromCharCode(parseInt(digits, 8)), next: at + 4 };
  }
  throw new Error(`unknown escape \\${c} in ${JSON.stringify(text)} (systemd would warn and keep it)`);
}

// systemd's WHITESPACE is " \t\n\r" — not JavaScript's \s, which also matches NBSP and others.
const isBlank = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\r';

/** Splits a directive value into unquoted words (quotes removed, C escapes decoded). */
export function splitWords(value: string): string[] {
  const words: string[] = [];
  let i = 0;
  while (i < value.length) {
    while (i < value.length && isBlank(value[i]!)) i++;
    if (i >= value.length) break;
    let word = '';
    while (i < value.length && !isBlank(value[i]!)) {
      const c = value[i]!;
      if (c === '"' || c === "'") {
        const close = c;
        i++;
        for (;;) {
          if (i >= value.length) throw new Error(`unterminated quote in ${JSON.stringify(value)}`);
          const q = value[i]!;
          if (q === close) {
            i++;
            break;
          }
          if (q === '\\') {
            const { char, next } = decodeEscape(value, i);
            word += char;
            i = next;
          } else {
            word += q;
            i++;
          }
        }
        // systemd.syntax(7): a closing quote must be followed by whitespace or the end.
        if (i < value.length && !isBlank(value[i]!)) throw new Error(`text after a closing quote in ${JSON.stringify(value)}`);
      } else if (c === '\\') {
        const { char, next } = decodeEscape(value, i);
        word += char;
        i = next;
      } else {
        word += c;
        i++;
      }
    }
    words.push(word);
  }
  return words;
}

/** Resolves specifiers the way systemd would, refusing any that is not `%%`. */
export function resolveSpecifiers(word: string): string {
  return word.replace(/%(.?)/g, (_m, next: string) => {
    if (next === '%') return '%';
    throw new Error(`unescaped specifier %${next} in ${JSON.stringify(word)}`);
  });
}

/** Applies ExecStart= run-time variable expansion, refusing any `$` that is not `$$`. */
export function resolveDollars(word: string): string {
  return word.replace(/\$(.?)/g, (_m, next: string) => {
    if (next === '$') return '$';
    throw new Error(`unescaped $ in ${JSON.stringify(word)}: systemd may expand it`);
  });
}

/** The argv systemd runs for an `ExecStart=` value: executable as written, arguments expanded. */
export function decodeExecStart(value: string): string[] {
  const [executable, ...args] = splitWords(value).map(resolveSpecifiers);
  if (executable === undefined) throw new Error('empty ExecStart=');
  return [executable, ...args.map(resolveDollars)];
}

/** The `[name, value]` pairs an `Environment=` value assigns (no `$` expansion there). */
export function decodeEnvironment(value: string): Array<[string, string]> {
  return splitWords(value)
    .map(resolveSpecifiers)
    .map((assignment) => {
      const eq = assignment.indexOf('=');
      if (eq <= 0) throw new Error(`not an assignment: ${JSON.stringify(assignment)}`);
      return [assignment.slice(0, eq), assignment.slice(eq + 1)];
    });
}

/** Every value of `key=` in a unit's text, in order (comments and sections ignored). */
export function directiveValues(unitText: string, key: string): string[] {
  return unitText
    .split('\n')
    .filter((line) => line.startsWith(`${key}=`))
    .map((line) => line.slice(key.length + 1));
}
