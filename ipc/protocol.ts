/**
 * The protocol: one typed table of every RPC method (SPEC §6), shared by the daemon and the CLI.
 * Each entry is a value — the literal method name, a runtime validator of its params, and (as
 * types) its params and result — so the CLI cannot call a method with the wrong shape
 * (`connection.call(methods.modelsStatus, {...})`) and the daemon's handler table, a mapped type
 * over this table, cannot forget a handler. Nobody writes a method string twice.
 */
import {
  AGENT_ID_PATTERN,
  PROFILE_ID_PATTERN,
  PROVIDER_ID_PATTERN,
} from './providers.js';
import * as v from './validate.js';
import type { Validator } from './validate.js';

/** A method: its wire name, a validator of its params, and its param/result types. */
export interface Method<Name extends string, Params, Result> {
  readonly name: Name;
  readonly params: Validator<Params>;
  /** One line on what it does, for `opensoul` developers and the README. */
  readonly doc: string;
  /** Type-only marker carrying the result type; never set at run time. */
  readonly __result?: Result;
}

function method<Params, Result>() {
  return <Name extends string>(name: Name, params: Validator<Params>, doc: string): Method<Name, Params, Result> => ({
    name,
    params,
    doc,
  });
}

const agentId = v.string({ pattern: AGENT_ID_PATTERN, patternName: 'an agent id (letters, digits, . _ -)' });
const providerId = v.string({ pattern: PROVIDER_ID_PATTERN, patternName: 'a provider id such as anthropic' });
const profileId = v.string({ pattern: PROFILE_ID_PATTERN, patternName: 'a profile id such as anthropic:default' });

// ---------------------------------------------------------------------------------------------
// gateway.*
// ---------------------------------------------------------------------------------------------

/** The first call of every connection (§5). */
export interface HelloParams {
  /** The contents of `<stateDir>/run/gateway.token`. */
  token: string;
  /** The CLI's version; a mismatch is reported by the CLI, never refused by the daemon. */
  clientVersion: string;
}

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
  kind: 'dotenv' | 'config' | 'auth-profiles' | 'auth-state' | 'legacy-auth';
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
}

export interface ReloadResult {
  /** Paths whose content changed since the last load. */
  changed: string[];
  files: LoadedFileStatus[];
}

export interface ShutdownParams {
  /** Why, for the log. */
  reason?: string;
}

// ---------------------------------------------------------------------------------------------
// models.status (§7.1)
// ---------------------------------------------------------------------------------------------

export type ProfileType = 'api_key' | 'token' | 'oauth';
export type ProfileStatus = 'ok' | 'expiring' | 'expired' | 'missing' | 'static' | 'cooldown' | 'disabled';
export type EnvSource = 'process' | 'dotenv' | 'config' | 'shell';

export interface ProbeOptions {
  provider?: string;
  profile?: string;
  /** Probe only these profiles (`--probe-profile a,b`, repeatable). */
  profiles?: string[];
  timeoutMs?: number;
  concurrency?: number;
  /** The `max_tokens` of each probe request. */
  maxTokens?: number;
}

