/**
 * Errors as data (STYLE "Errors as data"): one table of every error kind, its JSON-RPC code,
 * the CLI exit code it maps to, and one `describe()` that words it for people with the next
 * step to take. Messages are built only from the non-secret fields given here, never from an
 * exception's text, so no secret can ride along in an error.
 */

/** Every error kind OpenSoul reports, over the wire (`error.data.code`) or locally in the CLI. */
export type ErrorKind =
  | 'PARSE_ERROR'
  | 'INVALID_REQUEST'
  | 'METHOD_NOT_FOUND'
  | 'INVALID_PARAMS'
  | 'INTERNAL'
  | 'UNAUTHORIZED'
  | 'PROFILE_NOT_FOUND'
  | 'STORE_INVALID'
  | 'LOCKED'
  | 'AGENT_NOT_FOUND'
  | 'PROVIDER_UNKNOWN'
  | 'INVALID_INPUT'
  | 'NO_CREDENTIALS'
  | 'NOT_IMPLEMENTED'
  | 'REQUEST_TOO_LARGE'
  | 'CONFLICT'
  | 'SHUTTING_DOWN'
  | 'DAEMON_UNREACHABLE'
  | 'USAGE'
  | 'TTY_REQUIRED'
  | 'SERVICE_FILE_CONFLICT'
  | 'NO_SERVICE_MANAGER'
  | 'SERVICE_COMMAND_FAILED'
  | 'SERVICE_VALUE'
  | 'SERVICE_FILE_WRITE'
  | 'DAEMON_TIMEOUT'
  | 'DAEMON_EXITED'
  | 'NO_LOG'
  | 'ENV_UNSAFE_EDIT'
  | 'UNSAFE_LINK';

/** Free-form, non-secret details that travel with an error as `error.data`. */
export type ErrorDetails = Record<string, string | number | boolean | null | string[] | undefined>;

interface ErrorKindSpec {
  /** JSON-RPC error code; `null` for kinds that exist only inside the CLI. */
  readonly rpcCode: number | null;
  /** The CLI's exit code for this kind (SPEC §7). */
  readonly exitCode: number;
  readonly describe: (d: ErrorDetails) => string;
}

const str = (v: unknown, fallback = '?'): string => (typeof v === 'string' || typeof v === 'number' ? String(v) : fallback);

/** Exit codes of SPEC §7, in one place. */
export const EXIT = {
  OK: 0,
  FAILED: 1,
  EXPIRING: 2,
  UNREACHABLE: 3,
  USAGE: 64,
  CANNOT_START: 78,
} as const;

