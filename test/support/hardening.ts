/**
 * Shared parts of the hardening suite (test/hardening/): counts that switch between the quick
 * form (`npm test`) and the soak (`npm run soak`, OPENSOUL_SOAK=1) so the same code runs both,
 * a daemon's RSS and open fds read from /proc, canary secrets and the 12-character window grep.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';

/** Whether the long forms run (`npm run soak`). */
export const SOAK = process.env.OPENSOUL_SOAK === '1';

/**
 * A count for one kind of work: `OPENSOUL_HARDENING_<NAME>` when set (to try a size by hand),
 * else the soak or the quick figure.
 */
export function count(name: string, quick: number, soak: number): number {
  const raw = process.env[`OPENSOUL_HARDENING_${name}`];
  if (raw !== undefined && /^\d+$/.test(raw)) return Number(raw);
  return SOAK ? soak : quick;
}

/** Mocha timeout for a case: generous in the soak (the machine may be shared), else the quick one. */
export function budgetMs(quickMs: number, soakMs: number): number {
  return SOAK ? soakMs : quickMs;
}

export interface ProcStats {
  rssKiB: number;
  fds: number;
}

/** RSS (VmRSS) and the number of open fds of a live process, from /proc (Linux). */
export function procStats(pid: number): ProcStats {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rss = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  assert.ok(rss, `VmRSS of ${pid}`);
  return { rssKiB: Number(rss[1]), fds: readdirSync(`/proc/${pid}/fd`).length };
}

/** One row of the soak's before/after table. */
export interface StatsRow {
  what: string;
  times: number;
  before: ProcStats;
  after: ProcStats;
  lost: number;
  seconds: number;
}

const rows: StatsRow[] = [];

/** Records a row and prints it (the soak's figures are read from this output). */
export function report(row: StatsRow): void {
  rows.push(row);
  const mib = (kib: number) => (kib / 1024).toFixed(1);
  process.stdout.write(
    `      | ${row.what} | ${row.times} | ${row.seconds.toFixed(1)} s | RSS ${mib(row.before.rssKiB)} → ${mib(row.after.rssKiB)} MiB | ` +
      `fds ${row.before.fds} → ${row.after.fds} | lost ${row.lost} |\n`,
  );
}

/** Every row recorded so far (the soak prints them as one table at the end). */
export function reportedRows(): readonly StatsRow[] {
  return rows;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** `n` random base62 characters (crypto-random: 12-char windows of two canaries never collide by chance). */
export function base62(n: number): string {
  let s = '';
  for (let i = 0; i < n; i++) s += BASE62[randomInt(62)];
  return s;
}

/** A canary secret: a provider-shaped prefix and a long random part, which is what is grepped for. */
export interface Canary {
  /** Where it was planted (for the failure message; never the value). */
  label: string;
  value: string;
  /** The part after the prefix: every 12-character window of it is searched for. */
  secretPart: string;
}

export function canary(label: string, prefix: string, length = 40): Canary {
  const secretPart = base62(length);
  return { label, value: prefix + secretPart, secretPart };
}

/** Every `width`-character window of a string. */
export function windows(text: string, width = 12): string[] {
  const out: string[] = [];
  for (let i = 0; i + width <= text.length; i++) out.push(text.slice(i, i + width));
  return out;
}

/**
 * Fails when any 12-character window of any canary's secret part occurs in any text: a secret
 * truncated, masked too generously or split across a line still shows. The message names the
 * canary's label and the text's name, never the secret.
 */
export function assertNoCanaryWindows(canaries: readonly Canary[], texts: Record<string, string>): void {
  const leaks: string[] = [];
  for (const c of canaries) {
    const ws = windows(c.secretPart);
    for (const [name, text] of Object.entries(texts)) {
      const hit = ws.findIndex((w) => text.includes(w));
      if (hit !== -1) leaks.push(`${c.label} (window at ${hit}) in ${name}`);
    }
  }
  assert.deepEqual(leaks, [], `canary secrets leaked: ${leaks.join('; ')}`);
}

/** A progress line in the soak (its parts run for minutes); silent in the quick form. */
export function progress(line: string): void {
  if (SOAK) process.stdout.write(`      … ${line}\n`);
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
