/**
 * `opensoul.json` (§3): JSONC the person edits. Read leniently: a field of the wrong type is
 * ignored with a warning naming it (the rest of the file still applies); a file that does not
 * parse at all keeps the last good config (see state/). No secrets are expected here except
 * `env.vars`, which are treated as secrets.
 */
import { AGENT_ID_PATTERN, PROVIDER_ID_PATTERN } from '../../ipc/providers.js';
import type { OAuthOverride } from '../oauth/oauth-providers.js';
import type { ProviderApi } from '../../ipc/providers.js';
import { dict } from '../../ipc/dict.js';
import { isRecord } from '../../ipc/jsonc.js';

export interface ModelSelection {
  primary: string | null;
  fallbacks: string[];
}

export interface AgentEntry {
  id: string;
  isDefault: boolean;
  model: ModelSelection | null;
}

export interface ProviderOverride {
  baseUrl: string | null;
  envVars: string[];
  api: ProviderApi | null;
  /** `models.providers.<id>.oauth`: overrides of the provider's OAuth endpoints (daemon/oauth/oauth-providers.ts). */
  oauth?: OAuthOverride;
}

export interface CooldownConfig {
  /** Cooldowns for rate_limit/overloaded/auth/format/unknown, by error count in the window (§8.2). */
  stepsMs: number[];
  /** Errors older than this no longer count towards the next step. */
  failureWindowMs: number;
}

/**
 * OpenClaw's `secrets.providers.<name>` (docs/gateway/secrets.md and src/secrets/resolve.ts of
 * openclaw/openclaw): the same names, defaults and limits, so a config block copied from
 * OpenClaw means the same here.
 */
export type SecretProviderConfig =
  | { source: 'env'; allowlist: string[] | null }
  | { source: 'file'; path: string; mode: 'json' | 'singleValue'; timeoutMs: number; maxBytes: number; allowInsecurePath: boolean }
  | {
      source: 'exec';
      command: string;
      args: string[];
      timeoutMs: number;
      noOutputTimeoutMs: number;
      maxOutputBytes: number;
      passEnv: string[];
      env: Record<string, string>;
      jsonOnly: boolean;
      trustedDirs: string[];
      allowSymlinkCommand: boolean;
      allowInsecurePath: boolean;
    };

export interface SecretsConfig {
  providers: Record<string, SecretProviderConfig>;
  /** `secrets.defaults.<source>`: the provider of a ref that names none (else `default`). */
  defaults: { env?: string; file?: string; exec?: string };
  /** Each provider's block as written (the import compares OpenClaw's with it). */
  raw: Record<string, Record<string, unknown>>;
}

/** OpenClaw's defaults (src/secrets/resolve.ts): 5 s, 1 MiB. */
export const SECRET_PROVIDER_DEFAULTS = { timeoutMs: 5_000, maxBytes: 1024 * 1024 } as const;

/**
 * `proxy.*` (§12): the local credential proxy. `host` is kept as written and checked by the proxy
 * itself (daemon/proxy/proxy-service.ts), which refuses anything but a loopback address with an
 * error naming `proxy.host`: a warning here would let a typo quietly open the port to the network.
 */
export interface ProxyConfig {
  enabled: boolean;
  /** 0 = an ephemeral port, reported by `gateway status` (tests). */
  port: number;
  host: string;
  /** A request body past this is refused (413); replays keep the body in memory, so it bounds memory too. */
  maxBodyBytes: number;
  /** Upstream requests at once; past it the proxy answers 503 with Retry-After. */
  maxConcurrent: number;
  /**
   * Connections open at once, idle keep-alive ones included; when full, one is closed to admit
   * the newcomer (see ProxyListener). Lowered to a quarter of the open-file limit when that is
   * smaller (see connectionCap): each connection holds a file descriptor of the daemon.
   */
  maxConnections: number;
  /**
   * Headers not whole within this (from their first byte, or the connection's opening), or a body
   * not whole within it from its headers on, get 408: a stalled tool must not hold its place.
   */
  bodyTimeoutMs: number;
  /** No response headers, or no byte of the body, for this long ends the upstream request. */
  upstreamTimeoutMs: number;
}

