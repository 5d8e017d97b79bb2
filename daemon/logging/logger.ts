/**
 * The daemon's logger: JSON lines into `logs/gateway.log` (SPEC §3), optionally mirrored to
 * stderr for journald/launchd, with every registered secret scrubbed from the finished line.
 *
 * Our own, not winston: the daemon used winston only to put a JSON object on a line, and we had
 * already replaced its file transport (it lost lines when rotating under a burst) and its
 * redaction. Loading winston alone took a Node process from 39.4 to 49.9 MiB RSS here (measured
 * with `require('winston')` in a bare process), a fifth of the daemon's idle memory, which made
 * the 50 MiB idle goal unreachable. What we kept of its chain is the order the dependency audit
 * (Q5) found leak-free: string values of the metadata scrubbed one by one (a secret with a
 * quote, backslash or newline would otherwise reach the line in an escaped form), Errors turned
 * into plain objects (JSON would print `{}`), the fixed field order, and redaction LAST over the
 * whole serialized line — the only place every path a secret can take has been flattened into
 * one string.
 */
import { RotatingFile } from './rotating-file.js';
import type { SecretRegistry } from './secret-registry.js';

/** Levels, most severe first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** The daemon's logger. `meta` fields land as top-level keys of the JSON line. */
export interface Logger {
  debug(msg: string, meta?: Record<string, unknown>): void;
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
  /** Whether lines of this level are written (so a caller can skip building a debug line's meta). */
  isEnabled(level: LogLevel): boolean;
  /** Flushes every line logged so far and closes the file. Lines logged afterwards are dropped. */
  close(): Promise<void>;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** The log file, normally `<stateDir>/logs/gateway.log`. */
  file: string;
  /** Also write each line to stderr (journald under systemd, `StandardErrorPath` under launchd). */
  stderr: boolean;
  /** Lowest level written; default `info`. The env var `OPENSOUL_LOG_LEVEL` overrides it. */
  level?: LogLevel;
  /** Every loaded secret; scrubbed from every line. */
  secrets: SecretRegistry;
  /** Rotation size of the file; default 5 MiB. */
  maxBytes?: number;
  /** Rotated files kept; default 3. */
  keep?: number;
}

/** The environment variable that overrides {@link LoggerOptions.level}. */
export const LOG_LEVEL_ENV = 'OPENSOUL_LOG_LEVEL';

const LEVELS: Readonly<Record<LogLevel, number>> = { error: 0, warn: 1, info: 2, debug: 3 };
const LEVEL_NAMES = Object.keys(LEVELS) as LogLevel[];

/** Fields of every line that metadata may not overwrite. */
const RESERVED_KEYS: readonly string[] = ['level', 'message', 'timestamp'];

/** Containers nested deeper than this are cut: a log line is not a heap dump. */
const MAX_DEPTH = 12;

