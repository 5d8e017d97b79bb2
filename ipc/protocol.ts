/**
 * The protocol: one typed table of every RPC method (SPEC §6), shared by the daemon and the CLI.
 * Each entry is a value — the literal method name, a runtime validator of its params, and (as
 * types) its params and result — so the CLI cannot call a method with the wrong shape
 * (`connection.call(methods.modelsStatus, {...})`) and the daemon's handler table, a mapped type
 * over this table, cannot forget a handler. Nobody writes a method string twice.
 */
import { AGENT_ID_PATTERN, PROFILE_ID_PATTERN, PROVIDER_ID_PATTERN } from './providers.js';
import type { ErrorKind } from './errors.js';
import * as v from './validate.js';
import type { Infer, Validator } from './validate.js';

/**
 * A method: its wire name, a validator of its params (the params type is derived from it, so a
 * field cannot be added to one and not the other), its result type, and the error kinds it may
 * answer besides the protocol's own (INVALID_PARAMS, UNAUTHORIZED, INTERNAL, SHUTTING_DOWN).
 */
export interface Method<Name extends string, Params, Result> {
  readonly name: Name;
  readonly params: Validator<Params>;
  /** One line on what it does, for `opensoul` developers and the README. */
  readonly doc: string;
  readonly errors: readonly ErrorKind[];
  /** Type-only marker carrying the result type; never set at run time. */
  readonly __result?: Result;
}

function method<Result>() {
  return <Name extends string, Params>(
    name: Name,
    params: Validator<Params>,
    doc: string,
    errors: readonly ErrorKind[] = [],
  ): Method<Name, Params, Result> => ({
    name,
    params,
    doc,
    errors,
  });
}

const agentId = v.string({ pattern: AGENT_ID_PATTERN, patternName: 'an agent id (letters, digits, . _ -)' });
const providerId = v.string({ pattern: PROVIDER_ID_PATTERN, patternName: 'a provider id such as anthropic' });
const profileId = v.string({ pattern: PROFILE_ID_PATTERN, patternName: 'a profile id such as anthropic:default' });

// ---------------------------------------------------------------------------------------------
// gateway.*
// ---------------------------------------------------------------------------------------------

/**
 * The first call of every connection (§5): `token` is the contents of `<stateDir>/run/gateway.token`;
 * `clientVersion` a mismatch the CLI reports, never refused by the daemon.
 */
export type HelloParams = Infer<typeof helloParams>;

export interface HelloResult {
  protocolVersion: number;
  daemonVersion: string;
  pid: number;
  stateDir: string;
}

/** One file the daemon reads, as `gateway.status` reports it. */
export interface LoadedFileStatus {
  path: string;
  /** Which file of §3 this is. */
  kind: 'dotenv' | 'config' | 'auth-profiles' | 'auth-state' | 'legacy-auth' | 'managed-oauth';
  /** The agent the file belongs to, for per-agent stores. */
  agent: string | null;
  exists: boolean;
  /** False when the file does not parse; the daemon then serves its last good state. */
  ok: boolean;
  /** Where and why it does not parse: a position, never content. */
  error: string | null;
  /** Non-fatal problems: fields of the wrong type that were ignored, profiles that were skipped. */
  warnings: string[];
  mtimeMs: number | null;
  /** When the daemon last took in a new version of the file (Unix ms). */
  loadedAt: number | null;
}

/** What made the daemon re-read its files: start-up, the watcher, the periodic check, SIGHUP, `gateway.reload`, or its own write. */
export type ReloadTrigger = 'start' | 'watch' | 'periodic' | 'signal' | 'rpc' | 'write';

export interface GatewayStatusResult {
  pid: number;
  version: string;
  protocolVersion: number;
  nodeVersion: string;
  stateDir: string;
  socket: string;
  startedAt: number;
  uptimeMs: number;
  agents: string[];
  defaultAgent: string;
  files: LoadedFileStatus[];
  reloads: {
    /** Reload passes that found at least one file changed. */
    count: number;
    /** Passes run, including those that found nothing new. */
    checks: number;
    lastAt: number | null;
    lastTrigger: ReloadTrigger | null;
    byTrigger: Record<ReloadTrigger, number>;
  };
  connections: number;
  logFile: string;
  /** The daemon's memory, in bytes (process.memoryUsage()). */
  memory: { rss: number; heapUsed: number; heapTotal: number; external: number };
  /** The local credential proxy; null when `proxy.enabled` is not set. */
  proxy: ProxyStatus | null;
}

/** The local credential proxy as `gateway status` shows it. */
export interface ProxyStatus {
  enabled: boolean;
  /** Where it listens (`http://127.0.0.1:<port>`), or null when it could not start. */
  url: string | null;
  /** Requests answered since the daemon started (refused ones included). */
  requests: number;
  /** Requests in progress now. */
  active: number;
  /** Why it is not listening as configured (a port in use, a refused host), or null. */
  error: string | null;
}

export interface ReloadResult {
  /** Paths whose content changed since the last load. */
  changed: string[];
  files: LoadedFileStatus[];
}

/** `reason`: why, for the log. */
export type ShutdownParams = Infer<typeof shutdownParams>;

// ---------------------------------------------------------------------------------------------
// models.status (§7.1)
// ---------------------------------------------------------------------------------------------

export type ProfileType = 'api_key' | 'token' | 'oauth';
export type ProfileStatus = 'ok' | 'expiring' | 'expired' | 'missing' | 'static' | 'cooldown' | 'disabled';
export type EnvSource = 'process' | 'dotenv' | 'config' | 'shell';

