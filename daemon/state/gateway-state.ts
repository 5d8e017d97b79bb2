/**
 * The credential state the daemon serves: the config, `.env`, every agent's stores, and the
 * effective environment derived from them. One `reload()` re-reads every file (hash-compared,
 * so it is cheap and safe to call from the watcher, the periodic check, SIGHUP and RPC alike)
 * and recomputes the environment. Reloads never overlap: a request during one runs once after.
 */
import { readdir, stat } from 'node:fs/promises';
import os from 'node:os';
import type { LoadedFileStatus, ReloadTrigger, SecretRef } from '../../ipc/protocol.js';
import { AGENT_ID_PATTERN } from '../../ipc/providers.js';
import type { StatePaths } from '../../ipc/paths.js';
import { DEFAULT_CONFIG, defaultConfig, readConfig } from '../config/config.js';
import type { GatewayConfig, ModelSelection } from '../config/config.js';
import { dict } from '../../ipc/dict.js';
import { parseJsonc } from '../../ipc/jsonc.js';
import { parseDotenv } from '../env/dotenv-file.js';
import { resolveEnvironment } from '../env/environment.js';
import type { EffectiveEnv } from '../env/environment.js';
import { ProviderRegistry } from '../providers/registry.js';
import { probeSecretRef } from '../resolver/secret-refs.js';
import type { SecretRefContext } from '../resolver/secret-refs.js';
import { DEFAULT_MODEL } from '../../ipc/providers.js';
import { secretsOf } from '../stores/credentials.js';
import type { Credential, ProfileStore, UsageState } from '../stores/credentials.js';
import { extraSecrets, readAuthProfilesFile, readAuthStateFile, readLegacyAuthFile } from '../stores/read-stores.js';
import type { AuthProfilesFile, AuthStateFile } from '../stores/read-stores.js';
import { parseManagedFile } from '../oauth/managed-files.js';
import type { ManagedTokens } from '../oauth/managed-files.js';
import type { ManagedBy } from '../stores/credentials.js';
import { fileStatus, newLoadedFile, refreshFile, takeWritten } from './loaded-file.js';
import type { LoadedFile, ParseResult } from './loaded-file.js';

export interface AgentFiles {
  readonly id: string;
  readonly profiles: LoadedFile<AuthProfilesFile>;
  readonly state: LoadedFile<AuthStateFile>;
  readonly legacy: LoadedFile<Record<string, Credential>>;
}

/**
 * What one agent sees: its profiles (store + legacy auth.json) plus, for every agent but the
 * default one, the default agent's profiles read through (§3: its own win on the same id), its
 * order override and usage state.
 */
export interface AgentView {
  id: string;
  authStorePath: string;
  store: ProfileStore;
  /** Profile id → the agent whose store holds it, for profiles this agent only reads through. */
  inherited: Record<string, string>;
  usage: UsageState;
  model: ModelSelection;
  files: LoadedFile<unknown>[];
}

/**
 * What refreshes OAuth credentials before they are handed out (daemon/oauth/refresher.ts), set
 * by the gateway once it exists; the resolver asks it, whoever calls the resolver.
 */
export interface DueRefresher {
  /** Refreshes the agent's OAuth profiles of `provider` that are due; resolves once each is settled (refreshed, or failed and recorded). */
  refreshDue(view: AgentView, provider: string, now: number): Promise<void>;
}

/** A managed credentials file (another CLI's), read through and watched, never written. */
interface ManagedFile {
  by: ManagedBy;
  file: LoadedFile<ManagedTokens | null>;
}

export interface ReloadOutcome {
  changed: string[];
  trigger: ReloadTrigger;
}

export interface GatewayStateOptions {
  paths: StatePaths;
  /** The daemon's process environment, source 1 of §4 (a snapshot; never written to). */
  processEnv: Readonly<Record<string, string | undefined>>;
  /** Login-shell provider keys (§4 source 4), when enabled; recomputed by the caller. */
  shellEnv?: () => Readonly<Record<string, string>> | undefined;
  /**
   * Called after each recompute with every secret value loaded — the full set, so that a value
   * missing from it is known to be no longer held (SecretRegistry.retain) — so logs can be scrubbed of them.
   */
  retainSecrets: (values: string[]) => void;
  now?: () => number;
}

