/**
 * Text from elsewhere — a model's reply, a provider's error, a name read from a file — shown on
 * a terminal, with its control characters made visible instead of obeyed. A reply is the model's
 * to write, and a model can be steered by what it reads (a web page, a file: prompt injection):
 * `ESC [ …` moves the cursor and rewrites what is on screen, OSC 52 writes the clipboard, OSC 8
 * makes a link that says one thing and opens another, OSC 0 sets the window title, and some
 * terminals answer queries by typing into the input. As git shows a remote's messages and
 * `cat -v` always has: every C0 control but tab and line feed, DEL, and the C1 controls (some
 * terminals read U+009B as `ESC [`) are printed in caret notation — ESC as `^[`, BEL as `^G`,
 * U+009B as `M-^[`. A carriage return before a line feed is dropped (Windows line ends); a lone
 * one is shown (`^M`), since it would let the end of a line hide its start.
 */

// eslint-disable-next-line no-control-regex -- control characters are exactly what is made visible
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

/** `^[` for ESC, `^?` for DEL, `M-^[` for U+009B. */
function caret(c: string): string {
  const code = c.charCodeAt(0);
  if (code === 0x7f) return '^?';
  if (code >= 0x80) return `M-^${String.fromCharCode(code - 0x80 + 0x40)}`;
  return `^${String.fromCharCode(code + 0x40)}`;
}

/** `text` with every control character but `\t` and `\n` shown, never obeyed. */
export function forTerminal(text: string): string {
  return text.replace(CONTROL, (c: string, at: number) => (c === '\r' && text[at + 1] === '\n' ? '' : caret(c)));
}

/**
 * One JSON document on one line, with DEL and the C1 controls escaped too (`\u009b`):
 * `JSON.stringify` escapes only C0, and the line may be read on a terminal. The value is the same.
 */
export function jsonLine(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// eslint-disable-next-line no-control-regex -- every control character, line feed and tab too
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Every string in a JSON value (keys too) with all its control characters shown, line feeds and
 * tabs included: for a view built from names read from files (profile ids, labels, model ids,
 * paths). A line feed in a profile id would start a line of its own that looks like another
 * profile's, so in a field it is shown (`^J`), not kept as in {@link forTerminal}.
 */
export function visibleStrings<T>(value: T): T {
  if (typeof value === 'string') return (HAS_CONTROL.test(value) ? value.replace(ANY_CONTROL, caret) : value) as T;
  // Copied only where something changed: a status of many profiles is ~10 KB of objects, and
  // rebuilding all of them cost the human `models status` a garbage collection at every run.
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((v: unknown, i) => {
      const shown = visibleStrings(v);
      if (shown !== v) (copy ??= [...(value as unknown[])])[i] = shown;
    });
    return (copy ?? value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const [shownKey, shown] = [visibleStrings(k), visibleStrings(o[k])];
      if (shownKey === k && shown === o[k]) continue;
      // Rebuilt from its entries: fromEntries keeps a key named `__proto__` an own property.
      const entries = keys.map((key, j) => (j < i ? [key, o[key]] : j === i ? [shownKey, shown] : [visibleStrings(key), visibleStrings(o[key])]));
      return Object.fromEntries(entries) as T;
    }
    return value;
  }
  return value;
}

// eslint-disable-next-line no-control-regex -- the same characters as ANY_CONTROL, tested without its global state
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