/**
 * §9's live probes: which (`provider`, `profile`, `profiles` from `--probe-profile a,b`), each bounded
 * by `timeoutMs`, `concurrency` at once, `maxTokens` per request.
 */
export type ProbeOptions = Infer<typeof probeOptions>;

/**
 * `probe` runs §9's live probes; `clientEnvNames` are names (never values) of the provider keys
 * set in the CLI's own environment, so the status can name those the daemon does not see.
 */
export type ModelsStatusParams = Infer<typeof modelsStatusParams>;

/** One probe's result (§9): never a secret; `error` is the provider's reason, sanitized. */
export interface ProbeResult {
  /** The profile probed, or null for the provider's env key (`envVar`). */
  profileId: string | null;
  envVar: string | null;
  provider: string;
  /** The model the probe asked for. */
  model: string;
  status: CallOutcome;
  latencyMs: number;
  error: string | null;
  /**
   * What to do about an outcome only a person can fix: "use an Anthropic API key instead" for
   * `credential_scope`; for a refused credential, how to replace it where it comes from.
   */
  remedy: string | null;
}

export interface ProfileStatusEntry {
  id: string;
  provider: string;
  /** The id, with the account's email or display name when known: `anthropic:work (me@example.com)` (OpenClaw's label). */
  label: string;
  type: ProfileType;
  /** The secret masked for display, or `ref(env:NAME)` / `ref(file:PATH)` / `ref(exec)`. */
  masked: string;
  status: ProfileStatus;
  expiresAt: number | null;
  remainingMs: number | null;
  cooldownUntil: number | null;
  /** Unix ms; `UNTIL_REPLACED_MS` (ipc/duration.ts) for a `credential_scope` disable, which lasts until the secret is replaced. */
  disabledUntil: number | null;
  /** Why it is in cooldown/disabled/missing, and for `credential_scope` the remedy. */
  reason: string | null;
  /** Whether this is the profile the next call for the provider will use. */
  next: boolean;
  lastGood: boolean;
  /** Set when the profile is not the agent's own but read through from this agent's store (§3, `main`). */
  inheritedFrom?: string;
  /** Set when another CLI owns the credential (read through from its file, refreshed only by it). */
  managedBy?: 'claude-cli' | 'codex-cli';
}

export interface EnvKeyStatus {
  var: string;
  source: EnvSource;
  /** The file, for `dotenv` (and `config`). */
  path: string | null;
  masked: string;
}

export interface ProviderStatusEntry {
  provider: string;
  effective: { kind: 'profile' | 'env' | 'missing'; detail: string };
  profiles: ProfileStatusEntry[];
  env: EnvKeyStatus | null;
  /** Whether the default or a fallback model needs this provider. */
  inUse: boolean;
  /** Which explicit order applies: the agent's override, config `auth.order`, or none. */
  orderSource: 'agent' | 'config' | 'round-robin';
  baseUrl: string | null;
}

export interface ModelsStatusResult {
  agent: string;
  /**
   * Every agent the gateway knows, sorted (the default one included): what a monitor needs to
   * check them all, from the same state as this answer. Absent from a daemon older than the CLI.
   */
  agents?: string[];
  authStore: string;
  defaultModel: string;
  fallbacks: string[];
  providers: ProviderStatusEntry[];
  missingProvidersInUse: string[];
  /**
   * Providers the default/fallback models need whose every credential is disabled (billing, a
   * revoked key, credential_scope), with no env key to fall back on: calls fail until the
   * earliest `until`. Absent from a daemon older than the CLI.
   */
  disabledProvidersInUse?: { provider: string; until: number; reasons: string[] }[];
  fileErrors: { path: string; message: string }[];
  /** What `--check` exits with: 0 ok, 1 expired/missing/disabled, 2 expiring. Present always. */
  check: 0 | 1 | 2;
  /** The window within which a token counts as expiring (config `auth.expiringWindowHours`). */
  expiringWindowMs: number;
  now: number;
  /** Provider key names the CLI has in its environment and the daemon does not see (from `clientEnvNames`). */
  envGap: string[];
  /** Present when `probe` was asked: one result per profile (and env key) probed, in status order. */
  probes?: ProbeResult[];
  /** The state dir's `.env`, where the daemon reads keys live. */
  envFile: string;
  // OpenClaw's `models status --json` fields, so scripts written for it keep working (§7.1).
  configPath: string;
  agentDir: string;
  /** The default model with an alias resolved: `provider/model`. */
  resolvedDefault: string;
  /** alias → model. */
  aliases: Record<string, string>;
  auth: OpenClawAuthStatus;
}

/** OpenClaw's `auth` object of `models status --json`, field for field; secrets masked. */
export interface OpenClawAuthStatus {
  storePath: string;
  shellEnvFallback: { enabled: boolean; appliedKeys: string[] };
  providersWithOAuth: string[];
  missingProvidersInUse: string[];
  providers: OpenClawProviderAuth[];
  unusableProfiles: { profileId: string; provider: string; kind: 'cooldown' | 'disabled'; reason?: string; until: number; remainingMs: number }[];
  oauth: {
    warnAfterMs: number;
    profiles: OpenClawProfileHealth[];
    providers: {
      provider: string;
      status: OpenClawHealthStatus;
      profiles: OpenClawProfileHealth[];
      effectiveProfiles: OpenClawProfileHealth[];
      expiresAt?: number;
      remainingMs?: number;
    }[];
  };
}

