/**
 * Escaping of values embedded in systemd unit files (SPEC §10). Each function returns one *word*
 * of a directive's value, written so that systemd reads back exactly the input string.
 *
 * The rules differ per directive, and getting them wrong silently runs something else:
 * - systemd.syntax(7) "Quoting": a word with whitespace or quotes is wrapped in double quotes;
 *   inside them C-style escapes are decoded, so `\` and `"` are written `\\` and `\"`.
 * - systemd.unit(5) "Specifiers": `%` starts a specifier (`%h`, `%n`, …) in ExecStart=, both in
 *   the executable and in its arguments, in Environment= and in User=/Group=; `%%` is a literal `%`.
 *   Specifiers are resolved after unquoting, so doubling works inside quotes too.
 * - systemd.service(5) "Command lines": `$NAME`, `${NAME}` in ExecStart= *arguments* are replaced
 *   by environment variables when the command runs; `$$` is a literal `$`. The executable itself
 *   is *not* expanded: it is used as written (after specifiers), so there a `$` must stay single
 *   — measured with `systemd-analyze verify` (systemd 252): `/a$$b/node` is looked up literally
 *   and reported missing.
 * - systemd.exec(5) Environment=: "Variable expansion is not performed inside the strings and the
 *   `$` character has no special meaning", but specifiers are — so `%` doubles and `$` does not.
 */
import { UnitValueError, assertNoControlCharacters } from './value-checks.js';

// Characters that may stand in an unquoted word without systemd giving them a meaning. Anything
// else (whitespace, quotes, backslash, `;`, non-ASCII, …) makes us quote the word: quoting a word
// that did not need it is harmless, missing one is not, so the list is deliberately short.
// `%` and `$` are in it because they are doubled before this test, not because they are inert.
const UNQUOTED_SAFE = /^[A-Za-z0-9_@%+=:,./$-]+$/;

// systemd refuses an executable name containing a quote or a backslash outright, even when it is
// correctly quoted and escaped ("Executable name contains special characters", a fatal unit
// error: string_is_safe() in its source; measured with `systemd-analyze verify`). Refusing here
// names the path to move instead of failing later at `systemctl start`.
const EXECUTABLE_FORBIDDEN = /["'\\]/;

/** `%` → `%%`: a literal percent sign in any directive that resolves specifiers. */
export function escapeSpecifiers(value: string): string {
  return value.replaceAll('%', '%%');
}

/** Wraps a word in double quotes when it needs them, escaping `\` and `"` inside. */
function quoteWord(word: string): string {
  if (UNQUOTED_SAFE.test(word)) return word;
  // Backslash first, so the backslashes added for quotes are not doubled again.
  return `"${word.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

/**
 * The executable (first word) of an `ExecStart=` line, an absolute path: `%` doubled, `$` left alone (systemd does
 * not expand variables in the executable path), quoted when it has spaces. Throws
 * {@link UnitValueError} for a control character, or for a quote or backslash, which systemd
 * refuses in an executable name however it is escaped.
 */
export function escapeExecutable(field: string, executable: string): string {
  assertNoControlCharacters(field, executable);
  // systemd reads a leading `-`, `@`, `:`, `+` or `!` of the executable as a prefix that changes
  // how it runs, and does so after unquoting, so quotes cannot protect it; an absolute path
  // starts with `/` and can never be mistaken for one.
  if (!executable.startsWith('/')) {
    throw new UnitValueError(field, `${field} must be an absolute path, got ${JSON.stringify(executable)}`);
  }
  if (EXECUTABLE_FORBIDDEN.test(executable)) {
    throw new UnitValueError(
      field,
      `${field} ${JSON.stringify(executable)} contains a quote or a backslash, which systemd refuses in the executable of ExecStart= ` +
        '("Executable name contains special characters"); install it under a path without those characters',
    );
  }
  return quoteWord(escapeSpecifiers(executable));
}

/**
 * One argument (any word after the first) of an `ExecStart=` line: `%` → `%%` (specifiers),
 * `$` → `$$` (environment expansion at run time), then quoted when it has spaces, quotes or
 * backslashes. Throws {@link UnitValueError} for a control character (newline, NUL, …).
 */
export function escapeExecArgument(field: string, argument: string): string {
  assertNoControlCharacters(field, argument);
  if (argument === '') return '""';
  // A function replacer: in a replacement *string*, `$$` is itself an escape for one `$`.
  return quoteWord(escapeSpecifiers(argument).replaceAll('$', () => '$$'));
}

/**
 * A whole command line for `ExecStart=`: the escaped executable followed by the escaped
 * arguments, separated by single spaces. `fields` names each word for error messages
 * (`[executableField, ...argumentFields]`); words without a name are called `argument N`.
 */
export function formatCommandLine(executable: string, args: readonly string[], fields: readonly string[] = []): string {
  const words = [escapeExecutable(fields[0] ?? 'executable', executable)];
  args.forEach((arg, i) => words.push(escapeExecArgument(fields[i + 1] ?? `argument ${i + 1}`, arg)));
  return words.join(' ');
}

// systemd.exec(5): "names of the variables can contain ASCII letters, digits, and the underscore
// character. Variable names cannot be empty or start with a digit."
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One `NAME=value` word for `Environment=`. The whole assignment is one word, so when the value
 * needs quoting the quotes go around `NAME=value`, as systemd.exec(5) prescribes, not around the
 * value (systemd.syntax(7) defines quotes only around a whole item). `%` → `%%`; `$` is kept as is, because Environment= does no
 * variable expansion and `$$` would reach the process as two dollar signs.
 * Throws {@link UnitValueError} for an invalid name or a control character in the value.
 */
export function formatEnvironmentAssignment(name: string, value: string): string {
  if (!ENV_NAME.test(name)) {
    throw new UnitValueError(name, `${JSON.stringify(name)} is not a valid environment variable name for systemd`);
  }
  assertNoControlCharacters(name, value);
  return quoteWord(`${name}=${escapeSpecifiers(value)}`);
}
