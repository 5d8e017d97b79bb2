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

import { caret } from '../../ipc/visible-strings.js';

// One caret notation and one walk over a value for the CLI's views and the daemon's chat replies.
export { visibleStrings } from '../../ipc/visible-strings.js';

// eslint-disable-next-line no-control-regex -- control characters are exactly what is made visible
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

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
