/**
 * What a credential is (§3): its shapes as the daemon holds them after lenient reading (writing
 * is strict and in exactly these shapes), and the one owner of the questions asked of it — its
 * literal secret or reference, its expiry, whether it can be used now and why not. The resolver,
 * status, doctor and the write path all ask here, so the answers cannot disagree.
 */
import { createHash } from 'node:crypto';
import type { SecretRef } from '../../ipc/protocol.js';

export interface ApiKeyCredential {
  type: 'api_key';
  provider: string;
  key?: string;
  keyRef?: SecretRef;
  email?: string;
}

export interface TokenCredential {
  type: 'token';
  provider: string;
  token?: string;
  tokenRef?: SecretRef;
  /** Unix ms; absent = does not expire. */
  expires?: number;
  email?: string;
}

export interface OAuthCredential {
  type: 'oauth';
  provider: string;
  access: string;
  refresh: string;
  /** Unix ms. */
  expires: number;
  email?: string;
  accountId?: string;
  /**
   * Another CLI owns this credential (§13): its tokens stay in that CLI's file (`source`) and are
   * read through, never copied here, never refreshed by us — two refreshers of one refresh token
   * revoke each other. While the file cannot be read, `access`/`refresh` are empty.
   */
  managedBy?: ManagedBy;
  /** The other CLI's credentials file, for a managed credential. */
  source?: string;
}

/** The CLIs whose stored OAuth credentials OpenSoul can adopt read-through. */
export type ManagedBy = 'claude-cli' | 'codex-cli';

/** The command that refreshes a managed credential (`claude`, `codex`): what status tells the person to run. */
export function managingCommand(managedBy: ManagedBy): string {
  return managedBy === 'claude-cli' ? 'claude' : 'codex';
}

/** Why the last OAuth refresh failed (daemon/oauth/refresh-policy.ts classifies). */
export type RefreshFailureReason = 'invalid_grant' | 'refresh_token_reused' | 'revoked' | 'rejected' | 'network';

export type Credential = ApiKeyCredential | TokenCredential | OAuthCredential;

export interface UsageStats {
  lastUsed?: number;
  cooldownUntil?: number;
  cooldownReason?: string;
  /** A rate limit scoped to one model cools only that model (§8.2). */
  cooldownModel?: string;
  disabledUntil?: number;
  disabledReason?: string;
  errorCount?: number;
  failureCounts?: Record<string, number>;
  lastFailureAt?: number;
  /**
   * The last OAuth refresh failed for good (the refresh token was refused): the profile counts as
   * expired (§7.1) until a refresh succeeds or the profile is replaced. OpenClaw's field.
   */
  refreshFailedAt?: number;
  /**
   * Which refresh token was refused ({@link refreshTokenMark}: a short hash, never the token):
   * `refreshFailedAt` holds only while the profile still has that one. Ours; a mark without it
   * (OpenClaw's, or an older gateway's) holds until a refresh succeeds or the profile is replaced.
   */
  refreshRefusedFor?: string;
  /** Why the last refresh failed and when; a `network` failure does not set `refreshFailedAt`. */
  refreshFailure?: { reason: RefreshFailureReason; at: number };
}

export interface UsageState {
  lastGood: Record<string, string>;
  usageStats: Record<string, UsageStats>;
}

/** The secret-holding store of one agent: profiles and the agent's order override. */
export interface ProfileStore {
  profiles: Record<string, Credential>;
  order: Record<string, string[]>;
}

/** Every literal secret value a credential holds (refs are not secrets themselves). */
export function secretsOf(credential: Credential): string[] {
  switch (credential.type) {
    case 'api_key':
      return credential.key ? [credential.key] : [];
    case 'token':
      return credential.token ? [credential.token] : [];
    case 'oauth':
      return [credential.access, credential.refresh].filter((s) => s !== '');
  }
}

/** The secret a credential holds in the file, if it holds one (not a reference). */
export function literalSecret(credential: Credential): string | undefined {
  switch (credential.type) {
    case 'api_key':
      return credential.key || undefined;
    case 'token':
      return credential.token || undefined;
    case 'oauth':
      return credential.access || undefined;
  }
}

