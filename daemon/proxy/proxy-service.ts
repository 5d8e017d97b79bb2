/**
 * The local credential proxy as the daemon runs it (§12): started with the daemon when
 * `proxy.enabled`, re-applied on every config reload (a new port or host: the new listener
 * starts, then the old one drains; disabled: it drains), stopped with the daemon. Also the RPC
 * side: its status, proxy keys, and the environment of `exec --proxy`.
 */
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import type { ProxyEnvParams, ProxyEnvResult, ProxyKeyCreateParams, ProxyKeyCreateResult, ProxyKeyListResult, ProxyStatus } from '../../ipc/protocol.js';
import type { ProxyConfig } from '../config/config.js';
import type { Logger } from '../logging/logger.js';
import type { UsageLedger } from '../resolver/usage.js';
import type { GatewayState } from '../state/gateway-state.js';
import { CannotStartError } from '../state-dir.js';
import { connectionCap, openFileLimit } from './connection-cap.js';
import { ProxyKeys, keyInfo } from './proxy-keys.js';
import { ProxyListener } from './proxy-listener.js';
import { handleProxyRequest } from './proxy-request.js';
import type { ProxyCounters } from './proxy-request.js';
import { listenHostProblem } from './proxy-routes.js';
import { createAgents, loadHttpLibs } from './upstream.js';
import type { UpstreamAgents } from './upstream.js';

/** How long requests in progress may finish on the old listener after a port change (a long stream keeps going). */
const DRAIN_ON_CHANGE_MS = 10 * 60_000;
/** How long they may finish when the daemon stops. */
export const DRAIN_ON_STOP_MS = 5_000;
/** `proxy.env`'s key lives this long unless asked otherwise (a key that is not held: a CLI older than the daemon). */
const ENV_KEY_TTL_MS = 3_600_000;
/**
 * How long a held key outlives the last connection that held it: long enough for its `opensoul
 * exec` to reconnect after a daemon restart or an eviction (it retries every few seconds), short
 * enough that the key of a run whose CLI was killed (SIGKILL, a crash) is gone within a minute.
 */
export const HOLD_GRACE_MS = 60_000;

/**
 * A connection that can hold a key: `leases` counts what it keeps alive (the socket server
 * spares it from the idle sweep), `closed` fires when its peer goes away.
 */
export interface KeyHolder {
  leases: number;
  readonly closed: AbortSignal;
}

/** What the proxy needs of the daemon. */
export interface ProxyServiceDeps {
  state: GatewayState;
  usage: UsageLedger;
  log: Logger;
  registerSecrets: (values: string[]) => void;
  now?: () => number;
  /** How long a held key outlives its last holder (HOLD_GRACE_MS; shorter in tests). */
  holdGraceMs?: number;
}

/** The proxy's owner: its listeners (current and draining), keys, counters and upstream agents. */
export class ProxyService {
  readonly keys: ProxyKeys;
  private listener: ProxyListener | null = null;
  private readonly draining = new Set<ProxyListener>();
  private readonly counters: ProxyCounters = { requests: 0, active: 0 };
  private readonly marked = new Map<string, number>();
  /** Made when the proxy first listens (see loadHttpLibs). */
  private agents: UpstreamAgents | null = null;
  private problem: string | null = null;
  private sessionPin: (agent: string, session: string) => string | null = () => null;
  private applying: Promise<void> = Promise.resolve();
  private stopped = false;
  private readonly now: () => number;
  /** Held keys: how many open connections hold each one. */
  private readonly holders = new Map<string, number>();
  /** Held keys no connection holds: revoked when their grace runs out. */
  private readonly orphans = new Map<string, NodeJS.Timeout>();
  /** Held keys whose grace ran out, being removed from the file now: a hold that comes meanwhile waits, then finds none. */
  private readonly revoking = new Map<string, Promise<unknown>>();

  constructor(private readonly deps: ProxyServiceDeps) {
    this.now = deps.now ?? Date.now;
    this.keys = new ProxyKeys(path.join(deps.state.paths.stateDir, 'proxy-keys.json'));
  }

  private get config(): ProxyConfig {
    return this.deps.state.config.value.proxy;
  }

  /** How a session id becomes its pin (the sessions owner lives with the RPC handlers). */
  useSessionPins(pin: (agent: string, session: string) => string | null): void {
    this.sessionPin = pin;
  }