/** The proxy's defaults: off, loopback, 32 MiB bodies (Anthropic's own request limit) sent within a minute, 10 min of silence. */
export const PROXY_DEFAULTS: Readonly<ProxyConfig> = Object.freeze({
  enabled: false,
  port: 18791,
  host: '127.0.0.1',
  maxBodyBytes: 32 * 1024 * 1024,
  maxConcurrent: 128,
  // Far more than the tools of one host keep open (a connection per request in flight, at most
  // maxConcurrent, and their idle keep-alive ones), and cheap: measured, 20,000 idle connections
  // took the daemon from 54 to 167 MiB RSS (~6 KiB each), so 1024 cost ~6 MiB.
  maxConnections: 1024,
  bodyTimeoutMs: 60_000,
  upstreamTimeoutMs: 600_000,
});

export interface GatewayConfig {
  envVars: Record<string, string>;
  shellEnv: { enabled: boolean; timeoutMs: number };
  authOrder: Record<string, string[]>;
  authProfiles: Record<string, { provider: string; mode: string }>;
  expiringWindowHours: number;
  cooldowns: CooldownConfig;
  agents: AgentEntry[];
  defaultModel: ModelSelection;
  providers: Record<string, ProviderOverride>;
  aliases: Record<string, string>;
  secrets: SecretsConfig;
  proxy: ProxyConfig;
}

/** A fresh default config; its maps have no prototype (ipc/dict.ts). */
export function defaultConfig(): GatewayConfig {
  return {
    envVars: dict(),
    shellEnv: { enabled: false, timeoutMs: 15000 },
    authOrder: dict(),
    authProfiles: dict(),
    expiringWindowHours: 24,
    cooldowns: { stepsMs: [30_000, 60_000, 300_000], failureWindowMs: 3_600_000 },
    agents: [],
    defaultModel: { primary: null, fallbacks: [] },
    providers: dict(),
    aliases: dict(),
    secrets: { providers: dict(), defaults: dict(), raw: dict() },
    proxy: { ...PROXY_DEFAULTS },
  };
}

export const DEFAULT_CONFIG: GatewayConfig = Object.freeze(defaultConfig());

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

class Reader {
  readonly warnings: string[] = [];
  warn(path: string, expected: string): void {
    this.warnings.push(`${path}: ${expected}; ignored`);
  }
  record(value: unknown, path: string): Record<string, unknown> | undefined {
    if (value === undefined) return undefined;
    if (isRecord(value)) return value;
    this.warn(path, 'expected an object');
    return undefined;
  }
  stringList(value: unknown, path: string): string[] | undefined {
    if (value === undefined) return undefined;
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
    this.warn(path, 'expected a list of strings');
    return undefined;
  }
  positive(value: unknown, path: string): number | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value;
    this.warn(path, 'expected a positive number');
    return undefined;
  }
  bool(value: unknown, path: string): boolean | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') return value;
    this.warn(path, 'expected true or false');
    return undefined;
  }
  modelSelection(value: unknown, path: string): ModelSelection | null {
    if (value === undefined) return null;
    if (typeof value === 'string') return { primary: value, fallbacks: [] };
    const rec = this.record(value, path);
    if (!rec) return null;
    const primary = typeof rec.primary === 'string' ? rec.primary : null;
    if (rec.primary !== undefined && primary === null) this.warn(`${path}.primary`, 'expected a model such as anthropic/claude-sonnet-4-5');
    return { primary, fallbacks: this.stringList(rec.fallbacks, `${path}.fallbacks`) ?? [] };
  }
}