export type OpenClawHealthStatus = 'ok' | 'expiring' | 'expired' | 'missing' | 'static';

export interface OpenClawProviderAuth {
  provider: string;
  /** `profiles` when the agent's store holds any for the provider (detail: the store path), else `env` (detail: the masked key), else `missing`. */
  effective: { kind: 'profiles' | 'env' | 'missing'; detail: string };
  /** labels: `id=masked`, `id=token:masked`, `id=OAuth`, with ` [cooldown 5m]` / ` [disabled:billing 4h]` when unusable. */
  profiles: { count: number; oauth: number; token: number; apiKey: number; labels: string[] };
  /** `source`: `env: VAR`, or `shell env: VAR` for a key taken from the login shell. */
  env?: { value: string; source: string };
}

export interface OpenClawProfileHealth {
  profileId: string;
  provider: string;
  type: ProfileType;
  status: OpenClawHealthStatus;
  expiresAt?: number;
  remainingMs?: number;
  source: 'store';
  label: string;
}

// ---------------------------------------------------------------------------------------------
// auth.*, env.*, import.* (credential writes: SPEC §3 "Writes")
// ---------------------------------------------------------------------------------------------

/**
 * A secret held elsewhere (§3), OpenClaw's SecretRef contract: `provider` names an entry of
 * config `secrets.providers` (absent: `secrets.defaults.<source>`, else `default`); `id` is an
 * env var name (env), an RFC 6901 JSON pointer or `value` (file), or the id sent to the
 * resolver command (exec).
 */
export type SecretRef = Infer<typeof secretRef>;

/** The agent's profiles, optionally of one provider. */
export type AuthListParams = Infer<typeof authListParams>;

export interface AuthListResult {
  agent: string;
  authStore: string;
  profiles: ProfileStatusEntry[];
  /** The agent's order overrides by provider; with `provider`, that provider's only (like `profiles`). */
  order: Record<string, string[]>;
  // OpenClaw's names for the same things, so its scripts keep working.
  agentId: string;
  agentDir: string;
  storePath: string;
}

/** A profile to store; `replace` replaces an existing profile with a different secret (otherwise refused with CONFLICT). */
export type AuthUpsertParams = Infer<typeof authUpsertParams>;

export interface WriteResult {
  agent: string;
  /** The file written. */
  path: string;
  profileId?: string;
  /** Whether the write changed anything. */
  changed: boolean;
  /** Best-effort follow-ups that did not happen (e.g. the config did not parse). */
  warnings: string[];
  /** What a confirmed replacement replaced (masked); absent when nothing was replaced. */
  replaced?: { type: string; masked: string };
  /** The write created the agent (a write naming an unknown agent creates it, §3). */
  createdAgent?: boolean;
  /** Every file the write changed, first the one `path` names. */
  files?: string[];
}

/**
 * Adopt the credentials another CLI keeps (`method: 'cli'`): Claude Code's for `anthropic`, the
 * Codex CLI's for `openai-codex`. The profile (default `anthropic:claude-cli` /
 * `openai-codex:codex-cli`) reads that CLI's file through; `replace` replaces a different
 * credential at that id (otherwise CONFLICT).
 */
export type AuthAdoptParams = Infer<typeof authAdoptParams>;

export interface AuthAdoptResult extends WriteResult {
  profileId: string;
  managedBy: 'claude-cli' | 'codex-cli';
  /** The other CLI's credentials file, read through and watched, never written. */
  source: string;
  /** When its access token expires now (Unix ms), or null when unknown. */
  expiresAt: number | null;
}

/** The profile to delete. */
export type AuthRemoveParams = Infer<typeof authRemoveParams>;
/** The agent and provider of an order override. */
export type AuthOrderParams = Infer<typeof authOrderParams>;
/** The new order override (profile ids of the provider). */
export type AuthOrderSetParams = Infer<typeof authOrderSetParams>;

export interface AuthOrderResult {
  agent: string;
  provider: string;
  path: string;
  /** The agent's override, or null when none is stored. */
  order: string[] | null;
  /** The order a call would use now, after config `auth.order` and round robin. */
  effective: string[];
  // OpenClaw's names, so its scripts keep working.
  agentId: string;
  agentDir: string;
}

/** `replace`: replace a different value already there (otherwise refused with CONFLICT). */
export type EnvSetParams = Infer<typeof envSetParams>;
/** The key to remove from `.env`. */
export type EnvUnsetParams = Infer<typeof envUnsetParams>;
/** Where OpenClaw's state is (`from`, default ~/.openclaw), whether only to show (`dryRun`), and `force` to replace conflicts. */
export type ImportOpenClawParams = Infer<typeof importOpenClawParams>;

export interface ImportOpenClawResult {
  from: string;
  dryRun: boolean;
  /**
   * `config-order`: OpenClaw's `auth.order` (openclaw.json) into opensoul.json; `secret-provider`: its
   * `secrets.providers.<name>` (where SecretRefs are resolved); `usage`: lastGood/usageStats into auth-state.json.
   */
  items: {
    agent: string;
    kind: 'profile' | 'order' | 'config-order' | 'secret-provider' | 'usage' | 'env';
    id: string;
    action: 'added' | 'unchanged' | 'replaced' | 'conflict' | 'skipped';
    note?: string;
  }[];
  warnings: string[];
  /** False when anything was (or, in a dry run, would be) left behind: a conflict, a skipped item, a source part that could not be read. */
  complete: boolean;
}