export const errorKinds: Readonly<Record<ErrorKind, ErrorKindSpec>> = {
  PARSE_ERROR: { rpcCode: -32700, exitCode: EXIT.FAILED, describe: () => 'Parse error: the line is not valid JSON' },
  INVALID_REQUEST: {
    rpcCode: -32600,
    exitCode: EXIT.FAILED,
    describe: (d) => `Invalid request${d.reason ? `: ${str(d.reason)}` : ''}`,
  },
  METHOD_NOT_FOUND: {
    rpcCode: -32601,
    exitCode: EXIT.FAILED,
    describe: (d) => `Method not found${d.method ? `: ${str(d.method)}` : ''}`,
  },
  INVALID_PARAMS: {
    rpcCode: -32602,
    exitCode: EXIT.FAILED,
    describe: (d) => `Invalid params: ${str(d.path, 'params')}: ${str(d.expected, 'unexpected value')}`,
  },
  INTERNAL: {
    rpcCode: -32603,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `Internal error in the gateway${d.logFile ? `; details are in ${str(d.logFile)}` : '; see `opensoul gateway logs`'}`,
  },
  UNAUTHORIZED: {
    rpcCode: -32001,
    exitCode: EXIT.UNREACHABLE,
    describe: (d) =>
      d.reason === 'bad-token'
        ? 'Unauthorized: wrong connection token (is the token file from another state dir?)'
        : 'Unauthorized: the first call on a connection must be gateway.hello with the token from run/gateway.token',
  },
  PROFILE_NOT_FOUND: {
    rpcCode: -32002,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `Profile "${str(d.profileId)}" not found${d.agent ? ` for agent ${str(d.agent)}` : ''}; ` +
      'see `opensoul models auth list`',
  },
  STORE_INVALID: {
    rpcCode: -32003,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `${str(d.path)} does not parse (${str(d.position, 'unknown position')}): fix it by hand; ` +
      'the gateway keeps using the last good state of that file and refuses writes to it until then',
  },
  LOCKED: {
    rpcCode: -32004,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      d.reason === 'changing'
        ? `${str(d.path)} kept changing while the gateway tried to write it (someone is saving it right now); nothing was written: try again in a moment`
        : `${str(d.path)} is locked by process ${str(d.pid)}; try again in a moment ` +
          `(a lock older than 30 s or of a dead process is taken over)`,
  },
  AGENT_NOT_FOUND: {
    rpcCode: -32005,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `Agent "${str(d.agent)}" not found${d.known ? ` (known: ${str(d.known)})` : ''}; ` +
      'agents are those in opensoul.json agents.list and every agents/<id>/agent/ directory',
  },
  PROVIDER_UNKNOWN: {
    rpcCode: -32006,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `Unknown provider "${str(d.provider)}"${d.known ? ` (known: ${str(d.known)})` : ''}; ` +
      'other providers can be declared in opensoul.json models.providers',
  },
  INVALID_INPUT: {
    rpcCode: -32007,
    exitCode: EXIT.FAILED,
    describe: (d) => `Refused: ${str(d.reason, 'invalid input')}`,
  },
  NO_CREDENTIALS: {
    rpcCode: -32008,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `No credentials found for provider "${str(d.provider)}" (agent ${str(d.agent)}, store ${str(d.store)}).` +
      (d.hint ? ` ${str(d.hint)}` : ''),
  },
  NOT_IMPLEMENTED: {
    rpcCode: -32009,
    exitCode: EXIT.FAILED,
    describe: (d) => `${str(d.method)} is not available in this gateway version yet`,
  },
  REQUEST_TOO_LARGE: {
    rpcCode: -32010,
    exitCode: EXIT.FAILED,
    describe: (d) => `Request refused: a message may be at most ${str(d.limit)} bytes; the connection is closed`,
  },
  CONFLICT: {
    rpcCode: -32011,
    exitCode: EXIT.FAILED,
    describe: (d) => `Conflict: ${str(d.reason)}`,
  },
  /** A `.env` edit that would change how other lines read (a quote spanning lines nearby). */
  ENV_UNSAFE_EDIT: {
    rpcCode: -32031,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `.env line ${str(d.line)}: ${str(d.reason, 'the edit cannot be made safely')}; ` +
      '.env was left unchanged: edit that line by hand (close the quote, or remove the lines you no longer need)',
  },
  /** A file is a symbolic link the gateway will not write through. */
  UNSAFE_LINK: {
    rpcCode: -32032,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `${str(d.path)} is a symbolic link that ${str(d.reason, 'cannot be written through')}${d.target ? ` (${str(d.target)})` : ''}; ` +
      'nothing was written: the gateway writes through links only to regular files its own user owns',
  },
  SHUTTING_DOWN: {
    rpcCode: -32012,
    exitCode: EXIT.UNREACHABLE,
    describe: () => 'The gateway is shutting down',
  },
  DAEMON_UNREACHABLE: {
    rpcCode: null,
    exitCode: EXIT.UNREACHABLE,
    describe: (d) => {
      const why: Record<string, string> = {
        'not-running': 'is not running (no socket at',
        'stale-socket': 'is not running (a stale socket was left at',
        'permission': 'cannot be reached (permission denied on',
        'unresponsive': 'does not answer (timed out on',
        'connection-lost': 'closed the connection (on',
        'no-token': 'cannot be reached (cannot read its token file next to',
      };
      return (
        `The OpenSoul gateway ${why[str(d.reason)] ?? 'cannot be reached (on'} ${str(d.socket)}). ` +
        'Start it with `opensoul gateway` (foreground) or `opensoul gateway start`.'
      );
    },
  },
  USAGE: { rpcCode: null, exitCode: EXIT.USAGE, describe: (d) => str(d.reason, 'usage error') },
  TTY_REQUIRED: {
    rpcCode: null,
    exitCode: EXIT.USAGE,
    describe: (d) => `${str(d.command)} needs a terminal${d.alternative ? `; without one, use ${str(d.alternative)}` : ''}`,
  },
  // The local service commands (`gateway install|start|stop|…`): worded where they happen, since
  // each names its own file or command; the table gives them their codes and exit codes.
  /** A service file exists and differs from what would be written; `--force` replaces it. */
  SERVICE_FILE_CONFLICT: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** No service manager to install into (no user systemd bus, an unsupported platform, forced `none`). */
  NO_SERVICE_MANAGER: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** `systemctl`/`launchctl`/`loginctl` failed or is missing. */
  SERVICE_COMMAND_FAILED: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** A path cannot be written into a unit or plist (relative, control characters, …). */
  SERVICE_VALUE: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** Writing or removing a service file failed (permissions, read-only file system). */
  SERVICE_FILE_WRITE: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** The daemon did not come up, or did not go away, in time. */
  DAEMON_TIMEOUT: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** The daemon `gateway start` spawned exited before it answered (the exit code is the child's). */
  DAEMON_EXITED: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
  /** A log file to show does not exist. */
  NO_LOG: { rpcCode: null, exitCode: EXIT.FAILED, describe: (d) => str(d.reason) },
};

const kindByRpcCode = new Map<number, ErrorKind>(
  (Object.entries(errorKinds) as [ErrorKind, ErrorKindSpec][])
    .filter(([, spec]) => spec.rpcCode !== null)
    .map(([kind, spec]) => [spec.rpcCode as number, kind]),
);

/** Words an error kind for people, with the next step to take. */
export function describe(kind: ErrorKind, details: ErrorDetails = {}): string {
  return errorKinds[kind].describe(details);
}

export function isErrorKind(value: unknown): value is ErrorKind {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(errorKinds, value);
}

/** The error kind a JSON-RPC error code stands for, when it is one of ours. */
export function kindOfRpcCode(code: number): ErrorKind | undefined {
  return kindByRpcCode.get(code);
}

/** An error both sides understand: a kind plus non-secret details; its message comes from `describe()`. */
export class OpenSoulError extends Error {
  readonly kind: ErrorKind;
  readonly details: ErrorDetails;
  private readonly exitOverride: number | undefined;
  /** `exitCode` overrides the kind's (a child's own exit code passed through, e.g. 78). */
  constructor(kind: ErrorKind, details: ErrorDetails = {}, message?: string, exitCode?: number) {
    super(message ?? describe(kind, details));
    this.name = 'OpenSoulError';
    this.kind = kind;
    this.details = details;
    this.exitOverride = exitCode;
  }
  get exitCode(): number {
    return this.exitOverride ?? errorKinds[this.kind].exitCode;
  }
}