export interface ModelsStatusParams {
  agent?: string;
  /** Run §9's live probes (a later capability; refused until then). */
  probe?: ProbeOptions;
  /**
   * Names (never values) of the provider keys set in the CLI's own environment, so the status can
   * name those the daemon does not see ("works in my shell, missing in the gateway").
   */
  clientEnvNames?: string[];
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
  authStore: string;
  defaultModel: string;
  fallbacks: string[];
  providers: ProviderStatusEntry[];
  missingProvidersInUse: string[];
  fileErrors: { path: string; message: string }[];
  /** What `--check` exits with: 0 ok, 1 expired/missing, 2 expiring. Present always. */
  check: 0 | 1 | 2;
  /** The window within which a token counts as expiring (config `auth.expiringWindowHours`). */
  expiringWindowMs: number;
  now: number;
  /** Provider key names the CLI has in its environment and the daemon does not see (from `clientEnvNames`). */
  envGap: string[];
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
    providers: { provider: string; status: OpenClawHealthStatus; profiles: OpenClawProfileHealth[]; effectiveProfiles: OpenClawProfileHealth[]; expiresAt?: number; remainingMs?: number }[];
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
export interface SecretRef {
  source: 'env' | 'file' | 'exec';
  provider?: string;
  id: string;
}

export interface AuthListParams {
  agent?: string;
  provider?: string;
}

export interface AuthListResult {
  agent: string;
  authStore: string;
  profiles: ProfileStatusEntry[];
  order: Record<string, string[]>;
  // OpenClaw's names for the same things, so its scripts keep working.
  agentId: string;
  agentDir: string;
  storePath: string;
}

export interface AuthUpsertParams {
  agent?: string;
  profileId: string;
  credential:
    | { type: 'api_key'; key?: string; keyRef?: SecretRef; email?: string }
    | { type: 'token'; token?: string; tokenRef?: SecretRef; expires?: number; email?: string }
    | { type: 'oauth'; access: string; refresh: string; expires: number; email?: string; accountId?: string };
  /** Replace an existing profile with a different secret (otherwise refused with CONFLICT). */
  replace?: boolean;
}

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

export interface AuthRemoveParams {
  agent?: string;
  profileId: string;
}

export interface AuthOrderParams {
  agent?: string;
  provider: string;
}

export interface AuthOrderSetParams extends AuthOrderParams {
  order: string[];
}

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

export interface EnvSetParams {
  key: string;
  value: string;
  /** Replace a different value already there (otherwise refused with CONFLICT). */
  replace?: boolean;
}

export interface EnvUnsetParams {
  key: string;
}

export interface ImportOpenClawParams {
  from?: string;
  dryRun?: boolean;
  force?: boolean;
}

export interface ImportOpenClawResult {
  from: string;
  dryRun: boolean;
  /**
   * `config-order`: OpenClaw's `auth.order` (openclaw.json) into opensoul.json; `secret-provider`: its
   * `secrets.providers.<name>` (where SecretRefs are resolved); `usage`: lastGood/usageStats into auth-state.json.
   */
  items: { agent: string; kind: 'profile' | 'order' | 'config-order' | 'secret-provider' | 'usage' | 'env'; id: string; action: 'added' | 'unchanged' | 'replaced' | 'conflict' | 'skipped'; note?: string }[];
  warnings: string[];
  /** False when anything was (or, in a dry run, would be) left behind: a conflict, a skipped item, a source part that could not be read. */
  complete: boolean;
}

// ---------------------------------------------------------------------------------------------
// auth.resolve / auth.report (§8)
// ---------------------------------------------------------------------------------------------

export interface AuthResolveParams {
  agent?: string;
  provider: string;
  session?: string;
}

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
}

export type CallOutcome =
  | 'ok'
  | 'rate_limit'
  | 'overloaded'
  | 'auth'
  | 'auth_permanent'
  | 'billing'
  | 'timeout'
  | 'format'
  | 'credential_scope'
  | 'network'
  /** The provider does not know the model (HTTP 404): the model id is wrong, not the credential. */
  | 'model_not_found'
  | 'unknown';

export interface AuthReportParams {
  agent?: string;
  profileId: string;
  outcome: CallOutcome;
  model?: string;
}

// ---------------------------------------------------------------------------------------------
// sessions, chat, doctor, events
// ---------------------------------------------------------------------------------------------

export interface SessionCommandParams {
  agent?: string;
  session: string;
  line: string;
}

export interface ChatSendParams {
  agent?: string;
  session: string;
  message: string;
}

export type CheckStatus = 'ok' | 'warn' | 'error';

export interface DoctorCheck {
  id: string;
  status: CheckStatus;
  message: string;
  fix: string | null;
  fixed: boolean;
}

export interface DoctorRunParams {
  fix?: boolean;
  /** Names (never values) of provider keys set in the CLI's environment, for the env-gap check. */
  clientEnvNames?: string[];
}