/** Reads a parsed `opensoul.json` value into the config the daemon uses, with warnings for what was ignored. */
export function readConfig(value: unknown): { config: GatewayConfig; warnings: string[] } {
  const r = new Reader();
  const root = r.record(value, '(top level)') ?? {};
  const config = defaultConfig();

  const env = r.record(root.env, 'env');
  if (env) {
    // OpenClaw also takes string entries directly under `env`; `env.vars` wins over them.
    for (const [k, v] of Object.entries(env)) {
      if (k === 'vars' || k === 'shellEnv') continue;
      if (typeof v === 'string' && ENV_NAME.test(k)) config.envVars[k] = v;
      else r.warn(`env.${k}`, 'expected a string value of an environment variable');
    }
    const vars = r.record(env.vars, 'env.vars');
    for (const [k, v] of Object.entries(vars ?? {})) {
      if (typeof v === 'string' && ENV_NAME.test(k)) config.envVars[k] = v;
      else r.warn(`env.vars.${k}`, 'expected a string value of an environment variable');
    }
    const shell = r.record(env.shellEnv, 'env.shellEnv');
    if (shell) {
      if (typeof shell.enabled === 'boolean') config.shellEnv.enabled = shell.enabled;
      else if (shell.enabled !== undefined) r.warn('env.shellEnv.enabled', 'expected true or false');
      config.shellEnv.timeoutMs = r.positive(shell.timeoutMs, 'env.shellEnv.timeoutMs') ?? config.shellEnv.timeoutMs;
    }
  }

  const auth = r.record(root.auth, 'auth');
  if (auth) {
    for (const [provider, ids] of Object.entries(r.record(auth.order, 'auth.order') ?? {})) {
      const list = r.stringList(ids, `auth.order.${provider}`);
      if (list) config.authOrder[provider] = list;
    }
    for (const [id, meta] of Object.entries(r.record(auth.profiles, 'auth.profiles') ?? {})) {
      const m = r.record(meta, `auth.profiles.${id}`);
      if (!m) continue;
      const provider = typeof m.provider === 'string' ? m.provider : (id.split(':')[0] ?? id);
      const mode = typeof m.mode === 'string' ? m.mode : typeof m.type === 'string' ? m.type : 'unknown';
      config.authProfiles[id] = { provider, mode };
    }
    config.expiringWindowHours = r.positive(auth.expiringWindowHours, 'auth.expiringWindowHours') ?? config.expiringWindowHours;
    const cd = r.record(auth.cooldowns, 'auth.cooldowns');
    if (cd) {
      const steps = cd.stepsMs;
      if (Array.isArray(steps) && steps.length > 0 && steps.every((s) => typeof s === 'number' && s >= 0)) config.cooldowns.stepsMs = steps as number[];
      else if (steps !== undefined) r.warn('auth.cooldowns.stepsMs', 'expected a non-empty list of milliseconds');
      config.cooldowns.failureWindowMs = r.positive(cd.failureWindowMs, 'auth.cooldowns.failureWindowMs') ?? config.cooldowns.failureWindowMs;
    }
  }

  const agents = r.record(root.agents, 'agents');
  if (agents) {
    const defaults = r.record(agents.defaults, 'agents.defaults');
    if (defaults) {
      config.defaultModel = r.modelSelection(defaults.model, 'agents.defaults.model') ?? config.defaultModel;
      // OpenClaw's alias form: agents.defaults.models = { "anthropic/claude-opus-4-5": { "alias": "opus" } }.
      for (const [ref, meta] of Object.entries(r.record(defaults.models, 'agents.defaults.models') ?? {})) {
        if (isRecord(meta) && typeof meta.alias === 'string') config.aliases[meta.alias] = ref;
      }
    }
    if (agents.list !== undefined && !Array.isArray(agents.list)) r.warn('agents.list', 'expected a list');
    const seen = new Set<string>();
    for (const [i, entry] of (Array.isArray(agents.list) ? agents.list : []).entries()) {
      const e = r.record(entry, `agents.list[${i}]`);
      if (!e) continue;
      if (typeof e.id !== 'string' || !AGENT_ID_PATTERN.test(e.id)) {
        r.warn(`agents.list[${i}].id`, 'expected an agent id (letters, digits, . _ -)');
        continue;
      }
      if (seen.has(e.id)) {
        r.warn(`agents.list[${i}]`, `agent "${e.id}" is listed twice`);
        continue;
      }
      seen.add(e.id);
      config.agents.push({ id: e.id, isDefault: e.default === true, model: r.modelSelection(e.model, `agents.list[${i}].model`) });
    }
  }

  const models = r.record(root.models, 'models');
  if (models) {
    for (const [id, p] of Object.entries(r.record(models.providers, 'models.providers') ?? {})) {
      if (!PROVIDER_ID_PATTERN.test(id)) {
        r.warn(`models.providers.${id}`, 'expected a provider id (lower-case letters, digits, . _ -)');
        continue;
      }
      const rec = r.record(p, `models.providers.${id}`);
      if (!rec) continue;
      const baseUrl = typeof rec.baseUrl === 'string' && /^https?:\/\//.test(rec.baseUrl) ? rec.baseUrl.replace(/\/+$/, '') : null;
      if (rec.baseUrl !== undefined && baseUrl === null) r.warn(`models.providers.${id}.baseUrl`, 'expected an http(s) URL');
      const envVars = (r.stringList(rec.envVars, `models.providers.${id}.envVars`) ?? []).filter((n, i) => {
        const ok = ENV_NAME.test(n);
        // The position, never the value: a key pasted where its name belongs must not be echoed.
        if (!ok) r.warn(`models.providers.${id}.envVars[${i}]`, 'not an environment variable name');
        return ok;
      });
      const api = rec.api === 'anthropic-messages' || rec.api === 'openai-chat' ? rec.api : null;
      if (rec.api !== undefined && api === null) r.warn(`models.providers.${id}.api`, 'expected "anthropic-messages" or "openai-chat"');
      const oauth = readOAuthOverride(r, rec.oauth, `models.providers.${id}.oauth`);
      config.providers[id] = { baseUrl, envVars, api, ...(oauth ? { oauth } : {}) };
    }
    for (const [alias, ref] of Object.entries(r.record(models.aliases, 'models.aliases') ?? {})) {
      if (typeof ref === 'string') config.aliases[alias] = ref;
      else r.warn(`models.aliases.${alias}`, 'expected a model such as anthropic/claude-opus-4-5');
    }
  }
  const secrets = r.record(root.secrets, 'secrets');
  if (secrets) config.secrets = readSecrets(r, secrets);
  const proxy = r.record(root.proxy, 'proxy');
  if (proxy) config.proxy = readProxy(r, proxy);
  return { config, warnings: r.warnings };
}