/** Where a credential's secret is held instead, when it is a SecretRef (OAuth tokens never are). */
export function secretRefOf(credential: Credential): SecretRef | undefined {
  return credential.type === 'api_key' ? credential.keyRef : credential.type === 'token' ? credential.tokenRef : undefined;
}

/** Why a ref's secret cannot be had (null: it can, or cannot be known without running it — status never runs an `exec` ref). */
export type RefProbe = (ref: SecretRef) => string | null;

/** Why a credential's secret cannot be had now, or null when it can (or cannot be known without running it). */
export function missingSecretReason(credential: Credential, refProbe: RefProbe): string | null {
  if (literalSecret(credential)) return null;
  if (credential.type === 'oauth' && credential.managedBy) {
    const cmd = managingCommand(credential.managedBy);
    return `managed by ${cmd}: ${credential.source ?? 'its credentials file'} holds no usable credentials; sign in with \`${cmd}\` and retry`;
  }
  const ref = secretRefOf(credential);
  if (!ref) return 'no secret stored';
  return refProbe(ref);
}

/** When it expires (Unix ms): null = never (API keys, tokens without expiry); 0 for an OAuth credential that names none (treated as expired). */
export function expiresAtOf(credential: Credential): number | null {
  if (credential.type === 'api_key') return null;
  return credential.expires !== undefined && credential.expires > 0 ? credential.expires : credential.type === 'oauth' ? 0 : null;
}

/** A refresh token as `refreshRefusedFor` names it: 16 hex digits of its SHA-256 (tells tokens apart, reveals nothing). */
export function refreshTokenMark(refresh: string): string {
  return createHash('sha256').update(refresh).digest('hex').slice(0, 16);
}

/**
 * Whether the profile's refresh token is one that was refused (`invalid_grant`, revoked): the
 * profile is expired and not asked again. A new login or a hand edit that put another refresh
 * token in the store lifts it, whoever wrote it (OpenClaw's own login included), with no
 * `login --force` here.
 */
export function refreshRefused(credential: Credential, stats: UsageStats | undefined): boolean {
  if (credential.type !== 'oauth' || stats?.refreshFailedAt === undefined) return false;
  return stats.refreshRefusedFor === undefined || stats.refreshRefusedFor === refreshTokenMark(credential.refresh);
}

/** Expired: past its expiry, or (OAuth) its refresh token was refused — a refresh token alone is not "ok" (§7.1). */
export function isExpired(id: string, credential: Credential, usage: UsageState, now: number): boolean {
  const expiresAt = expiresAtOf(credential);
  if (expiresAt !== null && expiresAt <= now) return true;
  return refreshRefused(credential, usage.usageStats[id]);
}

/** Why the credential cannot be used at all now (no secret, expired), or null when it can. */
export function unusableReason(id: string, credential: Credential, usage: UsageState, now: number, refProbe: RefProbe): string | null {
  return missingSecretReason(credential, refProbe) ?? (isExpired(id, credential, usage, now) ? 'expired' : null);
}

/** The literal secrets of a credential as a client hands it in, for the log redactor before anything is written. */
export function secretsOfInput(
  input: { type: 'api_key'; key?: string | undefined } | { type: 'token'; token?: string | undefined } | { type: 'oauth'; access: string; refresh: string },
): string[] {
  const all = input.type === 'api_key' ? [input.key] : input.type === 'token' ? [input.token] : [input.access, input.refresh];
  return all.filter((s): s is string => typeof s === 'string' && s !== '');
}

/** Whether two credentials hold the same secret (or the same reference): "is this the same credential?" for the no-silent-replacement rule. */
export function sameSecret(a: Credential, b: Credential): boolean {
  if (a.type !== b.type) return false;
  const key = (c: Credential) => JSON.stringify([literalSecret(c) ?? null, secretRefOf(c) ?? null, c.type === 'oauth' ? c.refresh : null]);
  return key(a) === key(b);
}
