/**
 * The words status, doctor and the resolver's errors use for an OAuth profile (§13): one
 * function, so the three cannot disagree about why a profile is expired and what fixes it.
 */
import type { GatewayConfig } from '../config/config.js';
import { managingCommand, refreshRefused } from '../stores/credentials.js';
import type { Credential, OAuthCredential, UsageStats } from '../stores/credentials.js';
import { oauthEndpoints } from './oauth-providers.js';
import { describeRefreshFailure, loginCommand } from './refresh-policy.js';

/**
 * What status says of an OAuth profile beyond its state (§13): who manages it and what to run
 * when it expires, why it cannot be refreshed, or why its last refresh failed and the fix.
 */
export function oauthNote(credential: OAuthCredential, stats: UsageStats | undefined, config: GatewayConfig, expired: boolean): string | null {
  if (credential.managedBy) {
    const cmd = managingCommand(credential.managedBy);
    return expired ? `managed by ${cmd}: refresh it with \`${cmd}\` and retry` : `managed by ${cmd}`;
  }
  const failure = stats?.refreshFailure;
  if (refreshRefused(credential, stats)) {
    return `${failure ? describeRefreshFailure(failure.reason) : 'the last OAuth refresh failed'}: run \`${loginCommand(credential.provider)}\``;
  }
  if (!oauthEndpoints(credential.provider, config)) {
    return (
      `cannot be refreshed: no OAuth token endpoint is known for ${credential.provider} ` +
      `(set models.providers.${credential.provider}.oauth.tokenUrl and clientId)${expired ? `; sign in again: \`${loginCommand(credential.provider)}\`` : ''}`
    );
  }
  if (failure?.reason === 'network') return `${describeRefreshFailure('network')}${expired ? '; the access token has expired meanwhile' : ''}`;
  // Expired but refreshable: the next call (or the gateway's next check) refreshes it.
  return null;
}

/**
 * Whether the gateway keeps this credential fresh itself: an OAuth profile of its own (not
 * another CLI's), with a refresh token, a known token endpoint and no refused refresh. Its
 * nearing expiry needs nobody: status shows it `ok` and no `token.expiring` is announced for it
 * (an access token lives hours; a 24 h window would show every healthy one as expiring).
 */
export function refreshedByGateway(credential: Credential, stats: UsageStats | undefined, config: GatewayConfig): boolean {
  return (
    credential.type === 'oauth' &&
    !credential.managedBy &&
    credential.refresh !== '' &&
    !refreshRefused(credential, stats) &&
    oauthEndpoints(credential.provider, config) !== null
  );
}
