/**
 * Checks shared by every service-file generator (SPEC §10): a value that goes into a unit file or
 * a plist is either represented exactly or refused with an error that names the field — never
 * silently altered, because a service that runs a *different* path than the one installed is
 * worse than an install that fails loudly.
 */
import path from 'node:path';

/**
 * A value cannot be put into a service file as given (relative path, control character, a name
 * systemd would refuse). `field` names the option the caller passed, so the CLI can tell the
 * person which path to fix; the message already says why and what to do.
 */
export class UnitValueError extends Error {
  /** The option that held the refused value, e.g. `nodePath`. */
  readonly field: string;

  constructor(field: string, message: string) {
    super(message);
    this.name = 'UnitValueError';
    this.field = field;
  }
}

// C0 controls and DEL. A newline would end the directive and let the rest of the value become a
// directive of its own (an injected `ExecStartPre=`, say); NUL truncates the value wherever it is
// read as a C string; systemd rejects the other control characters in Environment= values and in
// executable names anyway, and XML 1.0 cannot carry most of them at all. Nothing legitimate
// needs them in a path, so refusing beats escaping.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

const CONTROL_NAMES: Readonly<Record<string, string>> = {
  '\n': 'a newline',
  '\r': 'a carriage return',
  '\t': 'a tab',
  '\u0000': 'a NUL byte',
};

/** Throws {@link UnitValueError} when `value` holds a control character (newline, NUL, …). */
export function assertNoControlCharacters(field: string, value: string): void {
  const match = CONTROL_CHARACTER.exec(value);
  if (match === null) return;
  const char = match[0];
  const what = CONTROL_NAMES[char] ?? `the control character U+${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  throw new UnitValueError(
    field,
    `${field} contains ${what} (${JSON.stringify(value)}), which cannot be written safely into a service file; ` + 'use a path without control characters',
  );
}

// U+FFFD, the replacement character, is what Node puts in a string (process.env.HOME,
// process.execPath, a file name) for bytes that are not UTF-8: `/home/h\xff` reads as
// `/home/h\ufffd`. Written into a unit or a plist it is encoded as three other bytes, so the
// service would run a node or use a state dir that does not exist, and install would write its
// files into a new directory that the service manager never reads — with nothing saying why.
// Such a path cannot be represented: refused. (A path holding a real U+FFFD is refused too;
// none is known to need one.)
const NOT_UTF8 = '\ufffd';

/** Throws {@link UnitValueError} when `value` is a path whose bytes were not UTF-8 (it holds U+FFFD). */
export function assertUtf8Path(field: string, value: string): void {
  if (!value.includes(NOT_UTF8)) return;
  throw new UnitValueError(
    field,
    `${field} ${JSON.stringify(value)} has bytes that are not UTF-8 (shown as U+FFFD), so a service file cannot name it exactly; ` +
      'use a path whose name is UTF-8 (rename the directory, or set OPENSOUL_STATE_DIR, HOME or XDG_CONFIG_HOME to one)',
  );
}

/**
 * Throws {@link UnitValueError} unless `value` is an absolute, normalized POSIX path without
 * control characters. Service managers start with an unrelated working directory (and, for
 * ExecStart=, a fixed search path), so a relative path would name some other file or none.
 * Normalized (no `.`, `..`, `//` or trailing `/`) so the text in the file is exactly the path
 * that doctor later compares with this node and entry (SPEC §11).
 */
export function assertAbsolutePath(field: string, value: string): void {
  assertNoControlCharacters(field, value);
  if (!path.posix.isAbsolute(value)) {
    throw new UnitValueError(
      field,
      `${field} must be an absolute path, got ${JSON.stringify(value)}: a service does not start in your current directory; pass path.resolve(…) of it`,
    );
  }
  // normalize() keeps a trailing slash, hence the second test.
  if (value !== '/' && (path.posix.normalize(value) !== value || value.endsWith('/'))) {
    throw new UnitValueError(
      field,
      `${field} must be a normalized absolute path (no ".", "..", "//" or trailing "/"), got ${JSON.stringify(value)}; pass path.resolve(…) of it`,
    );
  }
}
