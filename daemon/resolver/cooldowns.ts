/**
 * §8.2's cooldown arithmetic, pure over the profile's usage stats, the outcome and a clock:
 * rate_limit/overloaded/auth/format/unknown cool down 30 s, 60 s, then 5 min (by the error
 * count within the failure window; `auth.cooldowns` in config); billing disables 5 h doubling
 * to 24 h; auth_permanent 10 min doubling to 60 min; credential_scope until the person replaces
 * the credential; timeout, network and model_not_found never count against a profile; ok clears
 * the counters. A provider's own word on when to come back (Retry-After, rate-limit reset
 * headers) sets the cooldown's length when given.
 */
import type { CallOutcome } from '../../ipc/protocol.js';
import type { CooldownConfig } from '../config/config.js';
import type { UsageStats } from '../stores/credentials.js';
import { dict } from '../../ipc/dict.js';

const H = 3_600_000;
const MIN = 60_000;

/** "Until the person replaces it": the largest time a Date can hold. */
export const UNTIL_REPLACED = 8_640_000_000_000_000;

const COOLING: ReadonlySet<CallOutcome> = new Set(['rate_limit', 'overloaded', 'auth', 'format', 'unknown']);

function doubling(base: number, cap: number, n: number): number {
  return Math.min(cap, base * 2 ** Math.max(0, n - 1));
}

export interface OutcomeEffect {
  stats: UsageStats;
  /** Whether the profile becomes its provider's lastGood. */
  lastGood: boolean;
  /** Set when the profile now waits: until when and why. */
  cooling: { until: number; reason: CallOutcome; disabled: boolean } | null;
}

/** The longest cooldown a provider's Retry-After may ask for: past it, the header is not believed. */
const MAX_RETRY_AFTER_MS = 24 * H;

export function applyOutcome(
  previous: UsageStats | undefined,
  outcome: CallOutcome,
  now: number,
  cfg: CooldownConfig,
  model?: string,
  retryAfterMs?: number,
): OutcomeEffect {
  const stats: UsageStats = { ...previous, ...(previous?.failureCounts ? { failureCounts: dict(previous.failureCounts) } : {}) };
  if (outcome === 'ok') {
    for (const k of [
      'errorCount',
      'failureCounts',
      'cooldownUntil',
      'cooldownReason',
      'cooldownModel',
      'disabledUntil',
      'disabledReason',
      'lastFailureAt',
    ] as const)
      delete stats[k];
    stats.lastUsed = now;
    return { stats, lastGood: true, cooling: null };
  }
  // Not the credential's fault: a slow or unreachable provider, or a model it does not have.
  if (outcome === 'timeout' || outcome === 'network' || outcome === 'model_not_found') {
    stats.lastUsed = now;
    return { stats, lastGood: false, cooling: null };
  }
  const counts = (stats.failureCounts ??= dict());
  counts[outcome] = (counts[outcome] ?? 0) + 1;
  const inWindow = stats.lastFailureAt !== undefined && now - stats.lastFailureAt <= cfg.failureWindowMs;
  stats.errorCount = inWindow ? (stats.errorCount ?? 0) + 1 : 1;
  stats.lastFailureAt = now;
  stats.lastUsed = now;
  if (COOLING.has(outcome)) {
    const steps = cfg.stepsMs;
    const step = steps[Math.min(stats.errorCount, steps.length) - 1] ?? 0;
    const wait = retryAfterMs !== undefined && Number.isFinite(retryAfterMs) ? Math.min(Math.max(0, retryAfterMs), MAX_RETRY_AFTER_MS) : step;
    stats.cooldownUntil = now + wait;
    stats.cooldownReason = outcome;
    if (outcome === 'rate_limit' && model) stats.cooldownModel = model;
    else delete stats.cooldownModel;
    return { stats, lastGood: false, cooling: { until: stats.cooldownUntil, reason: outcome, disabled: false } };
  }
  const until =
    outcome === 'billing'
      ? now + doubling(5 * H, 24 * H, counts.billing ?? 1)
      : outcome === 'auth_permanent'
        ? now + doubling(10 * MIN, 60 * MIN, counts.auth_permanent ?? 1)
        : UNTIL_REPLACED; // credential_scope
  stats.disabledUntil = until;
  stats.disabledReason = outcome;
  return { stats, lastGood: false, cooling: { until, reason: outcome, disabled: true } };
}