export interface DoctorRunResult {
  checks: DoctorCheck[];
}

export type EventName = 'state.reloaded' | 'store.error' | 'profile.cooldown' | 'token.expiring';

export interface EventsSubscribeParams {
  events?: EventName[];
}

const secretRef = v.object({
  source: v.literal('env', 'file', 'exec'),
  provider: v.optional(v.string({ pattern: /^[a-z][a-z0-9_-]{0,63}$/, patternName: 'a secret provider name' })),
  id: v.string({ minLength: 1, maxLength: 4096 }),
});
const secretText = v.string({ minLength: 1, maxLength: 16384 });
const outcome = v.literal('ok', 'rate_limit', 'overloaded', 'auth', 'auth_permanent', 'billing', 'timeout', 'format', 'credential_scope', 'network', 'model_not_found', 'unknown');
const eventName = v.literal('state.reloaded', 'store.error', 'profile.cooldown', 'token.expiring');
const envKey = v.string({ pattern: /^[A-Za-z_][A-Za-z0-9_]{0,127}$/, patternName: 'an environment variable name' });

const credential = v.oneOf<AuthUpsertParams['credential']>(
  'an api_key, token or oauth credential',
  v.object({ type: v.literal('api_key'), key: v.optional(secretText), keyRef: v.optional(secretRef), email: v.optional(v.string({ maxLength: 320 })) }),
  v.object({
    type: v.literal('token'),
    token: v.optional(secretText),
    tokenRef: v.optional(secretRef),
    expires: v.optional(v.number({ integer: true, min: 0 })),
    email: v.optional(v.string({ maxLength: 320 })),
  }),
  v.object({
    type: v.literal('oauth'),
    access: secretText,
    refresh: secretText,
    expires: v.number({ integer: true, min: 0 }),
    email: v.optional(v.string({ maxLength: 320 })),
    accountId: v.optional(v.string({ maxLength: 256 })),
  }),
);