/** `proxy.*`: a bad field is warned about by its path and its default kept (`host` is checked by the proxy). */
function readProxy(r: Reader, rec: Record<string, unknown>): ProxyConfig {
  const out: ProxyConfig = { ...PROXY_DEFAULTS };
  out.enabled = r.bool(rec.enabled, 'proxy.enabled') ?? out.enabled;
  if (rec.port !== undefined) {
    if (typeof rec.port === 'number' && Number.isInteger(rec.port) && rec.port >= 0 && rec.port <= 65535) out.port = rec.port;
    else r.warn('proxy.port', 'expected a port number from 0 to 65535 (0: any free port)');
  }
  if (rec.host !== undefined) {
    if (typeof rec.host === 'string') out.host = rec.host.trim();
    else r.warn('proxy.host', 'expected "127.0.0.1" or "::1"');
  }
  const whole = (key: 'maxBodyBytes' | 'maxConcurrent' | 'maxConnections' | 'bodyTimeoutMs' | 'upstreamTimeoutMs') => {
    const n = r.positive(rec[key], `proxy.${key}`);
    if (n !== undefined) out[key] = Math.max(1, Math.round(n));
  };
  whole('maxBodyBytes');
  whole('maxConcurrent');
  whole('maxConnections');
  whole('bodyTimeoutMs');
  whole('upstreamTimeoutMs');
  return out;
}

const SECRET_PROVIDER_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

