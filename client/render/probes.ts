/**
 * The "Probes" part of `models status --probe` (§9): one row per credential probed, its outcome
 * coloured, and the provider's reason with the remedy. Pure: results in, lines out.
 */
import type { CallOutcome, ProbeResult } from '../../ipc/protocol.js';
import type { Style } from './style.js';
import { alignRows } from './table.js';

/**
 * Outcomes that mean the credential itself is bad (refused, revoked, out of credit, or a token the
 * provider allows only in its own client): `--check` fails on them. A rate limit, an overload,
 * a timeout or the network say nothing about the credential.
 */
export const CREDENTIAL_FAILURES: readonly CallOutcome[] = ['auth', 'auth_permanent', 'billing', 'credential_scope'];

/** True when any probe found a bad credential (`--check` then exits 1). */
export function probesFailCheck(probes: readonly ProbeResult[] | undefined): boolean {
  return (probes ?? []).some((p) => CREDENTIAL_FAILURES.includes(p.status));
}

/** Who was probed: the profile id, or `env VAR` for the provider's env key. */
export function probeSubject(p: ProbeResult): string {
  return p.profileId ?? (p.envVar ? `env ${p.envVar}` : 'env');
}

function outcomeWord(status: CallOutcome, s: Style): string {
  if (status === 'ok') return s.green(status);
  if (CREDENTIAL_FAILURES.includes(status)) return s.red(status);
  return s.yellow(status);
}

/** The reason and its remedy in one cell: `HTTP 401 invalid x-api-key — replace the key`. */
function whyText(p: ProbeResult): string {
  return [p.error, p.remedy].filter((t): t is string => typeof t === 'string' && t !== '').join(' — ');
}

/** `412ms`, or `3.2s` from a second on. */
export function formatLatency(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}

/** The aligned table of the human view (without its heading), indented like the other sections. */
export function probeLines(probes: readonly ProbeResult[], s: Style): string[] {
  if (probes.length === 0) return [`  ${s.dim('(nothing to probe: no profile or env key matched)')}`];
  return alignRows(
    probes.map((p) => [probeSubject(p), p.provider, s.dim(p.model), outcomeWord(p.status, s), formatLatency(p.latencyMs), whyText(p) ? s.dim(whyText(p)) : '']),
    '  ',
  );
}

/** `--plain`: one tab-separated line per probe (subject, provider, model, status, latency in ms, reason), for scripts. */
export function probePlainLines(probes: readonly ProbeResult[]): string[] {
  return probes.map((p) => [probeSubject(p), p.provider, p.model, p.status, String(Math.round(p.latencyMs)), whyText(p)].join('\t').replace(/\t+$/, ''));
}