function jsonParser<T>(read: (value: unknown) => { value: T; warnings: string[] }) {
  return (text: string): ParseResult<T> => {
    const parsed = parseJsonc(text);
    if (!parsed.ok) return { ok: false, message: parsed.error.message };
    const r = read(parsed.value);
    return { ok: true, value: r.value, warnings: [...parsed.warnings, ...r.warnings] };
  };
}

const parseConfig = jsonParser((v) => {
  const r = readConfig(v);
  return { value: r.config, warnings: r.warnings };
});
const parseProfiles = jsonParser(readAuthProfilesFile);
const parseState = jsonParser(readAuthStateFile);
const parseLegacy = jsonParser(readLegacyAuthFile);
const parseEnvFile = (text: string): ParseResult<Record<string, string>> => {
  const r = parseDotenv(text);
  return { ok: true, value: dict(r.values), warnings: r.warnings };
};

const emptyProfiles = (): AuthProfilesFile => ({ profiles: dict(), order: dict(), embeddedUsage: null });
const emptyState = (): AuthStateFile => ({ lastGood: {}, usageStats: {}, order: {} });

export class GatewayState {
  readonly paths: StatePaths;
  readonly config: LoadedFile<GatewayConfig>;
  readonly dotenv: LoadedFile<Record<string, string>>;
  private readonly agents = new Map<string, AgentFiles>();
  /** Other CLIs' credential files that some profile reads through, by path. */
  private readonly managed = new Map<string, ManagedFile>();
  /** Set by the gateway: refreshes due OAuth profiles at resolve time (null in tests without one). */
  refresher: DueRefresher | null = null;
  env: EffectiveEnv = new Map();
  providers: ProviderRegistry = new ProviderRegistry(DEFAULT_CONFIG);
  readonly reloads = {
    count: 0,
    checks: 0,
    lastAt: null as number | null,
    lastTrigger: null as ReloadTrigger | null,
    byTrigger: { start: 0, watch: 0, periodic: 0, signal: 0, rpc: 0, write: 0 } as Record<ReloadTrigger, number>,
  };
  /**
   * Bumped whenever anything served may have changed: a file's new version or error taken in, an
   * agent or managed file added or gone, a recompute. Whatever caches an answer derived from the
   * state keys it on this (the status cache).
   */
  private changes = 0;
  private running: Promise<ReloadOutcome> | null = null;
  private queued: Promise<ReloadOutcome> | null = null;
  private readonly now: () => number;
  private readonly listeners: ((outcome: ReloadOutcome) => void)[] = [];

  constructor(private readonly opts: GatewayStateOptions) {
    this.paths = opts.paths;
    this.now = opts.now ?? Date.now;
    this.config = newLoadedFile(opts.paths.config, 'config', null, defaultConfig());
    this.dotenv = newLoadedFile<Record<string, string>>(opts.paths.dotenv, 'dotenv', null, {});
  }

  /** See `changes`: equal generations, equal state. */
  get generation(): number {
    return this.changes;
  }

  /** Called after every reload that changed something. */
  onChange(listener: (outcome: ReloadOutcome) => void): void {
    this.listeners.push(listener);
  }

  /**
   * Re-reads every file. Calls during a pass coalesce into one more pass after it, so an event
   * that arrives mid-read is never lost and a burst never queues a pass per event.
   */
  reload(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    if (!this.running) {
      this.running = this.reloadOnce(trigger).finally(() => {
        this.running = null;
      });
      return this.running;
    }
    this.queued ??= this.running
      .catch(() => undefined)
      .then(() => {
        this.queued = null;
        return this.reload(trigger);
      });
    return this.queued;
  }

  /**
   * After the daemon's own write of one file: re-reads that file alone (read-your-writes), not
   * every file of every agent. Usage state feeds nothing that recompute() derives (providers,
   * the environment, the secrets to redact), so a usage write — one per call — recomputes
   * nothing. A file it does not know yet (a write that created an agent) takes a full reload.
   */
  async refreshWritten(path: string, written?: { bytes: Buffer; mtimeMs: number }): Promise<ReloadOutcome> {
    const target = this.loadedFileAt(path);
    if (!target) return this.reload('write');
    // Not waiting for a pass that is running (it may be sleeping out a missing file): a read of
    // it that started before ours is dropped rather than landing over ours (loaded-file.ts). What
    // the writer says it wrote is taken in as it is, without reading it back.
    const now = this.now();
    const taken = written
      ? takeWritten(target.file, written.bytes, written.mtimeMs, target.parse, now)
      : await refreshFile(target.file, target.parse, target.empty, now);
    const changed: string[] = taken ? [path] : [];
    if (changed.length > 0) this.changes++;
    // A profiles file may name another CLI's credentials file (an adopted sign-in): read it now too.
    if (changed.length > 0 && target.file.kind === 'auth-profiles') await this.refreshManaged(now, changed);
    this.reloads.checks++;
    const outcome: ReloadOutcome = { changed, trigger: 'write' };
    if (changed.length === 0) return outcome;
    if (target.file.kind !== 'auth-state') this.recompute();
    this.reloads.count++;
    this.reloads.byTrigger.write++;
    this.reloads.lastAt = now;
    this.reloads.lastTrigger = 'write';
    for (const l of this.listeners) l(outcome);
    return outcome;
  }

