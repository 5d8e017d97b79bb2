/**
 * `auth.resolve` (§8.1): the credential a call for (agent, provider) must use now. A session's
 * pin first and alone; else available profiles in order; then the provider's env key (§4); then
 * profiles that are cooling down or disabled, soonest available first (better a profile that may
 * answer than none); else NO_CREDENTIALS with the provider's recovery hint. A profile whose
 * secret cannot be had (an unset env ref, an unreadable file, a failing command) is skipped.
 *
 * A user pin is locked (§8.3): when the pinned profile cannot be used, the answer says why
 * rather than quietly handing out another credential.
 *
 * OAuth profiles that expire within 5 minutes are refreshed first (§8.1): the resolver waits for
 * the daemon's refresher (one token request per credential, however many callers) and then
 * orders the profiles as they are after it. One the refresher cannot refresh (another CLI
 * manages it, its provider has no token endpoint, its refresh token was refused) is used until
 * it expires, then skipped.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthResolveResult } from '../../ipc/protocol.js';
import { firstEnvKey } from '../env/environment.js';
import type { CredentialOrigin } from '../providers/remedies.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import { literalSecret, secretRefOf, unusableReason } from '../stores/credentials.js';
import type { Credential } from '../stores/credentials.js';
import { oauthNote } from '../oauth/oauth-notes.js';
import { orderCandidates } from './order.js';
import type { Candidate, OrderResult } from './order.js';
import { SecretRefError, resolveSecretRef } from './secret-refs.js';

/** What narrows a resolution beyond (agent, provider). */
export interface ResolveOptions {
  /** The session's pinned profile id (its provider's calls use it and nothing else). */
  pin?: string | undefined;
  /** The call's model: a cooldown scoped to another model does not apply. */
  model?: string | undefined;
  /** Profiles already tried in this call (failover), and `env` when the env key was. */
  exclude?: ReadonlySet<string>;
}

/** The exclude key of the provider's env key. */
export const ENV_CANDIDATE = 'env';

export function orderFor(state: GatewayState, view: AgentView, provider: string, now: number, opts: ResolveOptions = {}): OrderResult {
  return orderCandidates({
    provider,
    profiles: view.store.profiles,
    agentOrder: view.store.order[provider],
    configOrder: state.config.value.authOrder[provider],
    pin: opts.pin,
    model: opts.model,
    usage: view.usage,
    now,
    unusableReason: (id, c) => unusableReason(id, c, view.usage, now, state.refProbe),
  });
}

/**
 * Where the credential of an answer came from (`profileId`, else the env key `envVar`), for the
 * remedy when its provider refuses it; null when it is no longer there (a file changed meanwhile).
 */
export function credentialOrigin(state: GatewayState, view: AgentView, profileId: string | null, envVar: string | null): CredentialOrigin | null {
  if (profileId !== null) {
    const credential = view.store.profiles[profileId];
    if (!credential) return null;
    // An inherited profile is the default agent's own: replaced there, by a write naming no agent.
    const owner = view.inherited[profileId] ?? view.id;
    return {
      kind: 'profile',
      id: profileId,
      type: credential.type,
      managedBy: credential.type === 'oauth' ? credential.managedBy : undefined,
      agent: owner === state.defaultAgent() ? undefined : owner,
    };
  }
  const entry = envVar !== null ? state.env.get(envVar) : undefined;
  return entry ? { kind: 'env', name: entry.name, source: entry.source, path: entry.path, dotenvPath: state.paths.dotenv } : null;
}

/** A credential's secret: the literal one, or its SecretRef resolved now (SecretRefError when it cannot be). */
export async function secretOf(state: GatewayState, credential: Credential): Promise<string | null> {
  const literal = literalSecret(credential);
  if (literal) return literal;
  const ref = secretRefOf(credential);
  return ref ? resolveSecretRef(ref, state.secretRefContext()) : null;
}

export async function resolveCredential(
  state: GatewayState,
  given: AgentView,
  provider: string,
  now: number,
  opts: ResolveOptions = {},
): Promise<AuthResolveResult> {
  const spec = state.providers.require(provider);
  let view = given;
  if (state.refresher) {
    await state.refresher.refreshDue(view, provider, now);
    // The refreshed tokens are on disk and loaded by now: order what is there after the refresh.
    view = state.agentView(view.id) ?? view;
  }
  const pinned = opts.pin !== undefined && view.store.profiles[opts.pin]?.provider === provider ? opts.pin : undefined;
  const order = orderFor(state, view, provider, now, { ...opts, pin: pinned });
  const excluded = (id: string) => opts.exclude?.has(id) === true;
  // Why a profile's SecretRef gave nothing (never a value): part of the error, so the person can fix it.
  const unresolved: string[] = [];
  const fromProfile = async (list: Candidate[]): Promise<AuthResolveResult | null> => {
    for (const c of list) {
      if (excluded(c.id)) continue;
      let secret: string | null;
      try {
        secret = await secretOf(state, c.credential);
      } catch (err) {
        if (!(err instanceof SecretRefError)) throw err;
        unresolved.push(`${c.id}: ${err.message}`);
        continue;
      }
      if (!secret) continue;
      return { provider, profileId: c.id, type: c.credential.type, secret, source: 'profile', envVar: null, baseUrl: spec.baseUrl, pinned: c.id === pinned };
    }
    return null;
  };
  if (pinned !== undefined) {
    // The pin alone, even cooling down: the person chose it, and hears why if it fails.
    const found = await fromProfile(order.candidates);
    if (found) return found;
    const skipped = order.skipped.find((c) => c.id === pinned);
    const why = excluded(pinned) ? 'it already failed for this call' : (skipped?.reason ?? unresolved[0] ?? 'its secret cannot be had');
    throw new OpenSoulError('NO_CREDENTIALS', { provider, agent: view.id, store: view.authStorePath, pinned, pinReason: why });
  }
  const first = await fromProfile(order.candidates.filter((c) => c.state === 'available'));
  if (first) return first;
  const env = excluded(ENV_CANDIDATE) ? null : firstEnvKey(state.env, spec.envVars);
  if (env) return { provider, profileId: null, type: 'api_key', secret: env.value, source: 'env', envVar: env.name, baseUrl: spec.baseUrl, pinned: false };
  const last = await fromProfile(order.candidates.filter((c) => c.state !== 'available'));
  if (last) return last;
  // An OAuth profile that is expired for a reason the person can fix: say which, and how.
  const oauthNotes = order.skipped.flatMap((c) => {
    if (c.credential.type !== 'oauth') return [];
    const note = oauthNote(c.credential, view.usage.usageStats[c.id], state.config.value, true);
    return note ? [`${c.id} is expired (${note})`] : [];
  });
  throw new OpenSoulError('NO_CREDENTIALS', {
    provider,
    agent: view.id,
    store: view.authStorePath,
    hint: spec.hint,
    ...(oauthNotes.length > 0 ? { notes: oauthNotes.join('; ') } : {}),
    ...(unresolved.length > 0 ? { unresolved: unresolved.join('; ') } : {}),
    ...(opts.exclude && opts.exclude.size > 0 ? { tried: opts.exclude.size } : {}),
  });
}
