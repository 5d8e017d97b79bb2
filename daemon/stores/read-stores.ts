/**
 * Lenient reading of the per-agent stores (§3): OpenSoul's split layout
 * (`auth-profiles.json` + `auth-state.json`), OpenClaw's single-file layout (lastGood and
 * usageStats inside `auth-profiles.json`), its split layout with `order` in `auth-state.json`,
 * its aliases (`mode`→`type`, `apiKey`→`key`), and a flat legacy `auth.json`
 * (`{ "<provider>": credential }` → `<provider>:default`). A profile that cannot be read is
 * skipped with a warning naming its id — never its content.
 */
import type { SecretRef } from '../../ipc/protocol.js';
import { dict } from '../../ipc/dict.js';
import { isRecord } from '../../ipc/jsonc.js';
import type { Credential, ProfileStore, RefreshFailureReason, UsageState, UsageStats } from './credentials.js';

const REFRESH_FAILURE_REASONS: readonly string[] = ['invalid_grant', 'refresh_token_reused', 'revoked', 'rejected', 'network'] satisfies RefreshFailureReason[];
const isRefreshFailureReason = (v: unknown): v is RefreshFailureReason => typeof v === 'string' && REFRESH_FAILURE_REASONS.includes(v);

export interface Read<T> {
  value: T;
  warnings: string[];
}

/** A Unix-ms time from ms, seconds (OpenClaw tools sometimes wrote seconds) or an ISO string. */
export function readTime(value: unknown): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  if (typeof value === 'string' && value.trim() !== '') {
    const t = Date.parse(value);
    return Number.isNaN(t) ? undefined : t;
  }
  return undefined;
}

