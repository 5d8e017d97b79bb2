/**
 * The daemon is the only writer of credential files (§2, §3); this is where every write goes.
 * Each file has one FileUpdater (lock → re-read → apply → temp → fsync → hash re-check →
 * rename → fsync dir). Writes of the secrets file are strict: `{version: 1, profiles, order}`
 * with profiles in the shapes of §3 — keys we do not know are kept, never dropped. After a
 * write the state is reloaded, so the caller's next read sees it. Usage-state writes are
 * best-effort and never fail a call. The config edit after adding a profile is best-effort too:
 * the store is the truth, and a config that does not parse is left alone with a warning.
 */
import { own } from '../../ipc/dict.js';
import { existsSync } from 'node:fs';
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthUpsertParams, WriteResult } from '../../ipc/protocol.js';
import { providerOfProfileId, secretShapeProblem } from '../../ipc/providers.js';
import { forgetProfile, recordProfileMetadata, setConfigAuthOrder, setSecretProvider } from '../config/edit-config.js';
import { isRecord, parseJsonc } from '../../ipc/jsonc.js';
import { parseDotenv } from '../env/dotenv-file.js';
import { setDotenvKey, unsetDotenvKey } from '../env/edit-dotenv.js';
import type { GatewayState } from '../state/gateway-state.js';
import { maskRef, maskSecret } from '../status/masking.js';
import type { Credential, UsageStats } from './credentials.js';
import { FileUpdater } from './file-updater.js';
import type { Change, Validate } from './file-updater.js';
import { readCredential } from './read-stores.js';
import { sameSecret } from './credentials.js';
import { checkSecretShape, toStoredCredential } from './validate-credential.js';

export interface StoreLogger {
  warn(msg: string, meta?: Record<string, unknown>): void;
}

type Doc = Record<string, unknown>;

/** The current text must be a JSON object (comments allowed); else STORE_INVALID with the position. */
const validateJsonObject: Validate = (text) => {
  const parsed = parseJsonc(text);
  if (!parsed.ok) return { position: parsed.error.message };
  if (!isRecord(parsed.value)) return { position: 'line 1, column 1: expected a JSON object' };
  return null;
};
const validateNothing: Validate = () => null;

function parseDoc(current: string | null): Doc {
  if (current === null) return {};
  const parsed = parseJsonc(current);
  return parsed.ok && isRecord(parsed.value) ? parsed.value : {};
}

const KNOWN_PROFILE_KEYS = new Set(['version', 'profiles', 'order', 'lastGood', 'usageStats']);
const KNOWN_STATE_KEYS = new Set(['version', 'lastGood', 'usageStats', 'order']);

/** The strict shape of auth-profiles.json; unknown top-level keys are kept after ours. */
function normalizeProfilesDoc(doc: Doc, dropEmbeddedUsage: boolean): Doc {
  const order = isRecord(doc.order) ? doc.order : {};
  const out: Doc = { version: 1, profiles: isRecord(doc.profiles) ? doc.profiles : {} };
  if (Object.keys(order).length > 0) out.order = order;
  if (!dropEmbeddedUsage) {
    if (doc.lastGood !== undefined) out.lastGood = doc.lastGood;
    if (doc.usageStats !== undefined) out.usageStats = doc.usageStats;
  }
  for (const [k, v] of Object.entries(doc)) if (!KNOWN_PROFILE_KEYS.has(k)) out[k] = v;
  return out;
}

function normalizeStateDoc(doc: Doc): Doc {
  const out: Doc = { version: 1, lastGood: isRecord(doc.lastGood) ? doc.lastGood : {}, usageStats: isRecord(doc.usageStats) ? doc.usageStats : {} };
  if (isRecord(doc.order) && Object.keys(doc.order).length > 0) out.order = doc.order;
  for (const [k, v] of Object.entries(doc)) if (!KNOWN_STATE_KEYS.has(k)) out[k] = v;
  return out;
}

const EMPTY_STATE = `${JSON.stringify(normalizeStateDoc({}), null, 2)}\n`;