  /** The loaded file at `path`, with how it is parsed; undefined for a file the daemon does not hold. */
  private loadedFileAt(path: string): { file: LoadedFile<unknown>; parse: (text: string) => ParseResult<unknown>; empty: () => unknown } | undefined {
    if (path === this.config.path) return { file: this.config, parse: parseConfig, empty: () => defaultConfig() };
    if (path === this.dotenv.path) return { file: this.dotenv, parse: parseEnvFile, empty: () => ({}) };
    for (const agent of this.agents.values()) {
      if (path === agent.profiles.path) return { file: agent.profiles, parse: parseProfiles, empty: emptyProfiles };
      if (path === agent.state.path) return { file: agent.state, parse: parseState, empty: emptyState };
      if (path === agent.legacy.path) return { file: agent.legacy, parse: parseLegacy, empty: () => ({}) };
    }
    return undefined;
  }

  private async reloadOnce(trigger: ReloadTrigger): Promise<ReloadOutcome> {
    const now = this.now();
    const changed: string[] = [];
    const track = async <T>(file: LoadedFile<T>, parse: (text: string) => ParseResult<T>, empty: () => T) => {
      if (await refreshFile(file, parse, empty, now)) {
        changed.push(file.path);
        this.changes++;
      }
    };
    await track(this.config, parseConfig, () => defaultConfig());
    await track(this.dotenv, parseEnvFile, () => ({}));

    const ids = await this.discoverAgents();
    for (const id of [...this.agents.keys()]) {
      if (!ids.has(id)) {
        this.agents.delete(id);
        this.changes++;
        changed.push(this.paths.agentDir(id));
      }
    }
    for (const id of ids) {
      let agent = this.agents.get(id);
      if (!agent) {
        agent = {
          id,
          profiles: newLoadedFile(this.paths.authProfiles(id), 'auth-profiles', id, emptyProfiles()),
          state: newLoadedFile(this.paths.authState(id), 'auth-state', id, emptyState()),
          legacy: newLoadedFile<Record<string, Credential>>(this.paths.legacyAuth(id), 'legacy-auth', id, {}),
        };
        this.agents.set(id, agent);
        this.changes++;
      }
      await track(agent.profiles, parseProfiles, emptyProfiles);
      await track(agent.state, parseState, emptyState);
      await track(agent.legacy, parseLegacy, () => ({}));
    }

    await this.refreshManaged(now, changed);

    this.reloads.checks++;
    if (changed.length > 0 || trigger === 'start') {
      this.recompute();
      this.reloads.count++;
      this.reloads.byTrigger[trigger]++;
      this.reloads.lastAt = now;
      this.reloads.lastTrigger = trigger;
    }
    const outcome = { changed, trigger };
    if (changed.length > 0) for (const l of this.listeners) l(outcome);
    return outcome;
  }

  /**
   * Re-reads the other CLIs' files that profiles name (hash-compared like ours); files no profile
   * names any more are forgotten.
   */
  private async refreshManaged(now: number, changed: string[]): Promise<void> {
    const wanted = new Map<string, ManagedBy>();
    for (const agent of this.agents.values()) {
      for (const c of Object.values(agent.profiles.value.profiles)) if (c.type === 'oauth' && c.managedBy && c.source) wanted.set(c.source, c.managedBy);
    }
    for (const p of [...this.managed.keys()]) {
      if (wanted.has(p)) continue;
      this.managed.delete(p);
      this.changes++;
    }
    for (const [p, by] of wanted) {
      let m = this.managed.get(p);
      if (!m || m.by !== by) {
        m = { by, file: newLoadedFile<ManagedTokens | null>(p, 'managed-oauth', null, null) };
        this.managed.set(p, m);
        this.changes++;
      }
      const parse = (text: string): ParseResult<ManagedTokens | null> => {
        const r = parseManagedFile(by, text);
        // No warnings: the person must never be told to edit another CLI's file; status says what to run.
        return r.ok ? { ok: true, value: r.tokens, warnings: [] } : { ok: false, message: r.message };
      };
      if (await refreshFile(m.file, parse, () => null, now)) {
        changed.push(p);
        this.changes++;
      }
    }
  }