/** Every RPC method of SPEC §6. */
export const methods = {
  hello: method<HelloParams, HelloResult>()(
    'gateway.hello',
    v.object({ token: v.string({ minLength: 1, maxLength: 256 }), clientVersion: v.string({ maxLength: 64 }) }),
    'Authenticate the connection; returns the daemon version, pid and state dir.',
  ),
  gatewayStatus: method<Record<string, never>, GatewayStatusResult>()(
    'gateway.status',
    v.none(),
    'pid, uptime, version, state dir, socket, files loaded, reload counts, last reload time.',
  ),
  gatewayReload: method<Record<string, never>, ReloadResult>()('gateway.reload', v.none(), 'Reload every file now.'),
  gatewayShutdown: method<ShutdownParams, { stopping: true }>()(
    'gateway.shutdown',
    v.paramsObject({ reason: v.optional(v.string({ maxLength: 200 })) }),
    'Stop cleanly.',
  ),
  modelsStatus: method<ModelsStatusParams, ModelsStatusResult>()(
    'models.status',
    v.paramsObject({
      agent: v.optional(agentId),
      probe: v.optional(
        v.object({
          provider: v.optional(providerId),
          profile: v.optional(profileId),
          profiles: v.optional(v.array(profileId, { max: 100 })),
          timeoutMs: v.optional(v.number({ integer: true, min: 1, max: 600000 })),
          concurrency: v.optional(v.number({ integer: true, min: 1, max: 64 })),
          maxTokens: v.optional(v.number({ integer: true, min: 1, max: 4096 })),
        }),
      ),
      // Names only: the validator takes nothing but environment variable names, so no value can ride along.
      clientEnvNames: v.optional(v.array(envKey, { max: 200 })),
    }),
    'The credential status of an agent (§7.1); `probe` runs live probes (§9).',
  ),
  authList: method<AuthListParams, AuthListResult>()(
    'auth.list',
    v.paramsObject({ agent: v.optional(agentId), provider: v.optional(providerId) }),
    'Profiles of an agent, without secrets.',
  ),
  authUpsert: method<AuthUpsertParams, WriteResult>()(
    'auth.upsert',
    v.object({ agent: v.optional(agentId), profileId, credential, replace: v.optional(v.boolean()) }),
    'Add a profile; the same credential is unchanged, a different secret at that id is CONFLICT unless `replace`; the secret is shape-checked first.',
  ),
  authRemove: method<AuthRemoveParams, WriteResult>()(
    'auth.remove',
    v.object({ agent: v.optional(agentId), profileId }),
    'Delete a profile and its order and state entries.',
  ),
  authOrderGet: method<AuthOrderParams, AuthOrderResult>()(
    'auth.order.get',
    v.object({ agent: v.optional(agentId), provider: providerId }),
    "The agent's order override for a provider.",
  ),
  authOrderSet: method<AuthOrderSetParams, AuthOrderResult>()(
    'auth.order.set',
    v.object({ agent: v.optional(agentId), provider: providerId, order: v.array(profileId, { max: 100 }) }),
    "Set the agent's order override for a provider.",
  ),
  authOrderClear: method<AuthOrderParams, AuthOrderResult>()(
    'auth.order.clear',
    v.object({ agent: v.optional(agentId), provider: providerId }),
    "Remove the agent's order override for a provider.",
  ),
  envSet: method<EnvSetParams, WriteResult>()(
    'env.set',
    v.object({ key: envKey, value: secretText, replace: v.optional(v.boolean()) }),
    "Write a key in the state dir's .env, in place; a different value already there is CONFLICT unless `replace`.",
  ),
  envUnset: method<EnvUnsetParams, WriteResult>()('env.unset', v.object({ key: envKey }), "Remove a key from the state dir's .env."),
  importOpenClaw: method<ImportOpenClawParams, ImportOpenClawResult>()(
    'import.openclaw',
    v.paramsObject({ from: v.optional(v.string({ minLength: 1, maxLength: 4096 })), dryRun: v.optional(v.boolean()), force: v.optional(v.boolean()) }),
    "Copy OpenClaw's profiles, order and .env keys into OpenSoul.",
  ),
  authResolve: method<AuthResolveParams, AuthResolveResult>()(
    'auth.resolve',
    v.object({ agent: v.optional(agentId), provider: providerId, session: v.optional(v.string({ minLength: 1, maxLength: 200 })) }),
    'The credential a call must use now (§8), refreshing OAuth first when due.',
  ),
  authReport: method<AuthReportParams, { ok: true }>()(
    'auth.report',
    v.object({ agent: v.optional(agentId), profileId, outcome, model: v.optional(v.string({ maxLength: 200 })) }),
    'The outcome of a call made with a profile: cooldowns, lastGood, lastUsed.',
  ),
  sessionCommand: method<SessionCommandParams, { reply: string }>()(
    'session.command',
    v.object({ agent: v.optional(agentId), session: v.string({ minLength: 1, maxLength: 200 }), line: v.string({ maxLength: 4096 }) }),
    'A chat line such as /model … for a session; returns the reply text.',
  ),
  chatSend: method<ChatSendParams, { reply: string }>()(
    'chat.send',
    v.object({ agent: v.optional(agentId), session: v.string({ minLength: 1, maxLength: 200 }), message: v.string({ maxLength: 262144 }) }),
    "Send a user message through the provider with the session's model and credential.",
  ),
  doctorRun: method<DoctorRunParams, DoctorRunResult>()(
    'doctor.run',
    v.paramsObject({ fix: v.optional(v.boolean()), clientEnvNames: v.optional(v.array(envKey, { max: 200 })) }),
    "The daemon-side checks of §11, optionally fixing the safe ones.",
  ),
  eventsSubscribe: method<EventsSubscribeParams, { subscribed: EventName[] }>()(
    'events.subscribe',
    v.paramsObject({ events: v.optional(v.array(eventName, { max: 10 })) }),
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
