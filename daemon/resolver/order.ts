/**
 * Which credential a call uses (§8.1), as a pure function of the stores, the config and a clock:
 * session pin > the agent's order override > config `auth.order[provider]` > every stored
 * profile of the provider round robin (oauth, then token, then api_key; least recently used
 * first). Profiles that cannot be used (no secret, expired token) are skipped; profiles in
 * cooldown or disabled go to the end, soonest available first.
 */
import type { Credential, UsageState, UsageStats } from '../stores/credentials.js';

export type OrderSource = 'pin' | 'agent' | 'config' | 'round-robin';

export type CandidateState = 'available' | 'cooldown' | 'disabled' | 'unusable';

export interface Candidate {
  id: string;
  credential: Credential;
  state: CandidateState;
  /** When a cooling or disabled profile is available again (Unix ms). */
  availableAt: number | null;
  /** Why it is not available. */
  reason: string | null;
}

export interface OrderInput {
  provider: string;
  profiles: Readonly<Record<string, Credential>>;
  agentOrder?: readonly string[] | undefined;
  configOrder?: readonly string[] | undefined;
  pin?: string | undefined;
  usage: UsageState;
  now: number;
  /** The model of the call: a cooldown scoped to another model does not apply. */
  model?: string | undefined;
  /** Why a credential cannot be used at all now (missing secret, expired), or null when it can. */
  unusableReason: (id: string, credential: Credential) => string | null;
}

export interface OrderResult {
  source: OrderSource;
  /** Usable candidates in call order: available first, then cooling/disabled soonest first. */
  candidates: Candidate[];
  /** Profiles of the provider that cannot be used, for display. */
  skipped: Candidate[];
}

const TYPE_RANK: Record<Credential['type'], number> = { oauth: 0, token: 1, api_key: 2 };

/**
 * A model as a cooldown scope: the provider's own id. Callers name a model either way
 * (`claude-sonnet-4-5`, or `anthropic/claude-sonnet-4-5` as config does); only the provider's
 * own prefix is dropped (`openrouter/meta/llama` → `meta/llama`, whose slash is the model's).
 */
export function modelScope(model: string, provider: string): string {
  return model.startsWith(`${provider}/`) ? model.slice(provider.length + 1) : model;
}

function coolingFor(
  stats: UsageStats | undefined,
  now: number,
  model: string | undefined,
  provider: string,
): { state: CandidateState; until: number | null; reason: string | null } {
  if (stats?.disabledUntil !== undefined && stats.disabledUntil > now) {
    return { state: 'disabled', until: stats.disabledUntil, reason: stats.disabledReason ?? null };
  }
  if (stats?.cooldownUntil !== undefined && stats.cooldownUntil > now) {
    const scoped = stats.cooldownModel;
    if (!scoped || model === undefined || modelScope(scoped, provider) === modelScope(model, provider)) {
      return { state: 'cooldown', until: stats.cooldownUntil, reason: stats.cooldownReason ?? null };
    }
  }
  return { state: 'available', until: null, reason: null };
}

export function orderCandidates(input: OrderInput): OrderResult {
  const ofProvider = Object.entries(input.profiles).filter(([, c]) => c.provider === input.provider);
  const byId = new Map(ofProvider);
  let source: OrderSource;
  let ids: string[];
  const explicit = (list: readonly string[] | undefined) => (list ?? []).filter((id, i, all) => byId.has(id) && all.indexOf(id) === i);

  if (input.pin !== undefined && byId.has(input.pin)) {
    source = 'pin';
    ids = [input.pin];
  } else if (input.agentOrder && explicit(input.agentOrder).length > 0) {
    source = 'agent';
    ids = explicit(input.agentOrder);
  } else if (input.configOrder && explicit(input.configOrder).length > 0) {
    source = 'config';
    ids = explicit(input.configOrder);
  } else {
    source = 'round-robin';
    ids = ofProvider
      .map(([id, c]) => ({ id, rank: TYPE_RANK[c.type], lastUsed: input.usage.usageStats[id]?.lastUsed ?? 0 }))
      .sort((a, b) => a.rank - b.rank || a.lastUsed - b.lastUsed || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0))
      .map((e) => e.id);
  }

  const available: Candidate[] = [];
  const waiting: Candidate[] = [];
  const skipped: Candidate[] = [];
  for (const id of ids) {
    const credential = byId.get(id) as Credential;
    const unusable = input.unusableReason(id, credential);
    if (unusable !== null) {
      skipped.push({ id, credential, state: 'unusable', availableAt: null, reason: unusable });
      continue;
    }
    const c = coolingFor(input.usage.usageStats[id], input.now, input.model, input.provider);
    const candidate = { id, credential, state: c.state, availableAt: c.until, reason: c.reason };
    (c.state === 'available' ? available : waiting).push(candidate);
  }
  // Stable sort: equal times keep the order's relative position.
  waiting.sort((a, b) => (a.availableAt ?? 0) - (b.availableAt ?? 0));
  return { source, candidates: [...available, ...waiting], skipped };
}