function jsonChange<R>(fn: (doc: Doc) => R, normalize: (doc: Doc) => Doc): Change<R> {
  return (current) => {
    const doc = parseDoc(current);
    const result = fn(doc);
    const next = `${JSON.stringify(normalize(doc), null, 2)}\n`;
    return { next: next === current ? null : next, result };
  };
}

/** A credential in its stored JSON form, keys in a stable order. */
function storedJson(c: Credential): Doc {
  return JSON.parse(JSON.stringify(c)) as Doc;
}

/** A credential's type and masked secret: what CONFLICT and "Replaced … (was …)" may show. */
/** What is at a profile id now, as a conflict shows it: the credential, or an entry we cannot read (still the person's), or nothing. */
function shownEntry(existing: Credential | undefined, raw: unknown): { type: string; masked: string } | undefined {
  return existing ? shown(existing) : raw !== undefined ? { type: 'entry', masked: '(not readable as a credential)' } : undefined;
}

function shown(c: Credential): { type: string; masked: string } {
  const masked = (literal: string | undefined, ref: Parameters<typeof maskRef>[0] | undefined) =>
    literal !== undefined ? maskSecret(literal) : ref ? maskRef(ref) : '(none)';
  switch (c.type) {
    case 'api_key':
      return { type: 'api_key', masked: masked(c.key, c.keyRef) };
    case 'token':
      return { type: 'token', masked: masked(c.token, c.tokenRef) };
    case 'oauth':
      return c.managedBy ? { type: `oauth managed by ${c.managedBy}`, masked: '(read through)' } : { type: 'oauth', masked: maskSecret(c.access) };
  }
}

/** The agents a profile can be inherited from (§3: every agent reads `main`'s profiles through). */
const INHERITED_FROM = ['main'];

function ordersWithout(order: unknown, id: string): Doc {
  const out: Doc = {};
  if (!isRecord(order)) return out;
  for (const [provider, ids] of Object.entries(order)) {
    if (!Array.isArray(ids)) {
      out[provider] = ids;
      continue;
    }
    const kept = ids.filter((x) => x !== id);
    if (kept.length > 0) out[provider] = kept;
  }
  return out;
}

export class StoreService {
  private readonly updaters = new Map<string, FileUpdater>();

  constructor(
    private readonly state: GatewayState,
    private readonly log: StoreLogger,
    private readonly opts: { pauseBeforeRenameMs?: number } = {},
  ) {}

  private updater(file: string, validate: Validate): FileUpdater {
    let u = this.updaters.get(file);
    if (!u) {
      u = new FileUpdater(file, {
        validate,
        // Read-your-writes: the caller's next call must see what it just wrote.
        onWritten: async (written, what) => {
          await this.state.refreshWritten(written, what);
        },
        ...(this.opts.pauseBeforeRenameMs ? { pauseBeforeRenameMs: this.opts.pauseBeforeRenameMs } : {}),
      });
      this.updaters.set(file, u);
    }
    return u;
  }

  /** Moves OpenClaw's embedded lastGood/usageStats into auth-state.json before the secrets file is rewritten strictly. */
  private async migrateEmbeddedUsage(agent: string): Promise<void> {
    const embedded = this.state.agentFiles(agent)?.profiles.value.embeddedUsage;
    const statePath = this.state.paths.authState(agent);
    if (!embedded || existsSync(statePath)) return;
    await this.updater(statePath, validateJsonObject).update(
      jsonChange((doc) => {
        doc.usageStats ??= embedded.usageStats;
        doc.lastGood ??= embedded.lastGood;
      }, normalizeStateDoc),
    );
  }

  private profilesChange<R>(agent: string, fn: (doc: Doc) => R): Change<R> {
    const statePath = this.state.paths.authState(agent);
    // The embedded usage is dropped only once auth-state.json holds it (never lose it).
    return jsonChange(fn, (doc) => normalizeProfilesDoc(doc, existsSync(statePath)));
  }

  /** The profiles an agent's own files hold (auth-profiles.json over the legacy auth.json), never the inherited ones. */
  private ownProfiles(agent: string): Record<string, Credential> {
    const files = this.state.agentFiles(agent);
    return files ? { ...files.legacy.value, ...files.profiles.value.profiles } : {};
  }