  /** At daemon start: a refused host stops the start (exit 78) with the setting named; a busy port is logged and shown in status. */
  async start(): Promise<void> {
    await this.keys.refresh();
    // Keys held by runs of the daemon before this one: their CLIs reconnect and hold them again,
    // or they go when the grace runs out.
    for (const r of this.keys.list()) if (r.held) this.orphan(r.id);
    const cfg = this.config;
    if (cfg.enabled) {
      const problem = listenHostProblem(cfg.host);
      if (problem) throw new CannotStartError(problem);
    }
    await this.apply();
  }

  /** Applies the current config (after a reload). Calls queue: two reloads never race for the port. */
  apply(): Promise<void> {
    this.applying = this.applying.then(() => this.applyNow()).catch((err: unknown) => this.deps.log.error('proxy: applying the config failed', { err }));
    return this.applying;
  }

  private async applyNow(): Promise<void> {
    if (this.stopped) return;
    const cfg = this.config;
    const current = this.listener;
    if (!cfg.enabled) {
      this.problem = null;
      if (current) {
        this.listener = null;
        this.deps.log.info('proxy: disabled; draining its listener', { url: current.url });
        this.retire(current);
      }
      return;
    }
    const problem = listenHostProblem(cfg.host);
    if (problem) {
      this.problem = `${problem}${current ? `; still listening on ${current.url}` : ''}`;
      this.deps.log.error(this.problem);
      return;
    }
    const maxConnections = connectionCap(cfg.maxConnections, openFileLimit());
    if (current && current.host === cfg.host && current.configuredPort === cfg.port) {
      this.problem = null;
      current.setHeadersTimeout(cfg.bodyTimeoutMs);
      current.setMaxConnections(maxConnections);
      return;
    }
    const agents = (this.agents ??= createAgents(await loadHttpLibs()));
    const deps = this.requestDeps(agents);
    const next = new ProxyListener({
      host: cfg.host,
      port: cfg.port,
      handle: (port, req, res, keyed) => handleProxyRequest(deps, port, req, res, keyed),
      http: agents.libs.http,
      headersTimeoutMs: cfg.bodyTimeoutMs,
      maxConnections,
      log: this.deps.log,
    });
    try {
      await next.listen();
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      this.problem = `cannot listen on ${cfg.host} port ${cfg.port} (${code}): set another proxy.port${current ? `; still listening on ${current.url}` : ''}`;
      this.deps.log.error(`proxy: ${this.problem}`);
      return;
    }
    this.problem = null;
    this.listener = next;
    // The cap in force, so that one lowered by the open-file limit is not a surprise.
    this.deps.log.info('proxy listening', { url: next.url, maxConnections });
    if (current) this.retire(current);
  }

  private retire(old: ProxyListener): void {
    this.draining.add(old);
    void old.drain(DRAIN_ON_CHANGE_MS).finally(() => this.draining.delete(old));
  }

  private requestDeps(agents: UpstreamAgents): Parameters<typeof handleProxyRequest>[0] {
    return {
      state: this.deps.state,
      usage: this.deps.usage,
      keys: this.keys,
      agents,
      counters: this.counters,
      marked: this.marked,
      log: this.deps.log,
      config: () => this.config,
      sessionPin: (agent, session) => this.sessionPin(agent, session),
      registerSecrets: this.deps.registerSecrets,
      now: this.now,
    };
  }

  /** Stops every listener, letting requests in progress finish for up to `graceMs`. */
  async stop(graceMs = DRAIN_ON_STOP_MS): Promise<void> {
    this.stopped = true;
    for (const t of this.orphans.values()) clearTimeout(t);
    this.orphans.clear();
    await this.applying;
    const all = [...this.draining, ...(this.listener ? [this.listener] : [])];
    this.listener = null;
    await Promise.all(all.map((l) => l.drain(graceMs)));
    this.agents?.http.destroy();
    this.agents?.https.destroy();
  }

  /** For `gateway status`: null when the proxy is not enabled. */
  status(): ProxyStatus | null {
    if (!this.config.enabled && !this.listener) return null;
    return {
      enabled: this.config.enabled,
      url: this.listener?.url ?? null,
      requests: this.counters.requests,
      active: this.counters.active,
      error: this.problem ?? this.keys.error,
    };
  }

  /** `proxy.key.create`: the agent must exist and the providers be known; the key is registered with the log redactor before it leaves. */
  async createKey(params: ProxyKeyCreateParams, agent: string, held = false): Promise<ProxyKeyCreateResult> {
    const providers = params.providers ? [...new Set(params.providers.map((p) => this.deps.state.providers.require(p).id))] : null;
    const now = this.now();
    const { record, key } = await this.keys.create(
      {
        agent,
        providers,
        label: params.label ?? null,
        expiresAt: params.expiresInMs !== undefined ? now + params.expiresInMs : null,
        ...(held ? { held: true as const } : {}),
      },
      now,
    );
    this.deps.registerSecrets([key]);
    return { ...keyInfo(record, now), key };
  }