  /** The managed files profiles read through, for the watcher. */
  managedPaths(): string[] {
    return [...this.managed.keys()];
  }

  /** A profile with its managed tokens filled in from the other CLI's file (as last read). */
  private withManaged(c: Credential): Credential {
    if (c.type !== 'oauth' || !c.managedBy || !c.source) return c;
    const tokens = this.managed.get(c.source)?.file.value;
    if (!tokens) return c;
    return {
      ...c,
      access: tokens.access,
      refresh: tokens.refresh,
      expires: tokens.expires,
      ...(tokens.accountId && !c.accountId ? { accountId: tokens.accountId } : {}),
      ...(tokens.email && !c.email ? { email: tokens.email } : {}),
    };
  }

  /** Recomputes what derives from the files: providers, the effective environment, the secret registry. */
  recompute(): void {
    this.changes++;
    const config = this.config.value;
    const stored = new Set<string>();
    for (const agent of this.agents.values()) {
      for (const c of Object.values(agent.profiles.value.profiles)) stored.add(c.provider);
      for (const c of Object.values(agent.legacy.value)) stored.add(c.provider);
    }
    this.providers = new ProviderRegistry(config, stored);
    this.env = resolveEnvironment({
      process: this.opts.processEnv,
      dotenv: { values: this.dotenv.value, path: this.dotenv.path },
      config: { values: config.envVars, path: this.config.path },
      ...(this.opts.shellEnv?.() ? { shell: { values: this.opts.shellEnv() ?? {}, allowed: this.providers.allEnvVars() } } : {}),
    });
    const secrets: string[] = [...Object.values(config.envVars)];
    for (const name of this.providers.allEnvVars()) {
      const entry = this.env.get(name);
      if (entry) secrets.push(entry.value);
    }
    // Any .env value that is named like a credential, or long enough to be one (a database URL, a
    // webhook): redacting a harmless value in a log line costs little; missing a secret costs much.
    for (const [name, value] of Object.entries(this.dotenv.value)) {
      if (/KEY|TOKEN|SECRET|PASS|PWD|AUTH|CRED|PRIVATE|WEBHOOK|DSN|URL/i.test(name) || value.length >= 16) secrets.push(value);
    }
    secrets.push(...this.providers.urlSecrets());
    for (const agent of this.agents.values()) {
      for (const c of Object.values(agent.profiles.value.profiles)) secrets.push(...secretsOf(c));
      for (const c of Object.values(agent.legacy.value)) secrets.push(...secretsOf(c));
      // Fields kept as they came (an OAuth `idToken`, say): any string among them may be a secret.
      for (const extra of Object.values(agent.profiles.value.extras ?? {})) secrets.push(...extraSecrets(extra));
    }
    for (const m of this.managed.values()) {
      const t = m.file.value;
      if (t) secrets.push(t.access, t.refresh, ...(t.idToken ? [t.idToken] : []));
    }
    this.opts.retainSecrets(secrets);
  }

  private async discoverAgents(): Promise<Set<string>> {
    const ids = new Set<string>([this.defaultAgent()]);
    for (const a of this.config.value.agents) ids.add(a.id);
    let entries: string[] = [];
    try {
      entries = await readdir(this.paths.agentsDir);
    } catch {
      /* no agents dir yet */
    }
    for (const name of entries) {
      if (!AGENT_ID_PATTERN.test(name)) continue;
      try {
        if ((await stat(this.paths.agentDir(name))).isDirectory()) ids.add(name);
      } catch {
        /* not an agent dir */
      }
    }
    return ids;
  }

  /** Config `agents.list[].default`, else `main` (§3). */
  defaultAgent(): string {
    return this.config.value.agents.find((a) => a.isDefault)?.id ?? 'main';
  }