// ---------------------------------------------------------------------------------------------
// auth.resolve / auth.report (§8)
// ---------------------------------------------------------------------------------------------

/** The call to resolve for: agent, provider, and optionally the session (its pin applies) and model (model-scoped cooldowns). */
export type AuthResolveParams = Infer<typeof authResolveParams>;

export interface AuthResolveResult {
  provider: string;
  /** The profile used, or null when the provider's env key is used. */
  profileId: string | null;
  type: ProfileType;
  /** The secret itself: the only result that carries one. */
  secret: string;
  source: 'profile' | 'env';
  envVar: string | null;
  baseUrl: string;
  /** The session's user pin chose it: a failure on it is reported, never rotated away from. */
  pinned: boolean;
}

/**
 * How a provider call went (§8.2, §9), written once. `model_not_found` (a 404: the model, not the
 * credential, is wrong) and `timeout`/`network` never count against a profile.
 */
export const CALL_OUTCOMES = [
  'ok',
  'rate_limit',
  'overloaded',
  'auth',
  'auth_permanent',
  'billing',
  'timeout',
  'format',
  'credential_scope',
  'model_not_found',
  'network',
  'unknown',
] as const;
export type CallOutcome = (typeof CALL_OUTCOMES)[number];

/**
 * The outcome of a call made with a profile; `model` scopes a rate limit to that model; `retryAfterMs`
 * (the provider's Retry-After) sets the cooldown's length.
 */
export type AuthReportParams = Infer<typeof authReportParams>;

// ---------------------------------------------------------------------------------------------
// auth.login.* (OAuth, §13)
// ---------------------------------------------------------------------------------------------

/**
 * Start an OAuth login: `deviceCode` asks for the device flow (RFC 8628); a provider that offers
 * only that gets it anyway. `profileId` overrides the id the account would give
 * (`<provider>:<email>`, else `<provider>:default`); `setDefault` puts it first in the agent's
 * order; `replace` replaces a different credential at that id (`--force`).
 */
export type AuthLoginStartParams = Infer<typeof authLoginStartParams>;

/** A login in progress, as the CLI shows it. Never carries the verifier, the state or a token. */
export interface AuthLoginStartResult {
  loginId: string;
  provider: string;
  kind: 'browser' | 'device';
  /** Browser: the authorization URL to open. Device: the verification URL with the code in it, when the provider gives one. */
  url?: string;
  /** Device: the code the person enters. */
  userCode?: string;
  /** Device: where the person enters it. */
  verificationUri?: string;
  /** Unix ms: the login is dropped after this. */
  expiresAt: number;
  /** Device: the poll interval, seconds. */
  interval?: number;
  /** Browser: the daemon listens for the redirect on 127.0.0.1 (`loopback`), or the person pastes it (`paste`). */
  redirect?: 'loopback' | 'paste';
  /** Browser: the redirect URI in the authorization request. */
  redirectUri?: string;
  /** Something the person should know (a fixed callback port taken by another program). */
  warning?: string;
}

/**
 * Wait for a login (bounded by `waitMs`, default and at most 5 minutes), or finish it with a pasted
 * redirect URL / `code#state`; `replace` confirms replacing a different credential after a CONFLICT.
 */
export type AuthLoginCompleteParams = Infer<typeof authLoginCompleteParams>;

/** Still waiting (call again), or done: the write's result with the profile it stored. */
export type AuthLoginCompleteResult =
  | { status: 'pending'; loginId: string; expiresAt: number }
  | (WriteResult & { status: 'done'; profileId: string; email?: string; credentialType: 'oauth' | 'token'; expires: number | null; setDefault: boolean });

/** The login to cancel. */
export type AuthLoginCancelParams = Infer<typeof authLoginCancelParams>;

// ---------------------------------------------------------------------------------------------
// sessions, chat, doctor, events
// ---------------------------------------------------------------------------------------------

/** A chat line for a session (`/model …`, `/new`, `/help`). */
export type SessionCommandParams = Infer<typeof sessionCommandParams>;

/** A session as the daemon holds it. */
export interface SessionView {
  id: string;
  agent: string;
  /** The model the next turn uses: `provider/model`. */
  model: string;
  provider: string;
  /** The user's pinned profile (`/model …@id`): locked, never rotated away from. */
  pin: string | null;
}

export interface SessionCommandResult {
  reply: string;
  /** False when the line is not a command: the caller sends it as a chat message. */
  handled: boolean;
  /** False when the command was refused (an unknown model or profile, a profile of another provider, an unknown command): the reply says why. */
  ok: boolean;
  session: SessionView;
}

/** A user message for a session's model; `turnId` (the client's) names the turn for `chat.cancel` and the streamed events. */
export type ChatSendParams = Infer<typeof chatSendParams>;

/** One try of a turn with one credential. */
export interface ChatAttempt {
  profileId: string | null;
  envVar: string | null;
  outcome: CallOutcome;
  /** The provider's HTTP status, when it answered. */
  status: number | null;
  /** Why it failed (sanitized, never a secret); null on success. */
  message: string | null;
}

