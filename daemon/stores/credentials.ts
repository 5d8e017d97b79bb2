/**
 * The credential shapes of §3, as the daemon holds them after lenient reading. Writing is strict
 * and in exactly these shapes.
 */
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
}

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
  /** The last OAuth refresh failed: the profile counts as expired (§7.1). */
  refreshFailedAt?: number;
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
