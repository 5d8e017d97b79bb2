/**
 * `models status --probe` (§9): one minimal, non-streamed real request per target, a bounded
 * number at once, each ending by its timeout for real — including the time to resolve its
 * credential, which may mean an OAuth refresh. Results come back in the order of the targets
 * and hold no secret; their statuses are the §8.2 outcomes the integrator reports.
 */
import type { ProfileType, ProbeResult as ProtocolProbeResult } from '../../ipc/protocol.js';
import type { ProviderApi } from '../../ipc/providers.js';
import { callProvider } from './call.js';
import { cleanText, scrubSecrets } from './error-text.js';
import { ProviderCallError } from './types.js';

/** What to probe: one credential (a profile, or a provider's env key) against one model. */
export interface ProbeTarget {
  profileId: string | null;
  envVar: string | null;
  provider: string;
  api: ProviderApi;
  baseUrl: string;
  /** The provider's own model id (see `probeModelFor`). */
  model: string;
  /** Resolves the credential just before its probe; a throw makes the result `unknown` with its message. */
  credential: () => Promise<{ type: ProfileType; secret: string }>;
}

/**
 * What one probe found: the protocol's result (`status` is `ok` or the outcome to report for the
 * credential; `latencyMs` from the start of the probe, credential included, to its end) without
 * the remedy, which the status owner adds, plus what the usage owner needs.
 */
export interface ProbeResult extends Omit<ProtocolProbeResult, 'remedy'> {
  retryAfterMs: number | null;
  modelScoped: boolean;
}

/** How to probe. */
export interface ProbeRunOptions {
  /** The bound of each probe, credential resolution included. */
  timeoutMs: number;
  /** How many probes run at once (at least 1). */
  concurrency: number;
  /** The `max_tokens` of each probe request. */
  maxTokens: number;
  now?: () => number;
  fetchImpl?: typeof fetch;
}

/** The prompt of every probe: short, and answerable in one token. */
export const PROBE_PROMPT = 'Reply with OK';

/**
 * Time the whole probe may take beyond `timeoutMs` before it is cut regardless: callProvider's
 * own deadline normally ends it first, this catches a credential resolver that hangs.
 */
const GRACE_MS = 250;

/** Probes each target, at most `concurrency` at once; results in the order of `targets`. */
export async function runProbes(targets: readonly ProbeTarget[], opts: ProbeRunOptions): Promise<ProbeResult[]> {
  const results: ProbeResult[] = new Array<ProbeResult>(targets.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < targets.length) {
      const i = next++;
      const target = targets[i];
      if (target) results[i] = await probeOne(target, opts);
    }
  };
  const width = Math.max(1, Math.min(Math.floor(opts.concurrency) || 1, targets.length));
  await Promise.all(Array.from({ length: width }, worker));
  return results;
}

/** One probe, bounded by `timeoutMs` (+ GRACE_MS) whatever part of it hangs. */
async function probeOne(t: ProbeTarget, opts: ProbeRunOptions): Promise<ProbeResult> {
  const now = opts.now ?? Date.now;
  const started = now();
  const base = { profileId: t.profileId, envVar: t.envVar, provider: t.provider, model: t.model };
  const cancel = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const cutOff = new Promise<ProbeResult>((resolve) => {
    timer = setTimeout(() => {
      cancel.abort();
      resolve({
        ...base,
        status: 'timeout',
        latencyMs: now() - started,
        error: `no answer within ${opts.timeoutMs} ms`,
        retryAfterMs: null,
        modelScoped: false,
      });
    }, opts.timeoutMs + GRACE_MS);
  });
  try {
    return await Promise.race([cutOff, attempt(t, opts, base, started, now, cancel.signal)]);
  } finally {
    clearTimeout(timer);
    cancel.abort();
  }
}

async function attempt(
  t: ProbeTarget,
  opts: ProbeRunOptions,
  base: Pick<ProbeResult, 'profileId' | 'envVar' | 'provider' | 'model'>,
  started: number,
  now: () => number,
  signal: AbortSignal,
): Promise<ProbeResult> {
  let credential: { type: ProfileType; secret: string };
  try {
    credential = await t.credential();
  } catch (err) {
    // The resolver's errors are OpenSoulErrors, built without secrets; still cleaned and cut.
    const message = err instanceof Error ? cleanText(err.message) : 'the credential could not be resolved';
    return {
      ...base,
      status: 'unknown',
      latencyMs: now() - started,
      error: message || 'the credential could not be resolved',
      retryAfterMs: null,
      modelScoped: false,
    };
  }
  const remaining = Math.max(1, opts.timeoutMs - (now() - started));
  try {
    await callProvider({
      api: t.api,
      provider: t.provider,
      baseUrl: t.baseUrl,
      credential,
      model: t.model,
      messages: [{ role: 'user', content: PROBE_PROMPT }],
      maxTokens: opts.maxTokens,
      stream: false,
      timeoutMs: remaining,
      signal,
      ...(opts.fetchImpl ? { fetchImpl: opts.fetchImpl } : {}),
      ...(opts.now ? { now: opts.now } : {}),
    });
    return { ...base, status: 'ok', latencyMs: now() - started, error: null, retryAfterMs: null, modelScoped: false };
  } catch (err) {
    if (err instanceof ProviderCallError) {
      return {
        ...base,
        status: err.outcome,
        latencyMs: now() - started,
        error: scrubSecrets(err.message, [credential.secret]),
        retryAfterMs: err.retryAfterMs,
        modelScoped: err.modelScoped,
      };
    }
    // Only the cut-off aborts `signal`, and its result has already won the race.
    return { ...base, status: 'unknown', latencyMs: now() - started, error: 'the probe failed unexpectedly', retryAfterMs: null, modelScoped: false };
  }
}