export interface ChatSendResult {
  turnId: string;
  reply: string;
  provider: string;
  model: string;
  /** The profile that answered, or null for the env key (`envVar`). */
  profileId: string | null;
  envVar: string | null;
  /** Every credential tried, in order; more than one when the first failed over. */
  attempts: ChatAttempt[];
  usage: { inputTokens: number | null; outputTokens: number | null };
  stopReason: string | null;
  /** The turn was cancelled (`chat.cancel`, or the client went away); `reply` is what arrived before. */
  cancelled: boolean;
  session: SessionView;
  /** What the person must be told, once: a pinned profile that was removed (the agent's order used instead). Absent from an older daemon. */
  notes?: string[];
}

/**
 * Pushed to the connection that sent `chat.send` while its turn runs (method `chat.event`):
 * `attempt` when a credential is tried, `delta` for each piece of the reply, `failover` when a
 * credential failed and the next is tried.
 */
export type ChatEvent =
  | { turnId: string; type: 'attempt'; profileId: string | null; envVar: string | null; model: string }
  | { turnId: string; type: 'delta'; text: string }
  | { turnId: string; type: 'failover'; profileId: string | null; outcome: CallOutcome; message: string | null };

/** The JSON-RPC method name of a chat turn's pushed events. */
export const CHAT_EVENT_METHOD = 'chat.event';

/** Cancel a session's running turn (`turnId`: only that one). */
export type ChatCancelParams = Infer<typeof chatCancelParams>;

/** The credentials `opensoul exec` puts in a child's environment: of these providers, or every provider the agent has one for. */
export type ExecCredentialsParams = Infer<typeof execCredentialsParams>;

/** One environment variable for the child: the only result besides auth.resolve that carries a secret. */
export interface ExecVariable {
  name: string;
  value: string;
  provider: string;
  profileId: string | null;
  source: 'profile' | 'env';
}

export interface ExecCredentialsResult {
  agent: string;
  variables: ExecVariable[];
  /** Providers asked for (or found) that have no usable credential, with why. */
  missing: { provider: string; reason: string }[];
  /**
   * Other variables of the same providers that the child must not inherit from the caller's
   * environment, since a tool would take one of them over the one set (Claude Code prefers
   * ANTHROPIC_API_KEY to CLAUDE_CODE_OAUTH_TOKEN). Absent from a daemon older than the CLI.
   */
  unset?: { name: string; provider: string }[];
  /** What the person must be told, once: the session's pinned profile was removed (the agent's order used instead). Absent from an older daemon. */
  notes?: string[];
}

/** A proxy key to create: for an agent (default: the default agent), some providers (default: all), until a time (default: no expiry). */
export type ProxyKeyCreateParams = Infer<typeof proxyKeyCreateParams>;

/** A proxy key as listed: never the key, never its hash. */
export interface ProxyKeyInfo {
  id: string;
  agent: string;
  /** The providers it may use; null = every provider. */
  providers: string[] | null;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  expired: boolean;
  /**
   * An `exec --proxy` key that lives as long as its run: it is revoked when the `opensoul exec`
   * holding it ends, however it ends. Absent from a daemon older than the CLI.
   */
  held?: boolean;
}

/** A new proxy key: `key` is shown this once (it is stored hashed). */
export interface ProxyKeyCreateResult extends ProxyKeyInfo {
  key: string;
}

export interface ProxyKeyListResult {
  keys: ProxyKeyInfo[];
  file: string;
}

export type ProxyKeyRevokeParams = Infer<typeof proxyKeyRevokeParams>;

/**
 * The environment of `opensoul exec --proxy`: a key for these providers (default: all). With
 * `hold`, the key lives while the calling connection does (or one that holds it again after a
 * reconnect, `proxy.key.hold`), and `ttlMs`, if given, caps it; without, it lives `ttlMs`
 * (default 1 h).
 */
export type ProxyEnvParams = Infer<typeof proxyEnvParams>;

export interface ProxyEnvResult {
  /** `ANTHROPIC_BASE_URL`, `OPENAI_BASE_URL` and the key under `ANTHROPIC_API_KEY` / `OPENAI_API_KEY`. */
  variables: { name: string; value: string }[];
  keyId: string;
  /** Null for a held key without a cap: it ends with its run. */
  expiresAt: number | null;
  url: string;
}

export type ProxyKeyHoldParams = Infer<typeof proxyKeyHoldParams>;

export type CheckStatus = 'ok' | 'warn' | 'error';

export interface DoctorCheck {
  id: string;
  status: CheckStatus;
  message: string;
  fix: string | null;
  fixed: boolean;
}

/** `fix` applies the safe fixes; `clientEnvNames` are names (never values) of provider keys set in the CLI's environment, for the env-gap check. */
export type DoctorRunParams = Infer<typeof doctorRunParams>;

export interface DoctorRunResult {
  checks: DoctorCheck[];
}

/** The events of `events.subscribe`, written once. */
export const EVENT_NAMES = ['state.reloaded', 'store.error', 'profile.cooldown', 'token.expiring'] as const;
export type EventName = (typeof EVENT_NAMES)[number];

/** The events to receive (default: all). */
export type EventsSubscribeParams = Infer<typeof eventsSubscribeParams>;