  /**
   * Adds a profile, or replaces one only when `replace` says the person confirmed it (§3 "No
   * silent replacement"): the same credential is unchanged; a different secret at the same id is
   * CONFLICT, with both masked. `checkShape` holds a hand-given secret to its provider's shape
   * (the import keeps what OpenClaw had, so it does not ask for that). `extra`: fields kept beside
   * the credential as they came (an import keeps every field of OpenClaw's profile: `idToken`,
   * `displayName`, `projectId`, …); `anyProvider`: a provider with no built-in client is accepted
   * (import only; hand commands must name a known one).
   */
  async upsertProfile(
    agent: string,
    profileId: string,
    input: AuthUpsertParams['credential'],
    replace: boolean,
    opts: { checkShape?: boolean; extra?: Record<string, unknown>; anyProvider?: boolean } = {},
  ): Promise<WriteResult> {
    // Broken pastes (line breaks, control characters) and unknown providers first: the clearer error.
    const credential = toStoredCredential(profileId, input, this.state.providers, { anyProvider: opts.anyProvider === true });
    if (opts.checkShape) checkSecretShape(profileId, input);
    const createdAgent = !this.state.hasAgent(agent);
    await this.migrateEmbeddedUsage(agent);
    const file = this.state.paths.authProfiles(agent);
    // OpenClaw's flat auth.json is read as this agent's too: a profile there is not overwritten silently either.
    const legacy = this.state.agentFiles(agent)?.legacy.value[profileId];
    const outcome = await this.updater(file, validateJsonObject).update(
      this.profilesChange(agent, (doc) => {
        const profiles = isRecord(doc.profiles) ? doc.profiles : (doc.profiles = {});
        const raw = profiles[profileId];
        const existing = raw === undefined ? legacy : readCredential(profileId, raw).credential;
        if (existing && JSON.stringify(storedJson(existing)) === JSON.stringify(storedJson(credential))) return { changed: false, replaced: undefined };
        // An entry we cannot read is still the person's: it counts as a different secret.
        const was = shownEntry(existing, raw);
        const differs = was !== undefined && !(existing && sameSecret(existing, credential));
        if (differs && !replace) {
          throw profileConflict(profileId, agent, file, was, shown(credential));
        }
        profiles[profileId] = { ...opts.extra, ...storedJson(credential) };
        return { changed: true, replaced: differs ? was : undefined };
      }),
    );
    // A replaced secret starts afresh: a credential_scope "until replaced" and old counters go.
    return this.afterProfileWrite({
      agent,
      file,
      profileId,
      outcome,
      createdAgent,
      clearUsage: outcome.replaced !== undefined,
      meta: { provider: credential.provider, mode: credential.type },
    });
  }

  /**
   * What every profile write does once the store is written: clear the profile's usage state
   * when asked, record OpenClaw's metadata in opensoul.json (best effort: a config that does not
   * parse is a warning), and word the result with every file changed.
   */
  private async afterProfileWrite(w: {
    agent: string;
    file: string;
    profileId: string;
    outcome: { changed: boolean; replaced: { type: string; masked: string } | undefined };
    createdAgent: boolean;
    clearUsage: boolean;
    meta: { provider: string; mode: string };
  }): Promise<WriteResult> {
    const warnings: string[] = [];
    const files = w.outcome.changed ? [w.file] : [];
    // Two files, two locks, neither change depends on the other: done at once (each is a few round trips through the I/O threads).
    const [usageChanged, configChanged] = await Promise.all([
      w.clearUsage && this.updateUsage(w.agent, (doc) => void delete doc.usageStats[w.profileId]),
      this.editConfig(warnings, (text) => recordProfileMetadata(text, w.profileId, w.meta)),
    ]);
    if (usageChanged) files.push(this.state.paths.authState(w.agent));
    if (configChanged) files.push(this.state.paths.config);
    return {
      agent: w.agent,
      path: w.file,
      profileId: w.profileId,
      changed: w.outcome.changed,
      warnings,
      files,
      ...(w.outcome.replaced ? { replaced: w.outcome.replaced } : {}),
      ...(w.createdAgent && w.outcome.changed ? { createdAgent: true } : {}),
    };
  }