function readRef(value: unknown): SecretRef | undefined {
  if (!isRecord(value)) return undefined;
  const { source, provider, id } = value;
  if ((source === 'env' || source === 'file' || source === 'exec') && typeof id === 'string' && id !== '') {
    return { source, ...(typeof provider === 'string' && provider !== '' ? { provider } : {}), id };
  }
  return undefined;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function normalizeType(raw: Record<string, unknown>): Credential['type'] | undefined {
  const t = raw.type ?? raw.mode;
  if (t === 'api_key' || t === 'apiKey' || t === 'api-key' || t === 'key') return 'api_key';
  if (t === 'token') return 'token';
  if (t === 'oauth') return 'oauth';
  if (t !== undefined) return undefined;
  if (raw.key !== undefined || raw.apiKey !== undefined || raw.keyRef !== undefined) return 'api_key';
  if ((raw.access ?? raw.accessToken) !== undefined && (raw.refresh ?? raw.refreshToken) !== undefined) return 'oauth';
  if (raw.token !== undefined || raw.tokenRef !== undefined) return 'token';
  return undefined;
}

/** Reads one profile; `undefined` with a reason when it cannot be used at all. */
export function readCredential(id: string, raw: unknown): { credential?: Credential; problem?: string } {
  if (typeof raw === 'string' && raw !== '') return { credential: { type: 'api_key', provider: providerFromId(id), key: raw } };
  if (!isRecord(raw)) return { problem: 'expected an object' };
  const type = normalizeType(raw);
  if (!type) return { problem: 'unknown or missing "type" (api_key, token or oauth)' };
  const provider = str(raw.provider) ?? providerFromId(id);
  const email = str(raw.email);
  switch (type) {
    case 'api_key': {
      const key = str(raw.key) ?? str(raw.apiKey);
      const keyRef = readRef(raw.keyRef);
      return { credential: { type, provider, ...(key ? { key } : {}), ...(keyRef ? { keyRef } : {}), ...(email ? { email } : {}) } };
    }
    case 'token': {
      const token = str(raw.token);
      const tokenRef = readRef(raw.tokenRef);
      const expires = readTime(raw.expires ?? raw.expiresAt);
      return {
        credential: {
          type,
          provider,
          ...(token ? { token } : {}),
          ...(tokenRef ? { tokenRef } : {}),
          ...(expires ? { expires } : {}),
          ...(email ? { email } : {}),
        },
      };
    }
    case 'oauth': {
      const access = str(raw.access) ?? str(raw.accessToken);
      const refresh = str(raw.refresh) ?? str(raw.refreshToken);
      const expires = readTime(raw.expires ?? raw.expiresAt);
      const accountId = str(raw.accountId);
      const managedBy = raw.managedBy === 'claude-cli' || raw.managedBy === 'codex-cli' ? raw.managedBy : undefined;
      if (managedBy) {
        // Read-through (§13): the tokens live in the other CLI's file; any copy here is ignored.
        const source = str(raw.source);
        if (!source) return { problem: 'a managed oauth profile needs "source" (the other CLI\'s credentials file)' };
        return {
          credential: {
            type,
            provider,
            access: '',
            refresh: '',
            expires: 0,
            managedBy,
            source,
            ...(email ? { email } : {}),
            ...(accountId ? { accountId } : {}),
          },
        };
      }
      if (!access || !refresh) return { problem: 'an oauth profile needs "access" and "refresh"' };
      return {
        credential: { type, provider, access, refresh, expires: expires ?? 0, ...(email ? { email } : {}), ...(accountId ? { accountId } : {}) },
      };
    }
  }
}

function providerFromId(id: string): string {
  const i = id.indexOf(':');
  return i > 0 ? id.slice(0, i) : id;
}

function readOrder(value: unknown, label: string, warnings: string[]): Record<string, string[]> {
  const out = dict<string[]>();
  if (value === undefined) return out;
  if (!isRecord(value)) {
    warnings.push(`${label}: expected an object of provider → profile ids; ignored`);
    return out;
  }
  for (const [provider, ids] of Object.entries(value)) {
    if (Array.isArray(ids) && ids.every((i) => typeof i === 'string')) out[provider] = ids;
    else warnings.push(`${label}.${provider}: expected a list of profile ids; ignored`);
  }
  return out;
}

function readUsage(lastGoodRaw: unknown, statsRaw: unknown, warnings: string[]): UsageState {
  const lastGood = dict<string>();
  if (isRecord(lastGoodRaw)) {
    for (const [provider, id] of Object.entries(lastGoodRaw)) if (typeof id === 'string') lastGood[provider] = id;
  } else if (lastGoodRaw !== undefined) warnings.push('lastGood: expected an object; ignored');
  const usageStats = dict<UsageStats>();
  if (isRecord(statsRaw)) {
    for (const [id, s] of Object.entries(statsRaw)) {
      if (!isRecord(s)) continue;
      const stats: UsageStats = {};
      const setTime = (k: 'lastUsed' | 'cooldownUntil' | 'disabledUntil' | 'lastFailureAt' | 'refreshFailedAt') => {
        const t = readTime(s[k]);
        if (t !== undefined) stats[k] = t;
      };
      setTime('lastUsed');
      setTime('cooldownUntil');
      setTime('disabledUntil');
      setTime('lastFailureAt');
      setTime('refreshFailedAt');
      if (typeof s.cooldownReason === 'string') stats.cooldownReason = s.cooldownReason;
      if (typeof s.cooldownModel === 'string') stats.cooldownModel = s.cooldownModel;
      if (typeof s.disabledReason === 'string') stats.disabledReason = s.disabledReason;
      if (typeof s.errorCount === 'number' && s.errorCount >= 0) stats.errorCount = s.errorCount;
      if (typeof s.refreshRefusedFor === 'string' && /^[0-9a-f]{16}$/.test(s.refreshRefusedFor)) stats.refreshRefusedFor = s.refreshRefusedFor;
      const failure = isRecord(s.refreshFailure) ? s.refreshFailure : undefined;
      const failedAt = readTime(failure?.at);
      if (failure && isRefreshFailureReason(failure.reason) && failedAt !== undefined) stats.refreshFailure = { reason: failure.reason, at: failedAt };
      if (isRecord(s.failureCounts)) {
        stats.failureCounts = dict<number>();
        for (const [k, n] of Object.entries(s.failureCounts)) if (typeof n === 'number') stats.failureCounts[k] = n;
      }
      usageStats[id] = stats;
    }
  } else if (statsRaw !== undefined) warnings.push('usageStats: expected an object; ignored');
  return { lastGood, usageStats };
}

/** The parsed content of `auth-profiles.json`, including OpenClaw's single-file usage state. */
export interface AuthProfilesFile extends ProfileStore {
  /** lastGood/usageStats found inside the file (OpenClaw early 2026), used when no auth-state.json exists. */
  embeddedUsage: UsageState | null;
  /** Per profile id, the fields `readCredential` does not know (`idToken`, `displayName`, `projectId`, …), kept as they are. */
  extras?: Record<string, Record<string, unknown>>;
}

/** Every field name `readCredential` reads, aliases included; the rest of a profile is "extra". */
const CREDENTIAL_FIELDS = new Set([
  'type',
  'mode',
  'provider',
  'key',
  'apiKey',
  'keyRef',
  'token',
  'tokenRef',
  'expires',
  'expiresAt',
  'access',
  'accessToken',
  'refresh',
  'refreshToken',
  'email',
  'accountId',
  'managedBy',
  'source',
]);

/** String values among a profile's kept fields (nested too) long enough to be a credential (an `idToken`): for the redactor. */
export function extraSecrets(value: unknown): string[] {
  if (typeof value === 'string') return value.length >= 8 ? [value] : [];
  if (Array.isArray(value)) return value.flatMap(extraSecrets);
  if (isRecord(value)) return Object.values(value).flatMap(extraSecrets);
  return [];
}

/** The fields of a raw profile that are not part of its credential, or undefined when there are none. */
export function extraFieldsOf(raw: unknown): Record<string, unknown> | undefined {
  if (!isRecord(raw)) return undefined;
  const out = Object.fromEntries(Object.entries(raw).filter(([k]) => !CREDENTIAL_FIELDS.has(k)));
  return Object.keys(out).length > 0 ? out : undefined;
}

export function readAuthProfilesFile(value: unknown): Read<AuthProfilesFile> {
  const warnings: string[] = [];
  if (!isRecord(value))
    return { value: { profiles: dict(), order: dict(), embeddedUsage: null }, warnings: ['expected a JSON object with "profiles"; nothing read'] };
  // The type, never the value (a misplaced secret must not be echoed into status or doctor).
  if (value.version !== undefined && value.version !== 1) warnings.push(`version is not 1 (its type is ${typeof value.version}); read as version 1`);
  const profiles = dict<Credential>();
  const extras = dict<Record<string, unknown>>();
  const rawProfiles = value.profiles;
  if (isRecord(rawProfiles)) {
    for (const [id, raw] of Object.entries(rawProfiles)) {
      const { credential, problem } = readCredential(id, raw);
      if (credential) {
        profiles[id] = credential;
        const extra = extraFieldsOf(raw);
        if (extra) extras[id] = extra;
      } else warnings.push(`profile "${id}": ${problem ?? 'unreadable'}; skipped`);
    }
  } else if (rawProfiles !== undefined) warnings.push('profiles: expected an object; nothing read');
  const order = readOrder(value.order, 'order', warnings);
  const embedded = value.lastGood !== undefined || value.usageStats !== undefined ? readUsage(value.lastGood, value.usageStats, warnings) : null;
  return { value: { profiles, order, embeddedUsage: embedded, ...(Object.keys(extras).length > 0 ? { extras } : {}) }, warnings };
}

/** The parsed content of `auth-state.json` (OpenClaw's split layout also kept `order` here). */
export interface AuthStateFile extends UsageState {
  order: Record<string, string[]>;
}

export function readAuthStateFile(value: unknown): Read<AuthStateFile> {
  const warnings: string[] = [];
  if (!isRecord(value)) return { value: { lastGood: dict(), usageStats: dict(), order: dict() }, warnings: ['expected a JSON object; nothing read'] };
  const usage = readUsage(value.lastGood, value.usageStats, warnings);
  return { value: { ...usage, order: readOrder(value.order, 'order', warnings) }, warnings };
}

/** OpenClaw's flat legacy `auth.json`: `{ "<provider>": credential | "key" }` → `<provider>:default`. */
export function readLegacyAuthFile(value: unknown): Read<Record<string, Credential>> {
  const warnings: string[] = [];
  const profiles = dict<Credential>();
  if (!isRecord(value)) return { value: profiles, warnings: ['expected a JSON object of provider → credential; nothing read'] };
  for (const [provider, raw] of Object.entries(value)) {
    const id = `${provider}:default`;
    const { credential, problem } = readCredential(id, isRecord(raw) && raw.provider === undefined ? { ...raw, provider } : raw);
    if (credential) profiles[id] = credential;
    else warnings.push(`"${provider}": ${problem ?? 'unreadable'}; skipped`);
  }
  return { value: profiles, warnings };
}