/**
 * Creates the daemon's logger. The message is written as given (no printf-style `%s`: a value
 * belongs in `meta`, where it is a field of its own). Lines are written synchronously, so after
 * a call returns the line is in the file. Throws a RangeError for a `maxBytes` below 1 or a
 * negative `keep`; never throws once created.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const { secrets } = opts;
  const envLevel = process.env[LOG_LEVEL_ENV];
  const level = parseLevel(envLevel) ?? opts.level ?? 'info';
  const file = new RotatingFile({
    file: opts.file,
    ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
    ...(opts.keep === undefined ? {} : { keep: opts.keep }),
  });
  const scrub = (text: string): string => secrets.redact(text);

  // stderr may go away (journald restarted, the terminal closed): EPIPE arrives as an 'error'
  // event, uncaught by default — and the gateway's crash handler would log it, to stderr again.
  // Stop mirroring instead; the file keeps every line.
  let mirror = opts.stderr;
  const onStderrError = (): void => {
    mirror = false;
  };
  if (opts.stderr) process.stderr.on('error', onStderrError);

  const emit = (lvl: LogLevel, msg: string, meta: Record<string, unknown> | undefined): void => {
    // level, message, timestamp first, so a person reading the file sees them first.
    const record: Record<string, unknown> = { level: lvl, message: scrub(String(msg)), timestamp: new Date().toISOString() };
    if (meta !== undefined) for (const [key, value] of Object.entries(renameReservedKeys(meta))) record[key] = toLoggable(value, scrub);
    // LAST: the serialized line itself, its values (never its keys). Nothing is written that did not pass here.
    const line = secrets.redactJsonLine(JSON.stringify(record));
    file.write(line);
    if (mirror) process.stderr.write(`${line}\n`);
  };

  let closed = false;
  const write = (lvl: LogLevel, msg: string, meta: Record<string, unknown> | undefined): void => {
    if (closed || LEVELS[lvl] > LEVELS[level]) return;
    try {
      emit(lvl, msg, meta);
    } catch (error) {
      // A throwing getter or toJSON in meta, a BigInt: keep the fact, lose the record, stay up.
      try {
        emit('error', 'a log record could not be formatted and was dropped', {
          droppedLevel: lvl,
          reason: error instanceof Error ? `${error.name}: ${error.message}` : 'non-Error thrown',
        });
      } catch {
        // Nothing left to try; the caller must not pay for our failure.
      }
    }
  };

  if (envLevel !== undefined && envLevel !== '' && parseLevel(envLevel) === undefined) {
    write('warn', `ignoring ${LOG_LEVEL_ENV}: not one of ${LEVEL_NAMES.join(', ')}`, { value: envLevel.slice(0, 40) });
  }

  return {
    debug: (msg, meta) => write('debug', msg, meta),
    isEnabled: (lvl) => LEVELS[lvl] <= LEVELS[level],
    info: (msg, meta) => write('info', msg, meta),
    warn: (msg, meta) => write('warn', msg, meta),
    error: (msg, meta) => write('error', msg, meta),
    close: () => {
      if (!closed) {
        closed = true;
        file.close();
        if (opts.stderr) process.stderr.off('error', onStderrError);
      }
      return Promise.resolve();
    },
  };
}

/**
 * `meta` with its `level`, `message` and `timestamp` keys renamed to `meta.level` etc.: they
 * must not overwrite the line's own (a `message` field replacing the message, a `level` field
 * relabelling an info line "error"), since a reader or a script grepping for `"level":"error"`
 * must be able to trust those three. Copies only when such a key is present.
 */
function renameReservedKeys(meta: Record<string, unknown>): Record<string, unknown> {
  if (!RESERVED_KEYS.some((key) => Object.hasOwn(meta, key))) return meta;
  const renamed: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(meta)) renamed[RESERVED_KEYS.includes(key) ? `meta.${key}` : key] = value;
  return renamed;
}

/** The level named by `value` (case and surrounding space ignored), or undefined. */
function parseLevel(value: string | undefined): LogLevel | undefined {
  const name = value?.trim().toLowerCase();
  return name !== undefined && Object.hasOwn(LEVELS, name) ? (name as LogLevel) : undefined;
}

/**
 * A copy of `value` that serializes safely: strings through `scrub`; Errors as
 * `{name, message, stack, code?, cause?}` (recursively); binary data as a size only (JSON of a
 * Buffer is a list of bytes, which no text redaction can recognise); plain objects and arrays
 * copied with the same treatment; cycles and excessive depth cut. Other objects (Date, URL,
 * class instances) are left to JSON.stringify and the final redaction.
 */
function toLoggable(value: unknown, scrub: (text: string) => string, ancestors = new Set<object>(), depth = 0): unknown {
  if (typeof value === 'string') return scrub(value);
  if (value === null || typeof value !== 'object') return value;
  if (ancestors.has(value)) return '[Circular]';
  if (depth >= MAX_DEPTH) return '[Truncated]';
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) {
    return `[${value.constructor.name} ${value.byteLength} bytes]`;
  }
  const isError = value instanceof Error;
  if (!isError && !Array.isArray(value) && !isPlainObject(value)) return value;

  ancestors.add(value);
  try {
    const nested = (child: unknown): unknown => toLoggable(child, scrub, ancestors, depth + 1);
    if (value instanceof Error) {
      const plain: Record<string, unknown> = {
        name: value.name,
        message: scrub(String(value.message)),
        stack: typeof value.stack === 'string' ? scrub(value.stack) : value.stack,
      };
      // `code` (ENOENT, ECONNRESET, …) is usually the most useful fact about a system error.
      const { code } = value as { code?: unknown };
      if (typeof code === 'string' || typeof code === 'number') plain.code = code;
      if (value.cause !== undefined) plain.cause = nested(value.cause);
      return plain;
    }
    if (Array.isArray(value)) return value.map(nested);
    const copy: Record<string, unknown> = {};
    for (const [key, child] of Object.entries(value)) copy[key] = nested(child);
    return copy;
  } finally {
    ancestors.delete(value);
  }
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}