function readSecretProvider(r: Reader, rec: Record<string, unknown>, at: string): SecretProviderConfig | null {
  const ms = (k: string, fallback: number) => Math.round(r.positive(rec[k], `${at}.${k}`) ?? fallback);
  switch (rec.source) {
    case 'env':
      return { source: 'env', allowlist: r.stringList(rec.allowlist, `${at}.allowlist`) ?? null };
    case 'file': {
      if (typeof rec.path !== 'string' || rec.path === '') {
        r.warn(`${at}.path`, 'expected the path of the secrets file');
        return null;
      }
      if (rec.mode !== undefined && rec.mode !== 'json' && rec.mode !== 'singleValue') r.warn(`${at}.mode`, 'expected "json" or "singleValue"');
      return {
        source: 'file',
        path: rec.path,
        mode: rec.mode === 'singleValue' ? 'singleValue' : 'json',
        timeoutMs: ms('timeoutMs', SECRET_PROVIDER_DEFAULTS.timeoutMs),
        maxBytes: ms('maxBytes', SECRET_PROVIDER_DEFAULTS.maxBytes),
        allowInsecurePath: r.bool(rec.allowInsecurePath, `${at}.allowInsecurePath`) ?? false,
      };
    }
    case 'exec': {
      if (typeof rec.command !== 'string' || rec.command === '') {
        r.warn(`${at}.command`, 'expected the absolute path of the resolver command');
        return null;
      }
      const env = dict<string>();
      for (const [k, v] of Object.entries(r.record(rec.env, `${at}.env`) ?? {})) {
        if (typeof v === 'string' && ENV_NAME.test(k)) env[k] = v;
        else r.warn(`${at}.env.${k}`, 'expected a string value of an environment variable');
      }
      const timeoutMs = ms('timeoutMs', SECRET_PROVIDER_DEFAULTS.timeoutMs);
      return {
        source: 'exec',
        command: rec.command,
        args: r.stringList(rec.args, `${at}.args`) ?? [],
        timeoutMs,
        noOutputTimeoutMs: ms('noOutputTimeoutMs', timeoutMs),
        maxOutputBytes: ms('maxOutputBytes', SECRET_PROVIDER_DEFAULTS.maxBytes),
        passEnv: (r.stringList(rec.passEnv, `${at}.passEnv`) ?? []).filter((n) => ENV_NAME.test(n)),
        env,
        jsonOnly: r.bool(rec.jsonOnly, `${at}.jsonOnly`) ?? true,
        trustedDirs: r.stringList(rec.trustedDirs, `${at}.trustedDirs`) ?? [],
        allowSymlinkCommand: r.bool(rec.allowSymlinkCommand, `${at}.allowSymlinkCommand`) ?? false,
        allowInsecurePath: r.bool(rec.allowInsecurePath, `${at}.allowInsecurePath`) ?? false,
      };
    }
    default:
      r.warn(`${at}.source`, 'expected "env", "file" or "exec"');
      return null;
  }
}

/** `secrets.providers` and `secrets.defaults` (OpenClaw's SecretRef contract, §3). */
function readSecrets(r: Reader, secrets: Record<string, unknown>): SecretsConfig {
  const out: SecretsConfig = { providers: dict(), defaults: {}, raw: dict() };
  for (const [name, p] of Object.entries(r.record(secrets.providers, 'secrets.providers') ?? {})) {
    if (!SECRET_PROVIDER_NAME.test(name)) {
      r.warn(`secrets.providers.${name}`, 'expected a provider name (lower-case letters, digits, _ and -, starting with a letter)');
      continue;
    }
    const rec = r.record(p, `secrets.providers.${name}`);
    if (rec) out.raw[name] = rec;
    const provider = rec ? readSecretProvider(r, rec, `secrets.providers.${name}`) : null;
    if (provider) out.providers[name] = provider;
  }
  const defaults = r.record(secrets.defaults, 'secrets.defaults');
  for (const source of ['env', 'file', 'exec'] as const) {
    const v = defaults?.[source];
    if (typeof v === 'string' && SECRET_PROVIDER_NAME.test(v)) out.defaults[source] = v;
    else if (v !== undefined) r.warn(`secrets.defaults.${source}`, 'expected a provider name');
  }
  return out;
}

/** `models.providers.<id>.oauth`: URLs must be http(s); a bad field is warned about by its path and ignored. */
function readOAuthOverride(r: Reader, value: unknown, path: string): OAuthOverride | undefined {
  const rec = r.record(value, path);
  if (!rec) return undefined;
  const out: OAuthOverride = {};
  for (const key of ['authorizeUrl', 'tokenUrl', 'deviceAuthorizationUrl', 'redirectUri'] as const) {
    const v = rec[key];
    if (v === undefined) continue;
    if (typeof v === 'string' && /^https?:\/\/[^\s]+$/.test(v)) out[key] = v;
    else r.warn(`${path}.${key}`, 'expected an http(s) URL');
  }
  if (rec.clientId !== undefined) {
    if (typeof rec.clientId === 'string' && rec.clientId.trim() !== '') out.clientId = rec.clientId.trim();
    else r.warn(`${path}.clientId`, 'expected a client id');
  }
  const scopes = typeof rec.scopes === 'string' ? rec.scopes.split(/\s+/).filter((x) => x !== '') : r.stringList(rec.scopes, `${path}.scopes`);
  if (scopes) out.scopes = scopes;
  return out;
}
