/**
 * The daemon's logger: JSON lines into `logs/gateway.log` (SPEC §3), optionally mirrored to
 * stderr for journald/launchd, with every registered secret scrubbed from the finished line.
 *
 * The only module that imports winston. The CLI must never load it (30–40 ms of start-up, audit
 * Q5), and `ipc/`/`client/` never import `daemon/`, so only the gateway entry pays for it.
 */
import { LEVEL, MESSAGE, SPLAT } from 'triple-beam';
import winston from 'winston';
import { RotatingFileTransport } from './rotating-file.js';
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

type Format = winston.Logform.Format;
type TransformableInfo = winston.Logform.TransformableInfo;

/**
 * Creates the daemon's logger. Formats run in the order the dependency audit (Q5) found
 * leak-free: splat first (later it would re-merge the caller's raw meta over our converted
 * copy), nested Errors turned into plain objects (json() would print them as `{}`), then
 * serialization, and redaction LAST, over the whole serialized line — the only place where
 * every path a secret can take (message, splat, nested meta, error stacks and causes) has
 * been flattened into one string. Two additions to the audited chain: the splat arguments are
 * scrubbed value by value before splat() formats them (see {@link redactArguments}), and the
 * keys are put in a fixed order before json(); neither changes what the last pass sees.
 *
 * No exception/rejection handlers are installed: the gateway owns its process handlers and
 * reports through `error()`. Throws a RangeError for a `maxBytes` below 1 or a negative `keep`;
 * never throws once created.
 */
export function createLogger(opts: LoggerOptions): Logger {
  const { secrets } = opts;
  const envLevel = process.env[LOG_LEVEL_ENV];
  const level = parseLevel(envLevel) ?? opts.level ?? 'info';

  const file = new RotatingFileTransport({
    file: opts.file,
    ...(opts.maxBytes === undefined ? {} : { maxBytes: opts.maxBytes }),
    ...(opts.keep === undefined ? {} : { keep: opts.keep }),
  });
  const transports: winston.transport[] = [file];
  let mirror: winston.transports.ConsoleTransportInstance | undefined;
  if (opts.stderr) {
    // Every level to stderr, as the same JSON line the file gets, so journald and the file
    // tell the same story and a secret is scrubbed once for both.
    mirror = new winston.transports.Console({ stderrLevels: LEVEL_NAMES, eol: '\n' });
    transports.push(mirror);
  }

  const { combine, errors, splat, timestamp, json } = winston.format;
  const logger = winston.createLogger({
    levels: LEVELS,
    level,
    format: combine(
      redactArguments(secrets),
      errors({ stack: true }),
      splat(),
      plainErrors(),
      timestamp(),
      fieldOrder(),
      // Insertion order (not sorted keys): level, message, timestamp, then meta as given.
      json({ deterministic: false }),
      redactLine(secrets),
    ),
    transports,
    exitOnError: false,
  });
  // winston re-emits a transport's 'error' on the logger, and an 'error' without a listener
  // throws. Our transports do not emit one, but a logger must never be what kills the daemon.
  logger.on('error', () => undefined);

  // stderr may go away (journald restarted, the terminal closed): EPIPE arrives as an 'error'
  // event, uncaught by default — and the gateway's crash handler would log it, to stderr again.
  // Stop mirroring instead; the file keeps every line.
  const onStderrError = (): void => {
    if (mirror) mirror.silent = true;
  };
  if (mirror) process.stderr.on('error', onStderrError);

  let closing: Promise<void> | null = null;
  const write = (lvl: LogLevel, msg: string, meta: Record<string, unknown> | undefined): void => {
    // After close winston's stream has ended: a write would emit "write after end", and with
    // no transport piped, winston prints the raw, unredacted record to stderr.
    if (closing !== null) return;
    // A filtered level costs nothing: winston would run every format before its transports drop the line.
    if (LEVELS[lvl] > LEVELS[level]) return;
    try {
      if (meta === undefined) logger.log(lvl, msg);
      else logger.log(lvl, msg, renameReservedKeys(meta));
    } catch (error) {
      // A throwing getter or toJSON in meta: keep the fact, lose the record, stay up.
      try {
        logger.log('error', 'a log record could not be formatted and was dropped', {
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
      closing ??= new Promise<void>((resolve) => {
        // end() flushes everything already written through the formats, then winston's
        // _final ends each transport and waits for its 'finish': after this every line is
        // in the file. Our transport writes synchronously, so 'finish' means "on disk".
        logger.once('finish', () => {
          file.close();
          if (mirror) process.stderr.off('error', onStderrError);
          resolve();
        });
        logger.end();
      });
      return closing;
    },
  };
}

/**
 * `meta` with its `level`, `message` and `timestamp` keys renamed to `meta.level` etc. winston
 * would let them overwrite the line's own (a `message` field replaces the message, a `level`
 * field relabels an info line "error"), and a reader or a script grepping for `"level":"error"`
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
 * Scrubs secrets from the splat arguments (the caller's meta and `%s` values) before splat()
 * formats them. `%s`/`%o` print objects with util.inspect, which escapes strings its own way
 * and breaks long ones at newlines: a secret with a quote, backslash or newline would reach the
 * line in a form the final pass cannot recognise. Copies; never mutates the caller's objects.
 */
function redactArguments(secrets: SecretRegistry): Format {
  const redact = (text: string): string => secrets.redact(text);
  return winston.format((info) => {
    const args = info[SPLAT];
    if (Array.isArray(args)) info[SPLAT] = args.map((arg: unknown) => toLoggable(arg, redact));
    return info;
  })();
}

/**
 * Turns nested `Error`s in the record's fields into plain objects: json() would print an Error
 * as `{}` and lose the message, stack and cause we log errors for. Runs after splat(), which
 * would otherwise merge the caller's original objects back over the converted ones.
 */
function plainErrors(): Format {
  const keep = (text: string): string => text;
  return winston.format((info) => {
    for (const key of Object.keys(info)) {
      if (key !== 'level' && key !== 'message') info[key] = toLoggable(info[key], keep);
    }
    return info;
  })();
}

/** `level`, `message`, `timestamp` first, so a person reading the file sees them first. */
function fieldOrder(): Format {
  return winston.format((info) => {
    const { level, message, timestamp, ...rest } = info;
    const ordered: TransformableInfo = { level, message, timestamp, ...rest };
    // The symbol keys carry winston's own bookkeeping (the level used for filtering).
    ordered[LEVEL] = info[LEVEL];
    ordered[SPLAT] = info[SPLAT];
    return ordered;
  })();
}

/**
 * LAST format: scrubs the serialized line itself, its values (never its keys). Every transport
 * writes exactly this string (`info[MESSAGE]`), so nothing reaches the file or stderr without
 * passing here.
 */
function redactLine(secrets: SecretRegistry): Format {
  return winston.format((info) => {
    const line = info[MESSAGE];
    if (typeof line === 'string') info[MESSAGE] = secrets.redactJsonLine(line);
    else delete info[MESSAGE]; // no line means nothing unredacted to write; the file transport counts it
    return info;
  })();
}

/**
 * A copy of `value` that serializes safely: strings through `scrub`; Errors as
 * `{name, message, stack, code?, cause?}` (recursively); binary data as a size only (JSON of a
 * Buffer is a list of bytes, which no text redaction can recognise); plain objects and arrays
 * copied with the same treatment; cycles and excessive depth cut. Other objects (Date, URL,
 * class instances) are left to json() and the final redaction.
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
