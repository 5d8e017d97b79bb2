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
  | 'SECRET_SHAPE'
  | 'PROFILE_INHERITED'
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
  | 'UNSAFE_LINK'
  | 'PROVIDER_FAILED'
  | 'LOGIN_FAILED';

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
/** A sentence ends with one full stop: a provider's message often brings its own. */
const fullStop = (sentence: string): string => (/[.!?]$/.test(sentence) ? sentence : `${sentence}.`);

/**
 * A validator path in plain words: `params.profileId` → "profile id", `params.order[0]` →
 * "order (item 1)", `params` → "request": messages name no validator path.
 */
export function fieldWords(path: string): string {
  const names: string[] = [];
  let item = '';
  for (const m of path.replace(/^params/, '').matchAll(/\.([A-Za-z_$][\w$]*)|\[(\d+)\]/g)) {
    if (m[1] !== undefined) names.push(m[1].replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase());
    else item = ` (item ${Number(m[2]) + 1})`;
  }
  return names.length === 0 ? `request${item}` : `${names.join(' ')}${item}`;
}

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
    // `data.path` keeps the validator's path (`params.order[0]`) for programs; people read words.
    describe: (d) => `invalid ${fieldWords(str(d.path, 'params'))}: ${str(d.expected, 'unexpected value')}`,
  },
  INTERNAL: {
    rpcCode: -32603,
    exitCode: EXIT.FAILED,
    describe: (d) => `Internal error in the gateway${d.logFile ? `; details are in ${str(d.logFile)}` : '; see `opensoul gateway logs`'}`,
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
    describe: (d) => `Profile "${str(d.profileId)}" not found${d.agent ? ` for agent ${str(d.agent)}` : ''}; ` + 'see `opensoul models auth list`',
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
        : `${str(d.path)} is locked by process ${str(d.pid)}; try again in a moment ` + `(a lock older than 30 s or of a dead process is taken over)`,
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
      `Unknown provider "${str(d.provider)}"${d.suggestion ? `; did you mean "${str(d.suggestion)}"?` : ''}${d.known ? ` (known: ${str(d.known)})` : ''}; ` +
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
      d.pinned
        ? `The profile ${str(d.pinned)} is pinned for this session and cannot be used: ${str(d.pinReason)}. ` +
          'A pin is never swapped for another credential; `/model <model>` without @ unpins it.'
        : `No ${d.tried ? 'other ' : ''}credentials found for provider "${str(d.provider)}" (agent ${str(d.agent)}, store ${str(d.store)}).` +
          (d.unresolved ? ` A SecretRef could not be resolved: ${str(d.unresolved)}.` : '') +
          (d.notes ? ` ${str(d.notes)}.` : '') +
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
    // `size`: refused by the client before sending, the connection kept.
    describe: (d) =>
      d.size !== undefined
        ? `Request refused: it is ${str(d.size)} bytes, over the gateway's limit of ${str(d.limit)}; it was not sent`
        : `Request refused: a message may be at most ${str(d.limit)} bytes; the connection is closed`,
  },
  /**
   * A write would put a different secret where one already is (§3 "No silent replacement").
   * Structured: `target` (profile|env), `id` (profile id or env var), `agent`, `path`,
   * `existingType`/`existingMasked`, `newType`/`newMasked` — masked only, never a secret.
   * Callers word the way to replace it for their own command. Older callers pass `reason`.
   */
  CONFLICT: {
    rpcCode: -32011,
    exitCode: EXIT.FAILED,
    describe: (d) => {
      if (d.id === undefined) return `Conflict: ${str(d.reason)}`;
      const where = d.target === 'env' ? `${str(d.id)} in ${str(d.path)}` : `${str(d.id)}${d.agent ? ` (agent ${str(d.agent)})` : ''}`;
      return (
        `Conflict: ${where} already holds a different ${str(d.existingType)} (${str(d.existingMasked)}); ` +
        `the new ${str(d.newType)} is ${str(d.newMasked)}. Nothing was changed; a replacement must be confirmed`
      );
    },
  },
  /** A secret that does not have its provider's shape (details: ipc/providers.ts SecretShapeProblem). */
  SECRET_SHAPE: {
    rpcCode: -32021,
    exitCode: EXIT.FAILED,
    describe: (d) => {
      const what = d.kind === 'token' ? 'token' : 'API key';
      const provider = str(d.provider);
      const expected = Array.isArray(d.expected) ? d.expected.join(' or ') : '';
      switch (d.problem) {
        case 'setup-token-as-api-key':
          return 'Refused: this is an Anthropic setup-token (sk-ant-oat01-…), not an API key: store it as a token; nothing was changed';
        case 'api-key-as-token':
          return 'Refused: this is an Anthropic API key (sk-ant-api…), not a setup-token: store it as an API key; nothing was changed';
        case 'prefix':
          return (
            // "for <id>", not "a <id>": the article of a provider id (openai, xai, a declared one) cannot be known.
            `Refused: ${what === 'token' ? 'a token' : 'an API key'} for ${provider} must start with ${expected}; ` +
            'this one does not (is it the right secret, for the right provider?); nothing was changed'
          );
        default:
          return (
            `Refused: this ${provider} ${what} is only ${str(d.length)} characters; ` +
            `${what === 'token' && provider === 'anthropic' ? 'setup-tokens are' : 'every secret is'} ` +
            `at least ${str(d.minLength)}, so it looks truncated: copy it again; nothing was changed`
          );
      }
    },
  },
  /** Removing, from one agent, a profile it only inherits from another (§3 agents). */
  PROFILE_INHERITED: {
    rpcCode: -32022,
    exitCode: EXIT.FAILED,
    describe: (d) =>
      `Profile "${str(d.profileId)}" is not agent ${str(d.agent)}'s own: it is inherited from agent ${str(d.owner)}, whose store holds it. ` +
      `Nothing was changed; removing it from agent ${str(d.owner)} removes it for every agent that inherits it`,
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
  /**
   * A provider call failed with every credential it could use (or with the session's pinned one).
   * Details: `provider`, `model`, `profileId` (or `envVar`), `outcome`, `status`, `reason` (the
   * provider's words, sanitized), `remedy`, `pinned`, `tried` (how many credentials).
   */
  PROVIDER_FAILED: {
    rpcCode: -32040,
    exitCode: EXIT.FAILED,
    describe: (d) => {
      const who = d.profileId ? `profile ${str(d.profileId)}` : d.envVar ? `env key ${str(d.envVar)}` : 'the credential';
      const reason = d.reason ? str(d.reason) : '';
      const remedy = d.remedy ? str(d.remedy) : '';
      // The classifier's reason already says "(HTTP 400)", and a reason that failed over carries its remedy: each is said once.
      const status = typeof d.status === 'number' && !reason.includes(`(HTTP ${d.status})`) ? ` (HTTP ${d.status})` : '';
      const pinned = d.pinned ? ` It is pinned for this session, so no other credential was tried: \`/model ${str(d.model)}\` unpins it.` : '';
      const tried = typeof d.tried === 'number' && d.tried > 1 ? ` after trying ${d.tried} credentials` : '';
      return (
        fullStop(`${str(d.provider)} refused the call${tried}: ${who} failed with ${str(d.outcome)}${status}${reason ? `: ${reason}` : ''}`) +
        (remedy && !reason.includes(remedy) ? ` ${fullStop(remedy[0]?.toUpperCase() + remedy.slice(1))}` : '') +
        pinned
      );
    },
  },
  /**
   * An OAuth login (`models auth login`) did not produce tokens: the provider refused the code,
   * the person denied access, the device code expired, the endpoint could not be reached.
   * Details: `provider`, `reason` (our words, from the RFC error code and HTTP status only).
   */
  LOGIN_FAILED: {
    rpcCode: -32041,
    exitCode: EXIT.FAILED,
    describe: (d) => `Login with ${str(d.provider)} failed: ${str(d.reason, 'no tokens were issued')}; nothing was stored`,
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
      if (d.reason === 'unsafe-socket-dir') {
        // Another user may be listening there: the CLI sent nothing, not even its token.
        return (
          `Refusing to connect to the OpenSoul gateway at ${str(d.socket)}: ${str(d.problem)}. ` +
          `Another user may be listening there to collect your token, so nothing was sent. Remove ${str(d.dir)} ` +
          '(if another user owns it, ask root to) and restart the gateway, or set OPENSOUL_SOCKET to a path in a private dir.'
        );
      }
      const why: Record<string, string> = {
        'not-running': 'is not running (no socket at',
        'stale-socket': 'is not running (a stale socket was left at',
        permission: 'cannot be reached (permission denied on',
        unresponsive: 'does not answer (timed out on',
        'connection-lost': 'closed the connection (on',
        'no-token': 'cannot be reached (cannot read its token file next to',
      };
      // Running but not answering: starting another would not help.
      const next =
        d.reason === 'unresponsive'
          ? 'It is running but stuck or overloaded: restart it with `opensoul gateway restart`.'
          : 'Start it with `opensoul gateway` (foreground) or `opensoul gateway start`.';
      return `The OpenSoul gateway ${why[str(d.reason)] ?? 'cannot be reached (on'} ${str(d.socket)}). ${next}`;
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