const secretRef = v.object({
  source: v.literal('env', 'file', 'exec'),
  provider: v.optional(v.string({ pattern: /^[a-z][a-z0-9_-]{0,63}$/, patternName: 'a secret provider name' })),
  id: v.string({ minLength: 1, maxLength: 4096 }),
});
const secretText = v.string({ minLength: 1, maxLength: 16384 });
const outcome = v.literal(...CALL_OUTCOMES);
const eventName = v.literal(...EVENT_NAMES);
const envKey = v.string({ pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, patternName: 'an environment variable name' });
const email = v.optional(v.string({ maxLength: 320 }));
// eslint-disable-next-line no-control-regex -- refusing control characters is the point: ids end up in replies and files
const sessionId = v.string({ minLength: 1, maxLength: 200, pattern: /^[^\u0000-\u001f\u007f]+$/, patternName: 'a session id without control characters' });
const modelRef = v.string({ minLength: 1, maxLength: 200 });
const turnId = v.string({ minLength: 1, maxLength: 100, pattern: /^[A-Za-z0-9._-]+$/, patternName: 'a turn id (letters, digits, . _ -)' });

const credential = v.oneOf(
  'an api_key, token or oauth credential',
  v.object({ type: v.literal('api_key'), key: v.optional(secretText), keyRef: v.optional(secretRef), email }),
  v.object({
    type: v.literal('token'),
    token: v.optional(secretText),
    tokenRef: v.optional(secretRef),
    expires: v.optional(v.number({ integer: true, min: 0 })),
    email,
  }),
  v.object({
    type: v.literal('oauth'),
    access: secretText,
    refresh: secretText,
    expires: v.number({ integer: true, min: 0 }),
    email,
    accountId: v.optional(v.string({ maxLength: 256 })),
  }),
);

const helloParams = v.object({ token: v.string({ minLength: 1, maxLength: 256 }), clientVersion: v.string({ maxLength: 64 }) });
const shutdownParams = v.paramsObject({ reason: v.optional(v.string({ maxLength: 200 })) });
const probeOptions = v.object({
  provider: v.optional(providerId),
  profile: v.optional(profileId),
  profiles: v.optional(v.array(profileId, { max: 100 })),
  timeoutMs: v.optional(v.number({ integer: true, min: 1, max: 600000 })),
  concurrency: v.optional(v.number({ integer: true, min: 1, max: 64 })),
  maxTokens: v.optional(v.number({ integer: true, min: 1, max: 4096 })),
});
const modelsStatusParams = v.paramsObject({
  agent: v.optional(agentId),
  probe: v.optional(probeOptions),
  // Names only: the validator takes nothing but environment variable names, so no value can ride along.
  clientEnvNames: v.optional(v.array(envKey, { max: 200 })),
});
const authListParams = v.paramsObject({ agent: v.optional(agentId), provider: v.optional(providerId) });
const authUpsertParams = v.object({ agent: v.optional(agentId), profileId, credential, replace: v.optional(v.boolean()) });
const authRemoveParams = v.object({ agent: v.optional(agentId), profileId });
const authAdoptParams = v.object({
  agent: v.optional(agentId),
  provider: providerId,
  method: v.literal('cli'),
  profileId: v.optional(profileId),
  replace: v.optional(v.boolean()),
});
const authOrderParams = v.object({ agent: v.optional(agentId), provider: providerId });
const authOrderSetParams = v.object({ agent: v.optional(agentId), provider: providerId, order: v.array(profileId, { max: 100 }) });
const envSetParams = v.object({ key: envKey, value: secretText, replace: v.optional(v.boolean()) });
const envUnsetParams = v.object({ key: envKey });
const importOpenClawParams = v.paramsObject({
  from: v.optional(v.string({ minLength: 1, maxLength: 4096 })),
  dryRun: v.optional(v.boolean()),
  force: v.optional(v.boolean()),
});
const authResolveParams = v.object({ agent: v.optional(agentId), provider: providerId, session: v.optional(sessionId), model: v.optional(modelRef) });
const authReportParams = v.object({
  agent: v.optional(agentId),
  profileId,
  outcome,
  model: v.optional(modelRef),
  retryAfterMs: v.optional(v.number({ integer: true, min: 0, max: 86_400_000 })),
});
/** The longest chat line. A `session.command` line may be a message (a `/path …` is not a command), so both take as much. */
const MAX_CHAT_LINE = 262144;
const sessionCommandParams = v.object({ agent: v.optional(agentId), session: sessionId, line: v.string({ maxLength: MAX_CHAT_LINE }) });
const chatSendParams = v.object({
  agent: v.optional(agentId),
  session: sessionId,
  message: v.string({ minLength: 1, maxLength: MAX_CHAT_LINE }),
  turnId: v.optional(turnId),
  maxTokens: v.optional(v.number({ integer: true, min: 1, max: 65536 })),
});
const chatCancelParams = v.object({ agent: v.optional(agentId), session: sessionId, turnId: v.optional(turnId) });
const execCredentialsParams = v.paramsObject({
  agent: v.optional(agentId),
  providers: v.optional(v.array(providerId, { max: 50 })),
  session: v.optional(sessionId),
});
// eslint-disable-next-line no-control-regex -- labels are shown in lists: no control characters
const proxyKeyLabel = v.string({ minLength: 1, maxLength: 100, pattern: /^[^\u0000-\u001f\u007f]+$/, patternName: 'a label without control characters' });
const proxyKeyCreateParams = v.paramsObject({
  agent: v.optional(agentId),
  providers: v.optional(v.array(providerId, { max: 50 })),
  expiresInMs: v.optional(v.number({ integer: true, min: 1000, max: 366 * 86_400_000 })),
  label: v.optional(proxyKeyLabel),
});
const proxyKeyIdParam = v.string({ pattern: /^pk-[0-9a-f]{12}$/, patternName: 'a proxy key id such as pk-0123456789ab' });
const proxyKeyRevokeParams = v.object({ id: proxyKeyIdParam });
const proxyKeyHoldParams = v.object({ id: proxyKeyIdParam });
const proxyEnvParams = v.paramsObject({
  agent: v.optional(agentId),
  providers: v.optional(v.array(providerId, { max: 50 })),
  ttlMs: v.optional(v.number({ integer: true, min: 1000, max: 30 * 86_400_000 })),
  hold: v.optional(v.boolean()),
});
const doctorRunParams = v.paramsObject({ fix: v.optional(v.boolean()), clientEnvNames: v.optional(v.array(envKey, { max: 200 })) });
const eventsSubscribeParams = v.paramsObject({ events: v.optional(v.array(eventName, { max: 10 })) });

