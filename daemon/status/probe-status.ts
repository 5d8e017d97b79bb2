/**
 * `models status --probe` (§9): which credentials to probe, with which model, and what their
 * results do. Each profile of the agent (and the provider's env key) gets one minimal real
 * request through the provider clients; outcomes are reported to the usage owner like any
 * call's (§8.2), so a probe that finds a revoked key sets it aside before a real call trips on it.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { ModelsStatusResult, ProbeOptions, ProbeResult } from '../../ipc/protocol.js';
import { probeModelFor, splitModelRef } from '../../ipc/providers.js';
import { firstEnvKey } from '../env/environment.js';
import { runProbes } from '../providers/probe.js';
import type { ProbeTarget } from '../providers/probe.js';
import { remedyFor } from '../providers/remedies.js';
import { credentialOrigin, secretOf } from '../resolver/resolve.js';
import type { UsageLedger } from '../resolver/usage.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import { unusableReason } from '../stores/credentials.js';

export const PROBE_DEFAULTS = { timeoutMs: 10_000, concurrency: 4, maxTokens: 8 } as const;

/** The model a probe of `provider` asks for: the agent's own model of that provider when it has one, else the provider's cheap default. */
export function probeModel(provider: string, status: ModelsStatusResult): string | null {
  for (const ref of [status.resolvedDefault, ...status.fallbacks]) {
    const m = splitModelRef(status.aliases[ref] ?? ref);
    if (m && m.provider === provider) return m.model;
  }
  return probeModelFor(provider) ?? null;
}

export interface ProbeDeps {
  state: GatewayState;
  usage: UsageLedger;
  registerSecrets: (values: string[]) => void;
  now: () => number;
}

/** Runs the probes `opts` asks for and returns their results in status order. */
export async function probeStatus(deps: ProbeDeps, view: AgentView, status: ModelsStatusResult, opts: ProbeOptions): Promise<ProbeResult[]> {
  const { state } = deps;
  if (opts.provider) state.providers.require(opts.provider);
  const only = new Set([...(opts.profiles ?? []), ...(opts.profile ? [opts.profile] : [])]);
  for (const id of only) {
    if (!view.store.profiles[id]) throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId: id, agent: view.id });
  }
  const wanted = (provider: string) => opts.provider === undefined || opts.provider === provider;
  const targets: ProbeTarget[] = [];
  // Status order, provider by provider, profiles before the env key: a result that needs no
  // request sits in its place, a probe's by its index among the targets (runProbes keeps order).
  const slots: (ProbeResult | number)[] = [];
  const now = deps.now();
  for (const p of status.providers) {
    if (!wanted(p.provider)) continue;
    const spec = state.providers.getOrUnknown(p.provider);
    const model = probeModel(p.provider, status);
    const notProbed = (profileId: string | null, envVar: string | null, why: string) =>
      slots.push({ profileId, envVar, provider: p.provider, model: model ?? '', status: 'unknown', latencyMs: 0, error: `not probed: ${why}`, remedy: null });
    const add = (profileId: string | null, envVar: string | null, credential: ProbeTarget['credential']) => {
      if (!spec.baseUrl) return notProbed(profileId, envVar, 'no base URL is known for this provider (models.providers.<id>.baseUrl)');
      if (!model) return notProbed(profileId, envVar, 'no model is known to probe with');
      slots.push(targets.push({ profileId, envVar, provider: p.provider, api: spec.api, baseUrl: spec.baseUrl, model, credential }) - 1);
    };
    for (const entry of p.profiles) {
      if (only.size > 0 && !only.has(entry.id)) continue;
      const credential = view.store.profiles[entry.id];
      if (!credential) continue;
      const unusable = unusableReason(entry.id, credential, view.usage, now, state.refProbe);
      if (unusable) {
        notProbed(entry.id, null, unusable);
        continue;
      }
      add(entry.id, null, async () => {
        const secret = await secretOf(state, credential);
        if (!secret) throw new Error('no secret stored');
        deps.registerSecrets([secret]);
        return { type: credential.type, secret };
      });
    }
    const env = only.size === 0 ? firstEnvKey(state.env, spec.envVars) : null;
    if (env) add(null, env.name, () => Promise.resolve({ type: 'api_key' as const, secret: env.value }));
  }
  const results = await runProbes(targets, {
    timeoutMs: opts.timeoutMs ?? PROBE_DEFAULTS.timeoutMs,
    concurrency: opts.concurrency ?? PROBE_DEFAULTS.concurrency,
    maxTokens: opts.maxTokens ?? PROBE_DEFAULTS.maxTokens,
  });
  const at = deps.now();
  for (const r of results) {
    if (r.profileId && r.status !== 'unknown') {
      await deps.usage.report(view, r.profileId, r.status, { at, model: r.modelScoped ? r.model : undefined, retryAfterMs: r.retryAfterMs ?? undefined });
    }
  }
  return slots.map((slot) => {
    if (typeof slot !== 'number') return slot;
    const r = results[slot] as (typeof results)[number];
    return {
      profileId: r.profileId,
      envVar: r.envVar,
      provider: r.provider,
      model: r.model,
      status: r.status,
      latencyMs: r.latencyMs,
      error: r.error,
      remedy: r.status === 'ok' ? null : remedyFor(r.status, r.provider, credentialOrigin(state, view, r.profileId, r.envVar)),
    };
  });
}
