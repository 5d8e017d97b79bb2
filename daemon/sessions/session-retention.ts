/**
 * What a sessions file keeps when it grows (README, Files): nothing is pruned while the file is
 * under its budget, so a file the person may be reading is not rewritten for housekeeping. A
 * write that would take it past the budget first prunes, least recently used sessions first,
 * until the file is back under the target: (1) the stored `/model` picker lists (a convenience
 * for `/model <n>`, shown again by `/model`), (2) entries holding nothing of ours (no model, no
 * pin), (3) entries with a model but no pin. A pin is never pruned (pins persist), nor is the
 * session being written. The gap between budget and target makes pruning rare: one batch, then
 * many writes that prune nothing (and log nothing).
 *
 * Pure: the document, the session to keep and when each session was last used come in; the
 * document is changed in place and what was pruned comes out.
 */
import { isRecord } from '../../ipc/jsonc.js';
import type { Dict } from '../../ipc/dict.js';

/** Past this, a write prunes: a quarter of the 1 MiB read limit is left for entries no rule may prune (pins, unknown values). */
export const PRUNE_BUDGET_BYTES = 768 * 1024;
/** Where pruning stops: half the read limit, so that the next prune is hundreds of new sessions away. */
export const PRUNE_TARGET_BYTES = 512 * 1024;

/** What an entry holds of ours, as far as pruning is concerned. */
export type EntryKind = 'pinned' | 'model' | 'nothing';

/** What one pruning pass removed, by step. */
export interface PruneOutcome {
  /** Picker lists dropped from entries that stay. */
  lists: number;
  /** Entries removed that held neither a model nor a pin. */
  empty: number;
  /** Entries removed that held a model but no pin. */
  models: number;
  /** Bytes of the file as the write would have left it without pruning, and with it. */
  bytesBefore: number;
  bytesAfter: number;
}

export interface PruneOptions {
  /** The session being written: never pruned, nor its list. */
  keep: string;
  /** Which entries may be pruned at all (an id the reader skips is kept, as it is on read). */
  prunable: (id: string) => boolean;
  kind: (entry: Readonly<Record<string, unknown>>) => EntryKind;
  /** When the session was last used (written, or read by this daemon); older goes first. */
  lastUsed: (id: string, entry: Readonly<Record<string, unknown>>) => number;
  budget?: number;
  target?: number;
  /** The bytes of `sessionsText(doc)`, when the caller has just made it: spares serializing the file again. */
  bytes?: number;
}

/** The file's text for `doc`, as every write lays it out. */
export function sessionsText(doc: Readonly<Record<string, unknown>>): string {
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/**
 * The bytes one top-level member adds to {@link sessionsText}'s output: its line(s) and 2 for
 * the `,\n` or `{\n`…`\n}` around it. Exact: the text is 3 bytes (`{}\n`) plus the sum of
 * these, so pruning measures each step without serializing the whole file again.
 */
function memberBytes(id: string, value: unknown): number {
  return Buffer.byteLength(JSON.stringify({ [id]: value }, null, 2)) - 4 + 2;
}

/** Prunes `doc` in place when its text is over the budget; null when nothing had to go (or nothing could). */
export function pruneSessions(doc: Dict<unknown>, opts: PruneOptions): PruneOutcome | null {
  const budget = opts.budget ?? PRUNE_BUDGET_BYTES;
  const target = opts.target ?? PRUNE_TARGET_BYTES;
  const before = opts.bytes ?? Buffer.byteLength(sessionsText(doc));
  if (before <= budget) return null;
  const candidates = Object.entries(doc)
    .filter((e): e is [string, Record<string, unknown>] => e[0] !== opts.keep && isRecord(e[1]) && opts.prunable(e[0]))
    .map(([id, entry]) => ({ id, entry, used: opts.lastUsed(id, entry), kind: opts.kind(entry) }))
    // Oldest first; the id breaks ties so that the same file always prunes the same way.
    .sort((a, b) => a.used - b.used || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const outcome: PruneOutcome = { lists: 0, empty: 0, models: 0, bytesBefore: before, bytesAfter: before };
  let bytes = before;
  const listsDropped = new Set<string>();
  for (const c of candidates) {
    if (bytes <= target) break;
    if (!Object.hasOwn(c.entry, 'modelPickerList')) continue;
    const withList = memberBytes(c.id, c.entry);
    delete c.entry.modelPickerList;
    bytes -= withList - memberBytes(c.id, c.entry);
    listsDropped.add(c.id);
  }
  for (const step of ['nothing', 'model'] as const) {
    for (const c of candidates) {
      if (bytes <= target) break;
      if (c.kind !== step) continue;
      bytes -= memberBytes(c.id, c.entry);
      delete doc[c.id];
      listsDropped.delete(c.id);
      if (step === 'nothing') outcome.empty++;
      else outcome.models++;
    }
  }
  outcome.lists = listsDropped.size;
  // Only pins (and values no rule may prune) left: nothing to report; a write past the limit is refused by the caller.
  if (outcome.lists + outcome.empty + outcome.models === 0) return null;
  outcome.bytesAfter = Buffer.byteLength(sessionsText(doc));
  return outcome;
}

/** The log line's words for what a pass pruned: `3 picker lists, 120 sessions without a model or pin`. */
export function describePrune(o: PruneOutcome): string {
  const parts: string[] = [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  if (o.lists > 0) parts.push(n(o.lists, '/model picker list', '/model picker lists'));
  if (o.empty > 0) parts.push(n(o.empty, 'session without a model or pin', 'sessions without a model or pin'));
  if (o.models > 0) parts.push(n(o.models, 'unpinned session with a model', 'unpinned sessions with a model'));
  return parts.join(', ');
}