  /** `proxy.key.list`: ids and scopes, never a key or a hash. */
  listKeys(): ProxyKeyListResult {
    const now = this.now();
    return { keys: this.keys.list().map((r) => keyInfo(r, now)), file: this.keys.file };
  }

  /**
   * `proxy.env`: a key for one run and the variables the SDKs and CLIs read. Held (what
   * `opensoul exec --proxy` asks for), the key lives exactly as long as the run: no expiry to
   * outlast (a Claude Code session runs for hours), revoked soon after its CLI is gone however it
   * went. Not held, it simply expires. Only Anthropic's and OpenAI's variables are set: those are
   * the base-URL variables tools agree on; another provider is reached through the OpenAI
   * variables only by tools that let the person name the URL.
   */
  async env(params: ProxyEnvParams, agent: string, holder: KeyHolder): Promise<ProxyEnvResult> {
    const url = this.listener?.url;
    if (!url)
      throw new OpenSoulError('INVALID_INPUT', { reason: this.problem ?? 'the proxy is not enabled: set "proxy": { "enabled": true } in opensoul.json' });
    const ttl = params.ttlMs ?? (params.hold ? undefined : ENV_KEY_TTL_MS);
    const created = await this.createKey(
      {
        ...(params.providers ? { providers: params.providers } : {}),
        ...(ttl !== undefined ? { expiresInMs: ttl } : {}),
        label: 'exec --proxy',
      },
      agent,
      params.hold === true,
    );
    if (params.hold) this.attach(created.id, holder);
    const allowed = (p: string) => created.providers === null || created.providers.includes(p);
    const variables: { name: string; value: string }[] = [];
    if (allowed('anthropic')) variables.push({ name: 'ANTHROPIC_BASE_URL', value: `${url}/anthropic` }, { name: 'ANTHROPIC_API_KEY', value: created.key });
    if (allowed('openai')) variables.push({ name: 'OPENAI_BASE_URL', value: `${url}/openai/v1` }, { name: 'OPENAI_API_KEY', value: created.key });
    return { variables, keyId: created.id, expiresAt: created.expiresAt, url };
  }

  /** `proxy.key.hold`: a reconnected `opensoul exec` holds its key again. Only a held key that still exists can be. */
  async hold(id: string, holder: KeyHolder): Promise<void> {
    // Found in the file while its removal is under way, it would be held and then vanish.
    await this.revoking.get(id);
    await this.keys.refresh();
    const record = this.keys.list().find((r) => r.id === id);
    if (!record?.held)
      throw new OpenSoulError('INVALID_INPUT', { reason: `there is no held proxy key ${id}: it was revoked, or its run ended more than a minute ago` });
    this.attach(id, holder);
  }

  /** Counts `holder` as holding `id` until its connection closes; the last one to go starts the grace. */
  private attach(id: string, holder: KeyHolder): void {
    const orphaned = this.orphans.get(id);
    if (orphaned) {
      clearTimeout(orphaned);
      this.orphans.delete(id);
    }
    this.holders.set(id, (this.holders.get(id) ?? 0) + 1);
    holder.leases++;
    const release = () => {
      holder.leases--;
      const left = (this.holders.get(id) ?? 1) - 1;
      if (left > 0) this.holders.set(id, left);
      else {
        this.holders.delete(id);
        this.orphan(id);
      }
    };
    if (holder.closed.aborted) release();
    else holder.closed.addEventListener('abort', release, { once: true });
  }

  /** A held key nobody holds: revoked once the grace has passed, unless a holder comes back. */
  private orphan(id: string): void {
    if (this.stopped || this.orphans.has(id)) return;
    const timer = setTimeout(() => {
      this.orphans.delete(id);
      if (this.holders.has(id)) return;
      const removal = this.keys.remove(id).then(
        (removed) => {
          if (removed) this.deps.log.info('proxy: revoked the key of an exec --proxy run whose opensoul exec is gone', { key: id });
        },
        (err: unknown) => this.deps.log.warn('proxy: could not revoke the key of a finished exec --proxy run', { key: id, err }),
      );
      this.revoking.set(id, removal);
      void removal.finally(() => this.revoking.delete(id));
    }, this.deps.holdGraceMs ?? HOLD_GRACE_MS);
    timer.unref();
    this.orphans.set(id, timer);
  }
}
