/**
 * `auth.resolve` (§8.1): the credential a call for (agent, provider) must use now. Available
 * profiles in order first; then the provider's env key (§4); then profiles that are cooling
 * down or disabled, soonest available first (better a profile that may answer than none);
 * else NO_CREDENTIALS with the provider's recovery hint. A profile whose secret cannot be had
 * (an unset env ref, an unreadable file, a failing command) is skipped.
 *
 * Not yet: OAuth refresh (§8.1 "refreshed first when they expire within 5 minutes") needs each
 * provider's token endpoint; an OAuth profile is used until it expires and then skipped.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthResolveResult } from '../../ipc/protocol.js';
import { firstEnvKey } from '../env/environment.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import { isExpired, missingSecretReason } from '../status/models-status.js';
import type { Credential } from '../stores/credentials.js';
import { orderCandidates } from './order.js';
import type { OrderResult } from './order.js';
import { SecretRefError, resolveSecretRef } from './secret-refs.js';

export function orderFor(state: GatewayState, view: AgentView, provider: string, now: number, pin?: string): OrderResult {
  return orderCandidates({
    provider,
    profiles: view.store.profiles,
    agentOrder: view.store.order[provider],
    configOrder: state.config.value.authOrder[provider],
    pin,
    usage: view.usage,
    now,
    unusableReason: (id, c) => missingSecretReason(c, state.refProbe) ?? (isExpired(id, c, view.usage, now) ? 'expired' : null),
  });
}

function literalSecret(c: Credential): string | undefined {
  return c.type === 'api_key' ? c.key : c.type === 'token' ? c.token : c.access;
}

export async function resolveCredential(state: GatewayState, view: AgentView, provider: string, now: number): Promise<AuthResolveResult> {
  const spec = state.providers.require(provider);
  const order = orderFor(state, view, provider, now);
  const available = order.candidates.filter((c) => c.state === 'available');
  const waiting = order.candidates.filter((c) => c.state !== 'available');
  // Why a profile's SecretRef gave nothing (never a value): part of the error, so the person can fix it.
  const unresolved: string[] = [];
  const fromProfile = async (list: typeof available): Promise<AuthResolveResult | null> => {
    for (const c of list) {
      let secret = literalSecret(c.credential);
      if (!secret) {
        const ref = c.credential.type === 'api_key' ? c.credential.keyRef : c.credential.type === 'token' ? c.credential.tokenRef : undefined;
        if (!ref) continue;
        try {
          secret = await resolveSecretRef(ref, state.secretRefContext());
        } catch (err) {
          if (err instanceof SecretRefError) {
            unresolved.push(`${c.id}: ${err.message}`);
            continue;
          }
          throw err;
        }
      }
      return { provider, profileId: c.id, type: c.credential.type, secret, source: 'profile', envVar: null, baseUrl: spec.baseUrl };
    }
    return null;
  };
  const first = await fromProfile(available);
  if (first) return first;
  const env = firstEnvKey(state.env, spec.envVars);
  if (env) return { provider, profileId: null, type: 'api_key', secret: env.value, source: 'env', envVar: env.name, baseUrl: spec.baseUrl };
  const last = await fromProfile(waiting);
  if (last) return last;
  throw new OpenSoulError('NO_CREDENTIALS', { provider, agent: view.id, store: view.authStorePath, hint: spec.hint, ...(unresolved.length > 0 ? { unresolved: unresolved.join('; ') } : {}) });
}