  /**
   * Removes a profile from one agent's own store. A profile the agent only inherits is refused
   * (PROFILE_INHERITED, naming the owner): removing it there would change every agent. Config
   * metadata (`auth.profiles`, `auth.order`) goes only when no agent holds the id any more,
   * since it describes every agent's rotation.
   */
  async removeProfile(agent: string, profileId: string): Promise<WriteResult> {
    if (this.ownProfiles(agent)[profileId] === undefined) {
      const owner = [...new Set([...INHERITED_FROM, this.state.defaultAgent()])].find((id) => id !== agent && this.ownProfiles(id)[profileId] !== undefined);
      if (owner) throw new OpenSoulError('PROFILE_INHERITED', { profileId, agent, owner });
      throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId, agent });
    }
    await this.migrateEmbeddedUsage(agent);
    const file = this.state.paths.authProfiles(agent);
    const legacyFile = this.state.paths.legacyAuth(agent);
    let path = file;
    const inStore = await this.updater(file, validateJsonObject).update(
      this.profilesChange(agent, (doc) => {
        const profiles = isRecord(doc.profiles) ? doc.profiles : {};
        const had = profiles[profileId] !== undefined;
        delete profiles[profileId];
        doc.order = ordersWithout(doc.order, profileId);
        return had;
      }),
    );
    if (!inStore) {
      // Only in OpenClaw's flat legacy auth.json (`<provider>:default`).
      const provider = providerOfProfileId(profileId);
      const removed = await this.updater(legacyFile, validateJsonObject).update(
        jsonChange(
          (doc) => {
            const had = profileId === `${provider}:default` && doc[provider] !== undefined;
            if (had) delete doc[provider];
            return had;
          },
          (doc) => doc,
        ),
      );
      if (!removed) throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId, agent });
      path = legacyFile;
    }
    const files = [path];
    const stateChanged = await this.updateUsage(agent, (doc) => {
      delete doc.usageStats[profileId];
      for (const [p, id] of Object.entries(doc.lastGood)) if (id === profileId) delete doc.lastGood[p];
      doc.order = ordersWithout(doc.order, profileId);
    });
    if (stateChanged) files.push(this.state.paths.authState(agent));
    const warnings: string[] = [];
    // Decided inside the config edit, on the state as the writes above left it (they reload it).
    const configChanged = await this.editConfig(warnings, (text) =>
      this.state.agentIds().some((id) => this.ownProfiles(id)[profileId] !== undefined) ? { next: null, changed: false } : forgetProfile(text, profileId),
    );
    if (configChanged) files.push(this.state.paths.config);
    return { agent, path, profileId, changed: true, warnings, files };
  }

  /**
   * An OAuth refresh of a profile, done holding the lock of the store of the agent that owns it,
   * as OpenClaw refreshes (lock, re-read, refresh, write): `obtain` (the token request) runs only
   * if the profile on disk still holds the refresh token we mean to use. If another tool
   * refreshed or replaced it meanwhile — OpenClaw may have held the lock for exactly that —
   * nothing is asked (asking with a single-use refresh token it already used would revoke its
   * new one), the store is read again, and the result is `false`. Tokens obtained are written
   * under that same lock (§13: the rotated refresh token is on disk before any caller gets the
   * new access token), keeping the profile's other fields (`idToken`, `displayName`, …); `true`.
   * `obtain` giving null (the request failed) writes nothing: `false`.
   */
  async writeRefreshedTokens(
    agent: string,
    profileId: string,
    usedRefresh: string,
    obtain: () => Promise<{ access: string; refresh: string; expires: number } | null>,
  ): Promise<boolean> {
    await this.migrateEmbeddedUsage(agent);
    const file = this.state.paths.authProfiles(agent);
    const inStore = this.state.agentFiles(agent)?.profiles.value.profiles[profileId] !== undefined;
    if (!inStore) {
      // Only in OpenClaw's flat auth.json: the refreshed profile moves into auth-profiles.json, where it now wins.
      const legacy = this.state.agentFiles(agent)?.legacy.value[profileId];
      if (legacy?.type !== 'oauth' || legacy.refresh !== usedRefresh) return false;
    }
    /** The profile as `doc` holds it, when it is still the one refreshed with `usedRefresh`. */
    const stillOurs = (doc: Doc) => {
      const raw = isRecord(doc.profiles) ? doc.profiles[profileId] : undefined;
      const current =
        raw === undefined ? (inStore ? undefined : this.state.agentFiles(agent)?.legacy.value[profileId]) : readCredential(profileId, raw).credential;
      return current?.type === 'oauth' && !current.managedBy && current.refresh === usedRefresh ? { current, raw } : null;
    };
    let elsewhere = false;
    const written = await this.updater(file, validateJsonObject).updateHolding(async (text) => {
      // A store that does not parse is not checked here: its write is refused below, and the refresher keeps the tokens.
      if (text !== null && !stillOurs(parseDoc(text))) {
        elsewhere = true;
        return () => ({ next: null, result: false });
      }
      const tokens = await obtain();
      if (!tokens) return () => ({ next: null, result: false });
      return this.profilesChange(agent, (doc) => {
        const profiles = isRecord(doc.profiles) ? doc.profiles : (doc.profiles = {});
        const ours = stillOurs(doc);
        if (!ours) return false;
        const kept = isRecord(ours.raw) ? ours.raw : {};
        // Aliases are rewritten under our names (strict writing): a stale accessToken must not shadow the new access.
        const { accessToken: _a, refreshToken: _r, expiresAt: _e, mode: _m, ...rest } = kept;
        profiles[profileId] = { ...rest, ...storedJson({ ...ours.current, access: tokens.access, refresh: tokens.refresh, expires: tokens.expires }) };
        return true;
      });
    });
    // Someone else's refresh is on disk: callers must get it now, not after the watcher's debounce.
    if (elsewhere) await this.state.refreshWritten(file);
    return written;
  }

  /**
   * Stores a profile that reads another CLI's credentials through (§13 `--method cli`): only
   * `{type, provider, managedBy, source}` — no secret is copied. The same adoption again is
   * unchanged; a different credential at that id is CONFLICT unless `replace`.
   */
  async adoptManagedProfile(
    agent: string,
    profileId: string,
    managed: { provider: string; managedBy: 'claude-cli' | 'codex-cli'; source: string; email?: string | undefined },
    replace: boolean,
  ): Promise<WriteResult> {
    const createdAgent = !this.state.hasAgent(agent);
    await this.migrateEmbeddedUsage(agent);
    const file = this.state.paths.authProfiles(agent);
    const entry: Doc = {
      type: 'oauth',
      provider: managed.provider,
      managedBy: managed.managedBy,
      source: managed.source,
      ...(managed.email ? { email: managed.email } : {}),
    };
    const outcome = await this.updater(file, validateJsonObject).update(
      this.profilesChange(agent, (doc) => {
        const profiles = isRecord(doc.profiles) ? doc.profiles : (doc.profiles = {});
        const raw = profiles[profileId];
        const existing = raw === undefined ? this.state.agentFiles(agent)?.legacy.value[profileId] : readCredential(profileId, raw).credential;
        if (existing?.type === 'oauth' && existing.managedBy === managed.managedBy && existing.source === managed.source)
          return { changed: false, replaced: undefined };
        const was = shownEntry(existing, raw);
        if (was && !replace) {
          throw profileConflict(profileId, agent, file, was, { type: `oauth managed by ${managed.managedBy}`, masked: '(read through, not copied)' });
        }
        profiles[profileId] = entry;
        return { changed: true, replaced: was };
      }),
    );
    return this.afterProfileWrite({
      agent,
      file,
      profileId,
      outcome,
      createdAgent,
      clearUsage: outcome.changed,
      meta: { provider: managed.provider, mode: 'oauth' },
    });
  }

  /** The agent's order override: `ids` to set it, null to clear it (§7 `models auth order`). Returns the file written. */
  async setOrder(agent: string, provider: string, ids: string[] | null): Promise<string> {
    if (ids !== null) {
      if (ids.length === 0) throw new OpenSoulError('INVALID_INPUT', { reason: 'an order needs at least one profile id (use `order clear` to remove it)' });
      // A new agent (this write creates it) already reads the default agent's profiles through.
      const view = this.state.agentView(agent) ?? this.state.agentView(this.state.defaultAgent());
      const seen = new Set<string>();
      for (const id of ids) {
        const c = view?.store.profiles[id];
        if (!c) throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId: id, agent });
        if (c.provider !== provider) throw new OpenSoulError('INVALID_INPUT', { reason: `${id} is a profile of ${c.provider}, not of ${provider}` });
        if (seen.has(id)) throw new OpenSoulError('INVALID_INPUT', { reason: `${id} is listed twice` });
        seen.add(id);
      }
    } else if (!this.state.hasAgent(agent)) {
      throw new OpenSoulError('AGENT_NOT_FOUND', { agent, known: this.state.agentIds().join(', ') });
    }
    await this.migrateEmbeddedUsage(agent);
    const file = this.state.paths.authProfiles(agent);
    await this.updater(file, validateJsonObject).update(
      this.profilesChange(agent, (doc) => {
        const order = isRecord(doc.order) ? doc.order : (doc.order = {});
        if (ids === null) delete order[provider];
        else order[provider] = ids;
      }),
    );
    // OpenClaw's split layout kept order in auth-state.json, where it would still apply.
    if (this.state.agentFiles(agent)?.state.value.order[provider]) {
      await this.recordUsage(agent, (doc) => {
        if (isRecord(doc.order)) delete doc.order[provider];
      });
    }
    return file;
  }

  /**
   * Sets a key in `.env`, with the rule of profiles: the same value is unchanged, a different
   * non-empty value there is CONFLICT unless `replace`. `checkShape` holds a provider key
   * (a name in the provider table) to its provider's shape.
   */
  async setEnv(key: string, value: string, opts: { replace?: boolean; checkShape?: boolean } = {}): Promise<WriteResult> {
    const file = this.state.paths.dotenv;
    if (opts.checkShape) {
      const provider = this.state.providers.all().find((p) => p.envVars.includes(key));
      const problem = provider ? secretShapeProblem(provider.id, /TOKEN/.test(key) ? 'token' : 'api_key', value) : null;
      if (problem) throw new OpenSoulError('SECRET_SHAPE', problem);
    }
    const outcome = await this.updater(file, validateNothing).update((current) => {
      // The value the daemon reads for this key now (its own parser), whatever the line looks like.
      const existing = current === null ? undefined : own(parseDotenv(current).values, key);
      if (existing === value) return { next: null, result: { changed: false, replaced: undefined } };
      const differs = existing !== undefined && existing !== '';
      if (differs && !opts.replace) {
        throw new OpenSoulError('CONFLICT', {
          target: 'env',
          id: key,
          path: file,
          existingType: 'value',
          existingMasked: maskSecret(existing),
          newType: 'value',
          newMasked: maskSecret(value),
        });
      }
      const r = setDotenvKey(current, key, value);
      return {
        next: r.changed ? r.next : null,
        result: { changed: r.changed, replaced: differs ? { type: 'value', masked: maskSecret(existing) } : undefined },
      };
    });
    return {
      agent: this.state.defaultAgent(),
      path: file,
      changed: outcome.changed,
      warnings: [],
      files: outcome.changed ? [file] : [],
      ...(outcome.replaced ? { replaced: outcome.replaced } : {}),
    };
  }

  async unsetEnv(key: string): Promise<WriteResult> {
    const file = this.state.paths.dotenv;
    const changed = await this.updater(file, validateNothing).update((current) => {
      const r = unsetDotenvKey(current, key);
      return { next: r.next, result: r.changed };
    });
    const warnings = this.state.env.get(key)?.source === 'process' ? [`${key} is also set in the gateway's own process environment, which still applies`] : [];
    return { agent: this.state.defaultAgent(), path: file, changed, warnings };
  }

  /**
   * Best-effort write of an agent's usage state (auth-state.json): it never fails a call. The
   * mutation gets `{lastGood, usageStats, order}` of the file as it is on disk now.
   */
  async recordUsage(
    agent: string,
    mutate: (doc: { lastGood: Record<string, string>; usageStats: Record<string, UsageStats>; order: unknown }) => void,
  ): Promise<boolean> {
    try {
      await this.writeUsage(agent, mutate);
      return true;
    } catch (err) {
      this.log.warn('could not record usage state; the call goes on', { path: this.state.paths.authState(agent), err });
      return false;
    }
  }

  /**
   * Config `auth.order.<provider>` or `secrets.providers.<name>` in opensoul.json, edited in place
   * (comments kept); a config that does not parse is refused (STORE_INVALID).
   */
  async setConfigEntry(
    entry: { order: [provider: string, ids: string[]] } | { secretProvider: [name: string, value: Record<string, unknown>] },
  ): Promise<string> {
    const file = this.state.paths.config;
    await this.updater(file, validateJsonObject).update((current) => {
      const r = 'order' in entry ? setConfigAuthOrder(current, ...entry.order) : setSecretProvider(current, ...entry.secretProvider);
      return { next: r.changed ? r.next : null, result: r.changed };
    });
    return file;
  }

  /** recordUsage, telling whether auth-state.json changed (false when it did not, or could not be written). */
  private async updateUsage(agent: string, mutate: Parameters<StoreService['recordUsage']>[1]): Promise<boolean> {
    try {
      return await this.writeUsage(agent, mutate);
    } catch (err) {
      this.log.warn('could not record usage state; the call goes on', { path: this.state.paths.authState(agent), err });
      return false;
    }
  }

  private async writeUsage(agent: string, mutate: Parameters<StoreService['recordUsage']>[1]): Promise<boolean> {
    const change = jsonChange((doc) => {
      const view = {
        lastGood: (isRecord(doc.lastGood) ? doc.lastGood : {}) as Record<string, string>,
        usageStats: (isRecord(doc.usageStats) ? doc.usageStats : {}) as Record<string, UsageStats>,
        order: doc.order,
      };
      mutate(view);
      doc.lastGood = view.lastGood;
      doc.usageStats = view.usageStats;
      doc.order = view.order;
    }, normalizeStateDoc);
    return this.updater(this.state.paths.authState(agent), validateJsonObject).update((current) => {
      const r = change(current);
      // Forgetting something in a file that does not exist must not create an empty one.
      const next = current === null && r.next === EMPTY_STATE ? null : r.next;
      return { next, result: next !== null };
    });
  }

  /** Best-effort edit of opensoul.json: the stores are the truth; a config that does not parse is left alone. Returns whether it changed. */
  private async editConfig(warnings: string[], edit: (text: string | null) => { next: string | null; changed: boolean }): Promise<boolean> {
    const file = this.state.paths.config;
    try {
      return await this.updater(file, validateJsonObject).update((current) => {
        const r = edit(current);
        return { next: r.changed ? r.next : null, result: r.changed };
      });
    } catch (err) {
      const why = err instanceof OpenSoulError ? err.message : 'it could not be written';
      warnings.push(`opensoul.json was not updated: ${why}`);
      this.log.warn('config metadata not updated', { path: file, err });
      return false;
    }
  }
}

/** CONFLICT for a profile id that already holds a different credential (§3 "No silent replacement"), both sides masked. */
function profileConflict(
  profileId: string,
  agent: string,
  path: string,
  was: { type: string; masked: string },
  now: { type: string; masked: string },
): OpenSoulError {
  return new OpenSoulError('CONFLICT', {
    target: 'profile',
    id: profileId,
    agent,
    path,
    existingType: was.type,
    existingMasked: was.masked,
    newType: now.type,
    newMasked: now.masked,
  });
}
