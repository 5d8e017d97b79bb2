/**
 * The daemon is the only writer of credential files (§2, §3); this is where every write goes.
 * Each file has one FileUpdater (lock → re-read → apply → temp → fsync → hash re-check →
 * rename → fsync dir). Writes of the secrets file are strict: `{version: 1, profiles, order}`
 * with profiles in the shapes of §3 — keys we do not know are kept, never dropped. After a
 * write the state is reloaded, so the caller's next read sees it. Usage-state writes are
 * best-effort and never fail a call. The config edit after adding a profile is best-effort too:
 * the store is the truth, and a config that does not parse is left alone with a warning.
 */
import { existsSync } from 'node:fs';
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthUpsertParams, WriteResult } from '../../ipc/protocol.js';
import { providerOfProfileId } from '../../ipc/providers.js';
import { forgetProfile, recordProfileMetadata, setConfigAuthOrder, setSecretProvider } from '../config/edit-config.js';
import { isRecord, parseJsonc } from '../../ipc/jsonc.js';
import { setDotenvKey, unsetDotenvKey } from '../env/edit-dotenv.js';
import type { GatewayState } from '../state/gateway-state.js';
import type { Credential, UsageStats } from './credentials.js';
import { FileUpdater } from './file-updater.js';
import type { Change, Validate } from './file-updater.js';
import { readCredential } from './read-stores.js';
import { sameSecret, toStoredCredential } from './validate-credential.js';

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
        onWritten: async () => {
          await this.state.reload('write');
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

  /**
   * `opts.extra`: fields kept beside the credential as they came (an import keeps every field of
   * OpenClaw's profile: `idToken`, `displayName`, `projectId`, …); `opts.anyProvider`: a provider
   * with no built-in client is accepted (import only; hand commands must name a known one).
   */
  async upsertProfile(
    agent: string,
    profileId: string,
    input: AuthUpsertParams['credential'],
    replace: boolean,
    opts: { extra?: Record<string, unknown>; anyProvider?: boolean } = {},
  ): Promise<WriteResult & { replaced: boolean }> {
    const credential = toStoredCredential(profileId, input, this.state.providers, { anyProvider: opts.anyProvider === true });
    await this.migrateEmbeddedUsage(agent);
    const file = this.state.paths.authProfiles(agent);
    const outcome = await this.updater(file, validateJsonObject).update(
      this.profilesChange(agent, (doc) => {
        const profiles = isRecord(doc.profiles) ? doc.profiles : (doc.profiles = {});
        const existing = profiles[profileId] === undefined ? undefined : readCredential(profileId, profiles[profileId]).credential;
        if (existing && JSON.stringify(storedJson(existing)) === JSON.stringify(storedJson(credential))) return { changed: false, replaced: false };
        if (existing && !sameSecret(existing, credential) && !replace) {
          throw new OpenSoulError('CONFLICT', { reason: `profile ${profileId} already exists with a different secret; replace it explicitly (--force) or choose another --profile-id` });
        }
        profiles[profileId] = { ...opts.extra, ...storedJson(credential) };
        return { changed: true, replaced: existing !== undefined && !sameSecret(existing, credential) };
      }),
    );
    const warnings: string[] = [];
    // A replaced secret starts afresh: a credential_scope "until replaced" and old counters go.
    if (outcome.replaced) await this.recordUsage(agent, (doc) => void delete doc.usageStats[profileId]);
    await this.editConfig(warnings, (text) => recordProfileMetadata(text, profileId, { provider: credential.provider, mode: credential.type }));
    return { agent, path: file, profileId, changed: outcome.changed, replaced: outcome.replaced, warnings };
  }

  async removeProfile(agent: string, profileId: string): Promise<WriteResult> {
    const view = this.state.agentView(agent);
    if (!view || !view.store.profiles[profileId]) throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId, agent });
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
        jsonChange((doc) => {
          const had = profileId === `${provider}:default` && doc[provider] !== undefined;
          if (had) delete doc[provider];
          return had;
        }, (doc) => doc),
      );
      if (!removed) throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId, agent });
      path = legacyFile;
    }
    await this.recordUsage(agent, (doc) => {
      delete doc.usageStats[profileId];
      for (const [p, id] of Object.entries(doc.lastGood)) if (id === profileId) delete doc.lastGood[p];
      doc.order = ordersWithout(doc.order, profileId);
    });
    const warnings: string[] = [];
    await this.editConfig(warnings, (text) => forgetProfile(text, profileId));
    return { agent, path, profileId, changed: true, warnings };
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

  async setEnv(key: string, value: string): Promise<WriteResult> {
    const file = this.state.paths.dotenv;
    const changed = await this.updater(file, validateNothing).update((current) => {
      const r = setDotenvKey(current, key, value);
      return { next: r.changed ? r.next : null, result: r.changed };
    });
    return { agent: this.state.defaultAgent(), path: file, changed, warnings: [] };
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
  async recordUsage(agent: string, mutate: (doc: { lastGood: Record<string, string>; usageStats: Record<string, UsageStats>; order: unknown }) => void): Promise<boolean> {
    const file = this.state.paths.authState(agent);
    try {
      await this.updater(file, validateJsonObject).update(
        jsonChange((doc) => {
          const view = { lastGood: (isRecord(doc.lastGood) ? doc.lastGood : {}) as Record<string, string>, usageStats: (isRecord(doc.usageStats) ? doc.usageStats : {}) as Record<string, UsageStats>, order: doc.order };
          mutate(view);
          doc.lastGood = view.lastGood;
          doc.usageStats = view.usageStats;
          doc.order = view.order;
        }, normalizeStateDoc),
      );
      return true;
    } catch (err) {
      this.log.warn('could not record usage state; the call goes on', { path: file, err });
      return false;
    }
  }

  /**
   * Config `auth.order.<provider>` or `secrets.providers.<name>` in opensoul.json, edited in place
   * (comments kept); a config that does not parse is refused (STORE_INVALID).
   */
  async setConfigEntry(entry: { order: [provider: string, ids: string[]] } | { secretProvider: [name: string, value: Record<string, unknown>] }): Promise<string> {
    const file = this.state.paths.config;
    await this.updater(file, validateJsonObject).update((current) => {
      const r = 'order' in entry ? setConfigAuthOrder(current, ...entry.order) : setSecretProvider(current, ...entry.secretProvider);
      return { next: r.changed ? r.next : null, result: r.changed };
    });
    return file;
  }

  /** Best-effort edit of opensoul.json: the stores are the truth; a config that does not parse is left alone. */
  private async editConfig(warnings: string[], edit: (text: string | null) => { next: string | null; changed: boolean }): Promise<void> {
    const file = this.state.paths.config;
    try {
      await this.updater(file, validateJsonObject).update((current) => {
        const r = edit(current);
        return { next: r.changed ? r.next : null, result: r.changed };
      });
    } catch (err) {
      const why = err instanceof OpenSoulError ? err.message : 'it could not be written';
      warnings.push(`opensoul.json was not updated: ${why}`);
      this.log.warn('config metadata not updated', { path: file, err });
    }
  }
}