const loginId = v.string({ minLength: 1, maxLength: 100, pattern: /^login-[A-Za-z0-9_-]{1,80}$/, patternName: 'a login id' });
const authLoginStartParams = v.object({
  agent: v.optional(agentId),
  provider: providerId,
  profileId: v.optional(profileId),
  deviceCode: v.optional(v.boolean()),
  setDefault: v.optional(v.boolean()),
  replace: v.optional(v.boolean()),
});
const authLoginCompleteParams = v.object({
  loginId,
  pasted: v.optional(v.string({ minLength: 1, maxLength: 8192 })),
  replace: v.optional(v.boolean()),
  waitMs: v.optional(v.number({ integer: true, min: 0, max: 300_000 })),
});
const authLoginCancelParams = v.object({ loginId });

/** Error kinds every write may answer. */
const WRITE_ERRORS = ['STORE_INVALID', 'LOCKED', 'UNSAFE_LINK'] as const satisfies readonly ErrorKind[];

/** Every RPC method of SPEC §6. */
export const methods = {
  hello: method<HelloResult>()('gateway.hello', helloParams, 'Authenticate the connection; returns the daemon version, pid and state dir.', ['UNAUTHORIZED']),
  gatewayStatus: method<GatewayStatusResult>()(
    'gateway.status',
    v.none(),
    'pid, uptime, version, state dir, socket, files loaded, reload counts, last reload time.',
  ),
  gatewayReload: method<ReloadResult>()('gateway.reload', v.none(), 'Reload every file now.'),
  gatewayShutdown: method<{ stopping: true }>()('gateway.shutdown', shutdownParams, 'Stop cleanly.'),
  modelsStatus: method<ModelsStatusResult>()('models.status', modelsStatusParams, 'The credential status of an agent (§7.1); `probe` runs live probes (§9).', [
    'AGENT_NOT_FOUND',
    'PROVIDER_UNKNOWN',
    'PROFILE_NOT_FOUND',
  ]),
  authList: method<AuthListResult>()('auth.list', authListParams, 'Profiles of an agent, without secrets.', ['AGENT_NOT_FOUND', 'PROVIDER_UNKNOWN']),
  authUpsert: method<WriteResult>()(
    'auth.upsert',
    authUpsertParams,
    'Add a profile; the same credential is unchanged, a different secret at that id is CONFLICT unless `replace`; the secret is shape-checked first.',
    ['CONFLICT', 'SECRET_SHAPE', 'INVALID_INPUT', 'PROVIDER_UNKNOWN', ...WRITE_ERRORS],
  ),
  authAdopt: method<AuthAdoptResult>()(
    'auth.adopt',
    authAdoptParams,
    "Store a profile that reads another CLI's OAuth credentials through (Claude Code, Codex CLI): " +
      'nothing secret is copied; the gateway watches that file and never refreshes it.',
    ['CONFLICT', 'INVALID_INPUT', 'PROVIDER_UNKNOWN', ...WRITE_ERRORS],
  ),
  authRemove: method<WriteResult>()('auth.remove', authRemoveParams, 'Delete a profile and its order and state entries.', [
    'AGENT_NOT_FOUND',
    'PROFILE_NOT_FOUND',
    'PROFILE_INHERITED',
    ...WRITE_ERRORS,
  ]),
  authOrderGet: method<AuthOrderResult>()('auth.order.get', authOrderParams, "The agent's order override for a provider.", [
    'AGENT_NOT_FOUND',
    'PROVIDER_UNKNOWN',
  ]),
  authOrderSet: method<AuthOrderResult>()('auth.order.set', authOrderSetParams, "Set the agent's order override for a provider.", [
    'AGENT_NOT_FOUND',
    'PROVIDER_UNKNOWN',
    'PROFILE_NOT_FOUND',
    'INVALID_INPUT',
    ...WRITE_ERRORS,
  ]),
  authOrderClear: method<AuthOrderResult>()('auth.order.clear', authOrderParams, "Remove the agent's order override for a provider.", [
    'AGENT_NOT_FOUND',
    'PROVIDER_UNKNOWN',
    ...WRITE_ERRORS,
  ]),
  authLoginStart: method<AuthLoginStartResult>()(
    'auth.login.start',
    authLoginStartParams,
    'Start an OAuth login (authorization code with PKCE, or the device flow); returns the URL or user code to show. Never returns the verifier.',
    ['INVALID_INPUT', 'LOGIN_FAILED'],
  ),
  authLoginComplete: method<AuthLoginCompleteResult>()(
    'auth.login.complete',
    authLoginCompleteParams,
    'Wait for a login (bounded; call again while pending) or finish it with a pasted redirect URL or code#state; ' +
      'stores the profile (a different credential at that id is CONFLICT unless `replace`).',
    ['INVALID_INPUT', 'LOGIN_FAILED', 'CONFLICT', 'PROVIDER_UNKNOWN', 'PROFILE_NOT_FOUND', ...WRITE_ERRORS],
  ),
  authLoginCancel: method<{ cancelled: boolean }>()(
    'auth.login.cancel',
    authLoginCancelParams,
    'Cancel a login in progress: its callback listener closes and nothing is stored.',
  ),
  envSet: method<WriteResult>()(
    'env.set',
    envSetParams,
    "Write a key in the state dir's .env, in place; a different value already there is CONFLICT unless `replace`.",
    ['CONFLICT', 'SECRET_SHAPE', 'ENV_UNSAFE_EDIT', ...WRITE_ERRORS],
  ),
  envUnset: method<WriteResult>()('env.unset', envUnsetParams, "Remove a key from the state dir's .env.", ['ENV_UNSAFE_EDIT', ...WRITE_ERRORS]),
  importOpenClaw: method<ImportOpenClawResult>()('import.openclaw', importOpenClawParams, "Copy OpenClaw's profiles, order and .env keys into OpenSoul.", [
    'INVALID_INPUT',
    ...WRITE_ERRORS,
  ]),
  authResolve: method<AuthResolveResult>()('auth.resolve', authResolveParams, 'The credential a call must use now (§8), refreshing OAuth first when due.', [
    'AGENT_NOT_FOUND',
    'PROVIDER_UNKNOWN',
    'NO_CREDENTIALS',
  ]),
  authReport: method<{ ok: true }>()('auth.report', authReportParams, 'The outcome of a call made with a profile: cooldowns, lastGood, lastUsed.', [
    'AGENT_NOT_FOUND',
    'PROFILE_NOT_FOUND',
  ]),
  sessionCommand: method<SessionCommandResult>()(
    'session.command',
    sessionCommandParams,
    'A chat line such as /model … for a session; returns the reply text.',
    ['AGENT_NOT_FOUND', ...WRITE_ERRORS],
  ),
  chatSend: method<ChatSendResult>()(
    'chat.send',
    chatSendParams,
    "Send a user message through the provider with the session's model and credential; the reply streams as chat.event notifications.",
    ['AGENT_NOT_FOUND', 'PROVIDER_UNKNOWN', 'NO_CREDENTIALS', 'PROVIDER_FAILED', 'CONFLICT'],
  ),
  chatCancel: method<{ cancelled: boolean }>()('chat.cancel', chatCancelParams, "Cancel a session's running turn (the upstream request is aborted).", [
    'AGENT_NOT_FOUND',
  ]),
  execCredentials: method<ExecCredentialsResult>()(
    'exec.credentials',
    execCredentialsParams,
    'The environment variables `opensoul exec` gives its child: the resolved credential of each provider.',
    ['AGENT_NOT_FOUND', 'PROVIDER_UNKNOWN', 'NO_CREDENTIALS', 'INVALID_INPUT'],
  ),
  proxyKeyCreate: method<ProxyKeyCreateResult>()(
    'proxy.key.create',
    proxyKeyCreateParams,
    'Create a local proxy key (scoped to an agent, optionally to providers and an expiry); the key is returned this once.',
    ['AGENT_NOT_FOUND', 'PROVIDER_UNKNOWN', ...WRITE_ERRORS],
  ),
  proxyKeyList: method<ProxyKeyListResult>()('proxy.key.list', v.none(), 'The proxy keys: id, scope, expiry; never the keys.'),
  proxyKeyRevoke: method<{ id: string; revoked: true }>()(
    'proxy.key.revoke',
    proxyKeyRevokeParams,
    'Revoke a proxy key: the next request with it is refused.',
    ['INVALID_INPUT', ...WRITE_ERRORS],
  ),
  proxyEnv: method<ProxyEnvResult>()(
    'proxy.env',
    proxyEnvParams,
    'The environment of `opensoul exec --proxy`: the proxy URLs and a proxy key for this run instead of provider secrets.',
    ['AGENT_NOT_FOUND', 'PROVIDER_UNKNOWN', 'INVALID_INPUT', ...WRITE_ERRORS],
  ),
  proxyKeyHold: method<{ id: string; held: true }>()(
    'proxy.key.hold',
    proxyKeyHoldParams,
    'Hold an `exec --proxy` key again after a reconnect: it lives while this connection does.',
    ['INVALID_INPUT'],
  ),
  doctorRun: method<DoctorRunResult>()('doctor.run', doctorRunParams, 'The daemon-side checks of §11, optionally fixing the safe ones.'),
  eventsSubscribe: method<{ subscribed: EventName[] }>()(
    'events.subscribe',
    eventsSubscribeParams,
    'Receive notifications: state.reloaded, store.error, profile.cooldown, token.expiring.',
  ),
} as const;

export type Methods = typeof methods;
export type MethodKey = keyof Methods;
export type ParamsOf<K extends MethodKey> = Methods[K] extends Method<string, infer P, unknown> ? P : never;
export type ResultOf<K extends MethodKey> = Methods[K] extends Method<string, unknown, infer R> ? R : never;

/** Notifications the daemon pushes to subscribed connections. */
export interface EventNotification {
  event: EventName;
  at: number;
  data: Record<string, unknown>;
}
/** The JSON-RPC method name of a pushed event. */
export const EVENT_METHOD = 'events.notify';