  agentIds(): string[] {
    return [...this.agents.keys()].sort();
  }

  /** The loaded files of one agent (for the writers, which need the raw layouts). */
  agentFiles(id: string): AgentFiles | undefined {
    return this.agents.get(id);
  }

  hasAgent(id: string): boolean {
    return this.agents.has(id);
  }

  /** What SecretRefs resolve against: the effective env, config `secrets`, and which names are our keys. */
  secretRefContext(): SecretRefContext {
    return {
      env: this.env,
      secrets: this.config.value.secrets,
      providerEnvVars: this.providers.allEnvVars(),
      home: this.opts.processEnv.HOME ?? os.homedir(),
      processEnv: this.opts.processEnv,
    };
  }

  /** Why a ref's secret cannot be had now (env and file refs are checked; exec refs are never run here). */
  readonly refProbe = (ref: SecretRef): string | null => probeSecretRef(ref, this.secretRefContext());

  /**
   * The merged view of one agent; undefined for an unknown agent. Every agent but the default
   * one also reads the default agent's profiles (and their usage state) through — never a copy:
   * two copies of one OAuth refresh token revoke each other at the first refresh.
   */
  agentView(id: string): AgentView | undefined {
    const own = this.ownView(id);
    if (!own) return undefined;
    const parentId = this.defaultAgent();
    const parent = id === parentId ? undefined : this.ownView(parentId);
    if (!parent) return own;
    const inherited = dict<string>();
    for (const pid of Object.keys(parent.store.profiles)) if (!own.store.profiles[pid]) inherited[pid] = parentId;
    const inheritedStats = dict(Object.entries(parent.usage.usageStats).filter(([pid]) => inherited[pid]));
    return {
      ...own,
      store: { profiles: dict(parent.store.profiles, own.store.profiles), order: own.store.order },
      inherited,
      usage: { lastGood: dict(parent.usage.lastGood, own.usage.lastGood), usageStats: dict(inheritedStats, own.usage.usageStats) },
    };
  }

  /** One agent's own files, merged (store, legacy auth.json, usage state), without inheritance. */
  private ownView(id: string): AgentView | undefined {
    const agent = this.agents.get(id);
    if (!agent) return undefined;
    const file = agent.profiles.value;
    // auth-profiles.json wins over the legacy flat auth.json for the same id.
    const profiles = dict<Credential>(agent.legacy.value, file.profiles);
    for (const [pid, c] of Object.entries(profiles)) profiles[pid] = this.withManaged(c);
    // OpenClaw's split layout kept `order` in auth-state.json; ours keeps it in auth-profiles.json.
    const order = dict<string[]>(agent.state.value.order, file.order);
    const usage: UsageState = agent.state.exists
      ? { lastGood: agent.state.value.lastGood, usageStats: agent.state.value.usageStats }
      : (file.embeddedUsage ?? { lastGood: dict(), usageStats: dict() });
    const config = this.config.value;
    const entry = config.agents.find((a) => a.id === id);
    const model: ModelSelection = {
      primary: entry?.model?.primary ?? config.defaultModel.primary ?? DEFAULT_MODEL,
      fallbacks: entry?.model?.primary ? entry.model.fallbacks : config.defaultModel.fallbacks,
    };
    return {
      id,
      authStorePath: agent.profiles.path,
      store: { profiles, order },
      inherited: dict(),
      usage,
      model,
      files: [agent.profiles, agent.state, agent.legacy],
    };
  }

  /** Every file, for gateway.status and doctor. */
  files(): LoadedFileStatus[] {
    const out = [fileStatus(this.config), fileStatus(this.dotenv)];
    for (const id of this.agentIds()) {
      const a = this.agents.get(id) as AgentFiles;
      out.push(fileStatus(a.profiles), fileStatus(a.state), fileStatus(a.legacy));
    }
    for (const m of this.managed.values()) out.push(fileStatus(m.file));
    return out;
  }

  /** Files that exist but do not parse, as `{path, message}` (the config and .env, plus one agent's). */
  fileErrors(agentId?: string): { path: string; message: string }[] {
    const files: LoadedFile<unknown>[] = [this.config, this.dotenv];
    const agent = agentId ? this.agents.get(agentId) : undefined;
    if (agent) files.push(agent.profiles, agent.state, agent.legacy);
    return files.filter((f) => f.error !== null).map((f) => ({ path: f.path, message: f.error as string }));
  }
}
