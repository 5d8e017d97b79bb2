/**
 * `models.status` answers, serialized, computed once per state generation and clock window
 * instead of once per request: a ~10 KB answer took ~80 µs to build and ~50 µs to stringify,
 * which capped the socket at a fraction of a bare echo server (bench section 3).
 *
 * A cached answer is always the one a fresh computation would give at that instant:
 * - the state: keyed on GatewayState.generation, which every reload, write, usage report and
 *   cooldown (all land as a file taken in) bumps;
 * - the clock: the answer is kept as a template with holes for `now` and every `remainingMs` (an
 *   instant minus now, filled per request to the ms), and only until clockChangesAt() — the
 *   first expiry, warning window, cooldown end or shown wait ("in 4m 59s") that could change it;
 * - what lies outside the state: every SecretRef probe the computation made (a `file` ref reads a
 *   file of the person's) is made again per request, and a different outcome recomputes.
 */
import { randomBytes } from 'node:crypto';
import type { ModelsStatusResult, SecretRef } from '../../ipc/protocol.js';
import type { RefProbe } from '../stores/credentials.js';
import { clockChangesAt } from './models-status.js';

/** What a status depends on beyond the state and the clock. */
export interface StatusRequest {
  agent: string;
  clientEnvNames?: readonly string[] | undefined;
  /** OPENSOUL_LOAD_SHELL_ENV=1 in the daemon's environment (read per request, as before). */
  loadShellEnv: boolean;
}

export interface StatusAnswersDeps {
  generation: () => number;
  /** A fresh status at `now`; every ref probe goes through `refProbe`, so that it can be replayed. */
  compute: (request: StatusRequest, now: number, refProbe: RefProbe) => ModelsStatusResult;
  refProbe: RefProbe;
  /** Distinct requests (agents × client env name sets) kept; the oldest goes first. */
  maxEntries?: number;
}

/** A serialized status with its clock-dependent numbers left out: `parts[0] slot0 parts[1] … parts[n]`. */
export interface ClockTemplate {
  parts: string[];
  /** Per hole: the instant whose distance from now goes there (a `remainingMs`), or null for `now` itself. */
  slots: (number | null)[];
}

interface Entry {
  generation: number;
  /** The answer holds for from ≤ now < until. */
  from: number;
  until: number;
  probes: { ref: SecretRef; outcome: string | null }[];
  template: ClockTemplate;
}

/**
 * The template filled in for `now`. Numbers are written with `toFixed(0)`, which for these safe
 * integers gives the digits `String()` does: V8 keeps what `String()` and template literals make
 * of a number in its number-string cache, allocated straight in the old generation, so the ~40
 * fresh numbers of each answer grew the old heap by ~0.5 KB a request (no garbage of the young
 * generation, just Mark-Compacts every few thousand requests and ~10 MiB more RSS after 100k).
 */
export function renderTemplate(t: ClockTemplate, now: number): string {
  let out = t.parts[0] as string;
  for (let i = 0; i < t.slots.length; i++) {
    const instant = t.slots[i] as number | null;
    out += (instant === null ? now : instant - now).toFixed(0) + (t.parts[i + 1] as string);
  }
  return out;
}

/**
 * `status` serialized with holes for `now` and every `remainingMs`, checked to give back exactly
 * JSON.stringify(status) at `status.now`; null when it cannot be (a non-integer time: the
 * arithmetic would not be exact; the random marker met in the data).
 */
export function clockTemplate(status: ModelsStatusResult): { template: ClockTemplate; text: string } | null {
  const marker = `\u0000${randomBytes(8).toString('hex')}`;
  const slots: (number | null)[] = [];
  let exact = Number.isSafeInteger(status.now);
  const text = JSON.stringify(status, function (this: unknown, key: string, value: unknown) {
    if (typeof value !== 'number') return value;
    if (key === 'now' && this === status) slots.push(null);
    else if (key === 'remainingMs') {
      const instant = value + status.now;
      exact &&= Number.isSafeInteger(value) && Number.isSafeInteger(instant);
      slots.push(instant);
    } else return value;
    return marker;
  });
  if (!exact) return null;
  const template = { parts: text.split(JSON.stringify(marker)), slots };
  if (template.parts.length !== slots.length + 1) return null;
  const plain = JSON.stringify(status);
  return renderTemplate(template, status.now) === plain ? { template, text: plain } : null;
}

export class StatusAnswers {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;

  constructor(private readonly deps: StatusAnswersDeps) {
    this.maxEntries = deps.maxEntries ?? 32;
  }

  /** JSON.stringify of the status a fresh computation gives at `now`. */
  json(request: StatusRequest, now: number): string {
    const key = JSON.stringify([request.agent, request.loadShellEnv, request.clientEnvNames ?? null]);
    const generation = this.deps.generation();
    const entry = this.entries.get(key);
    if (entry && entry.generation === generation && Number.isSafeInteger(now) && now >= entry.from && now < entry.until && this.probesHold(entry)) {
      return renderTemplate(entry.template, now);
    }
    const probes: Entry['probes'] = [];
    const recording: RefProbe = (ref) => {
      const outcome = this.deps.refProbe(ref);
      probes.push({ ref, outcome });
      return outcome;
    };
    const status = this.deps.compute(request, now, recording);
    const built = Number.isSafeInteger(now) ? clockTemplate(status) : null;
    if (!built) {
      this.entries.delete(key);
      return JSON.stringify(status);
    }
    this.entries.delete(key);
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, { generation, from: now, until: clockChangesAt(status), probes, template: built.template });
    return built.text;
  }

  private probesHold(entry: Entry): boolean {
    for (const p of entry.probes) if (this.deps.refProbe(p.ref) !== p.outcome) return false;
    return true;
  }
}
