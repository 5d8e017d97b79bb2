/**
 * The usage owner (§8.1, §8.2): marks a profile used (the round robin needs lastUsed) and applies
 * a call's outcome — cooldown or disable, lastGood, and the `profile.cooldown` event. Handlers,
 * chat turns, probes and the proxy all report here, so one outcome has one effect whoever saw it.
 *
 * Usage state is best-effort (§3): in the normal case the write takes milliseconds and the next
 * call sees it; behind a lock held by another tool it goes on in the background (and is logged
 * if it fails), so a stuck lock never stalls a call.
 */
import type { CallOutcome, EventName } from '../../ipc/protocol.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import type { StoreService } from '../stores/store-service.js';
import { applyOutcome } from './cooldowns.js';
import type { OutcomeEffect } from './cooldowns.js';

/** How long a caller waits for its usage write before going on without it. */
const USAGE_WRITE_WAIT_MS = 250;

function waitAtMost(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([work.then(() => undefined), timeout]).finally(() => clearTimeout(timer));
}

export interface UsageDeps {
  state: GatewayState;
  stores: StoreService;
  emit: (event: EventName, data: Record<string, unknown>) => void;
}

/** What a call's outcome did to its profile. */
export interface ReportedEffect {
  cooling: OutcomeEffect['cooling'];
}

export class UsageLedger {
  constructor(private readonly deps: UsageDeps) {}

  /** Least recently used first (§8.1): records that `profileId` was just handed out. */
  async markUsed(agent: string, profileId: string, at: number): Promise<void> {
    await waitAtMost(
      this.deps.stores.recordUsage(agent, (doc) => {
        doc.usageStats[profileId] = { ...doc.usageStats[profileId], lastUsed: at };
      }),
      USAGE_WRITE_WAIT_MS,
    );
  }

  /**
   * Applies a call's outcome to a profile the agent can use (its own or inherited). The change is
   * applied to the usage state as it is on disk at write time, so concurrent reports all count.
   */
  async report(
    view: AgentView,
    profileId: string,
    outcome: CallOutcome,
    opts: { at: number; model?: string | undefined; retryAfterMs?: number | undefined },
  ): Promise<ReportedEffect> {
    const credential = view.store.profiles[profileId];
    const cfg = this.deps.state.config.value.cooldowns;
    let cooling: OutcomeEffect['cooling'] = null;
    const written = this.deps.stores
      .recordUsage(view.id, (doc) => {
        const effect = applyOutcome(doc.usageStats[profileId], outcome, opts.at, cfg, opts.model, opts.retryAfterMs);
        doc.usageStats[profileId] = effect.stats;
        if (effect.lastGood && credential) doc.lastGood[credential.provider] = profileId;
        cooling = effect.cooling;
      })
      .then(() => {
        const c = cooling;
        if (c) this.deps.emit('profile.cooldown', { agent: view.id, profileId, until: c.until, reason: c.reason, disabled: c.disabled });
      });
    await waitAtMost(written, USAGE_WRITE_WAIT_MS);
    return { cooling };
  }
}
