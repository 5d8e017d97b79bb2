/**
 * `agents/<agentId>/sessions/sessions.json` (§3): one entry per session id, in OpenClaw's shape
 * so its files and ours agree — `providerOverride` + `modelOverride` (the model id without its
 * provider), `authProfileOverride` + `authProfileOverrideSource: "user"` (a pin), `updatedAt`,
 * `sessionId` — plus `modelPickerList`, ours: the refs of the last numbered `/model` list.
 *
 * Reading is lenient: a file that does not parse or is over the size limit gives the last good
 * sessions read from it (none at first) and a warning, never a crash. Writing is strict and goes
 * through the FileUpdater (lock → re-read → apply → atomic replace, 0600, dirs 0700); keys and
 * entries we do not know are kept, so OpenClaw's fields (thinkingLevel, token counters…) survive.
 * A write that would take the file past its budget first prunes what it can (session-retention.ts).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync, statSync } from 'node:fs';
import { dict, own } from '../../ipc/dict.js';
import type { Dict } from '../../ipc/dict.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { MAX_STATE_FILE_BYTES, oversizeMessage } from '../../ipc/file-checks.js';
import { isRecord, parseJsonc } from '../../ipc/jsonc.js';
import { FileUpdater } from '../stores/file-updater.js';
import type { Validate } from '../stores/file-updater.js';
import { pruneSessions, sessionsText } from './session-retention.js';
import type { EntryKind, PruneOutcome } from './session-retention.js';

/** What OpenSoul reads from one session entry. */
export interface SessionRecord {
  /** `provider/model` chosen with `/model`, or null: the agent's default. */
  model: string | null;
  /** The profile pinned with `/model …@id` (source `user`: locked, never rotated), or null. */
  pin: string | null;
  /** Unix ms of the last change, or null when the entry has none. */
  updatedAt: number | null;
  /** The refs of the last numbered list `/model` showed, for `/model <n>`; null when none was shown. */
  modelList: string[] | null;
}

/** A change to one session; absent fields stay as they are. */
export interface SessionPatch {
  model?: string | null;
  pin?: string | null;
  modelList?: string[] | null;
}

/** Every session of one file, and what was wrong with the file (for the log). */
export interface SessionsSnapshot {
  sessions: Dict<SessionRecord>;
  warnings: string[];
}

/** The longest session id; ids come from chat front-ends (a channel and a user id). */
export const MAX_SESSION_ID_LENGTH = 200;
/** The most refs a stored list keeps (the picker shows fewer). */
const MAX_LIST = 100;

/**
 * Why a session id cannot be used, or null. `__proto__` is refused too: the JSON reader drops
 * that key (it could change an object's prototype), so a pin stored under it would vanish.
 */
export function sessionIdProblem(id: string): string | null {
  if (id.length === 0 || id.length > MAX_SESSION_ID_LENGTH) return `a session id is 1 to ${MAX_SESSION_ID_LENGTH} characters`;
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(id)) return 'a session id may not contain control characters or line breaks';
  if (id === '__proto__') return 'the session id "__proto__" is reserved';
  return null;
}

const nonEmpty = (v: unknown): string | null => (typeof v === 'string' && v.trim() !== '' ? v.trim() : null);

/** Our reading of one raw entry (OpenClaw's or ours). */
export function recordOf(entry: Readonly<Record<string, unknown>>): SessionRecord {
  const provider = nonEmpty(entry.providerOverride);
  const model = nonEmpty(entry.modelOverride);
  // OpenClaw once stored `provider/model` whole in modelOverride with no providerOverride.
  const ref = provider && model ? `${provider}/${model}` : model && model.includes('/') ? model : null;
  const profile = nonEmpty(entry.authProfileOverride);
  const source = entry.authProfileOverrideSource;
  // OpenClaw's rule: an override with no source is the person's unless it carries the
  // compaction count that only its automatic rotation writes. An `auto` one rotates: no pin.
  const userPin = source === 'user' || (source === undefined && typeof entry.authProfileOverrideCompactionCount !== 'number');
  const list = Array.isArray(entry.modelPickerList) ? entry.modelPickerList.filter((r): r is string => typeof r === 'string').slice(0, MAX_LIST) : null;
  return {
    model: ref,
    pin: profile && userPin ? profile : null,
    updatedAt: typeof entry.updatedAt === 'number' && Number.isFinite(entry.updatedAt) ? entry.updatedAt : null,
    modelList: list,
  };
}

/** Parses a sessions file leniently: what cannot be read is skipped with a warning. */
export function parseSessionsText(text: string): { ok: true; snapshot: SessionsSnapshot } | { ok: false; message: string } {
  const parsed = parseJsonc(text);
  if (!parsed.ok) return { ok: false, message: `does not parse (${parsed.error.message})` };
  if (!isRecord(parsed.value)) return { ok: false, message: 'is not a JSON object' };
  const sessions = dict<SessionRecord>();
  let skipped = 0;
  for (const [id, entry] of Object.entries(parsed.value)) {
    if (sessionIdProblem(id) !== null || !isRecord(entry)) {
      skipped++;
      continue;
    }
    sessions[id] = recordOf(entry);
  }
  const warnings = skipped > 0 ? [`${skipped} entr${skipped === 1 ? 'y' : 'ies'} with an unusable id or value skipped (kept in the file)`] : [];
  return { ok: true, snapshot: { sessions, warnings } };
}

/** Applies `patch` to a raw entry in place, OpenClaw's field names, unknown keys untouched. */
function applyPatch(entry: Record<string, unknown>, id: string, patch: SessionPatch, now: number): void {
  if (patch.model !== undefined) {
    if (patch.model === null) {
      delete entry.providerOverride;
      delete entry.modelOverride;
      delete entry.modelOverrideSource;
    } else {
      const slash = patch.model.indexOf('/');
      entry.providerOverride = patch.model.slice(0, slash);
      entry.modelOverride = patch.model.slice(slash + 1);
      entry.modelOverrideSource = 'user';
    }
  }
  if (patch.pin !== undefined) {
    if (patch.pin === null) {
      delete entry.authProfileOverride;
      delete entry.authProfileOverrideSource;
    } else {
      entry.authProfileOverride = patch.pin;
      entry.authProfileOverrideSource = 'user';
    }
    // Only OpenClaw's automatic rotation writes it; a person's choice supersedes it (as OpenClaw does).
    delete entry.authProfileOverrideCompactionCount;
  }
  if (patch.modelList !== undefined) {
    if (patch.modelList === null) delete entry.modelPickerList;
    else entry.modelPickerList = patch.modelList.slice(0, MAX_LIST);
  }
  if (typeof entry.sessionId !== 'string') entry.sessionId = id;
  entry.updatedAt = now;
}

/** What an entry holds of ours: a pin is kept whatever the file's size. */
function kindOf(entry: Readonly<Record<string, unknown>>): EntryKind {
  const record = recordOf(entry);
  return record.pin !== null ? 'pinned' : record.model !== null ? 'model' : 'nothing';
}

const validateObject: Validate = (text) => {
  const parsed = parseJsonc(text);
  if (!parsed.ok) return { position: parsed.error.message };
  return isRecord(parsed.value) ? null : { position: 'line 1, column 1: expected a JSON object' };
};

interface CacheEntry {
  /** dev, ino, size, mtime and ctime of the file we read, or `absent`. */
  stamp: string;
  snapshot: SessionsSnapshot;
  /** The last snapshot of a file that parsed, served while the file does not. */
  lastGood: SessionsSnapshot | null;
}

const EMPTY = (): SessionsSnapshot => ({ sessions: dict(), warnings: [] });

/** Options of the write path (tests shorten the lock wait). */
export interface SessionStoreOptions {
  lockTimeoutMs?: number;
  /** Called with each new warning about a file (a file that stopped parsing), once per change of the file. */
  warn?: (file: string, message: string) => void;
  /** Called once per write that pruned the file to make room (for the log). */
  pruned?: (file: string, outcome: PruneOutcome) => void;
}

/** Sessions whose last use this daemon remembers, per file: enough for every entry a 1 MiB file can hold. */
const MAX_REMEMBERED_USES = 10_000;

/**
 * Reads and writes sessions files: reads are synchronous and cached by the file's identity
 * (inode, size, times), so a chat message costs one `stat`; each file has one FileUpdater, so
 * concurrent writes from this process are batched and none is lost.
 */
export class SessionStore {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly updaters = new Map<string, FileUpdater>();
  /**
   * When each session was last read for a message or a proxied call, per file. A session in daily
   * use whose model was set months ago has an old `updatedAt`; pruning goes by the later of the
   * two, so it does not prune the sessions in use. In memory only: writing on every message
   * would rewrite the file all day; after a restart, `updatedAt` alone orders them again.
   */
  private readonly uses = new Map<string, Map<string, number>>();

  constructor(private readonly opts: SessionStoreOptions = {}) {}

  /** Every session of `file`; a missing file is no sessions, a bad one the last good (or none) and a warning. */
  read(file: string): SessionsSnapshot {
    let stamp: string;
    let size = 0;
    try {
      const st = statSync(file);
      size = st.size;
      stamp = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'error';
      // Keyed by the error, as a file is by its identity: a file that stays unreachable is reported once, not on every read.
      stamp = code === 'ENOENT' ? 'absent' : `unreadable:${code}`;
    }
    const cached = this.cache.get(file);
    if (cached && cached.stamp === stamp) return cached.snapshot;
    if (stamp.startsWith('unreadable:')) return this.failed(file, `cannot be read (${stamp.slice('unreadable:'.length)})`, stamp);
    if (stamp === 'absent') return this.remember(file, stamp, EMPTY(), true);
    if (size > MAX_STATE_FILE_BYTES) return this.failed(file, oversizeMessage(size), stamp);
    let text: string;
    let fd: number | null = null;
    try {
      // O_NONBLOCK, and the type checked on the open descriptor: this read is synchronous, so a
      // FIFO in the file's place would block the open, and with it the whole daemon, for ever.
      fd = openSync(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
      const st = fstatSync(fd);
      if (!st.isFile()) return this.failed(file, st.isDirectory() ? 'is a directory, not a file' : 'is not a regular file (a FIFO, socket or device)', stamp);
      text = readFileSync(fd, 'utf8');
    } catch (err) {
      return this.failed(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`, stamp);
    } finally {
      if (fd !== null) closeSync(fd);
    }
    const parsed = parseSessionsText(text);
    if (!parsed.ok) return this.failed(file, parsed.message, stamp);
    for (const w of parsed.snapshot.warnings) this.opts.warn?.(file, w);
    return this.remember(file, stamp, parsed.snapshot, true);
  }

  /** One session's record, or null when the file has none for it; `usedAt` records a use of it (see `uses`). */
  get(file: string, sessionId: string, usedAt?: number): SessionRecord | null {
    const record = own(this.read(file).sessions, sessionId) ?? null;
    // Only sessions in the file are remembered, so ids made up by a client cannot grow the map.
    if (record !== null && usedAt !== undefined) this.rememberUse(file, sessionId, usedAt);
    return record;
  }

  /**
   * Applies `patch` to one session under the write protocol and returns the record as written.
   * Refused with INVALID_INPUT for a bad id; STORE_INVALID when the file does not parse (it is
   * never overwritten); LOCKED when it cannot be had.
   */
  async update(file: string, sessionId: string, patch: SessionPatch, now: number): Promise<SessionRecord> {
    const problem = sessionIdProblem(sessionId);
    if (problem !== null) throw new OpenSoulError('INVALID_INPUT', { reason: problem });
    try {
      const written = await this.updater(file).update((current) => {
        const parsed = current === null ? null : parseJsonc(current);
        // validateObject has already refused a file that does not parse or is not an object.
        const doc = dict<unknown>(parsed?.ok && isRecord(parsed.value) ? parsed.value : null);
        const existing = own(doc, sessionId);
        const entry = dict<unknown>(isRecord(existing) ? existing : null);
        applyPatch(entry, sessionId, patch, now);
        doc[sessionId] = entry;
        const record = recordOf(entry);
        let next = sessionsText(doc);
        // A write that changes nothing prunes nothing either: the file is not rewritten for housekeeping alone.
        if (next === current) return { next: null, result: { record, pruned: null } };
        const uses = this.uses.get(file);
        const pruned = pruneSessions(doc, {
          keep: sessionId,
          bytes: Buffer.byteLength(next),
          prunable: (id) => sessionIdProblem(id) === null,
          kind: kindOf,
          lastUsed: (id, e) => Math.max(typeof e.updatedAt === 'number' && Number.isFinite(e.updatedAt) ? e.updatedAt : 0, uses?.get(id) ?? 0),
        });
        if (pruned) next = sessionsText(doc);
        // A file over the limit is not read at all: written, it would lose every pin at the next
        // start and refuse every later write. Refused here, it stays as it was (unpruned) and is read.
        if (Buffer.byteLength(next) > MAX_STATE_FILE_BYTES) {
          const count = Object.keys(doc).length;
          throw new OpenSoulError('INVALID_INPUT', {
            reason:
              `${file} would grow past its 1 MiB limit (${count} sessions) even with every unpinned session pruned: ` +
              'remove the pinned sessions no longer used from it (a hand edit applies at once)',
          });
        }
        return { next, result: { record, pruned } };
      });
      // Once per write that landed: a change re-applied after a concurrent edit is reported by its last run only.
      if (written.pruned) this.opts.pruned?.(file, written.pruned);
      return written.record;
    } finally {
      // Our own write changes the file's identity: the next read re-reads it (the last good sessions stay known).
      const cached = this.cache.get(file);
      if (cached) cached.stamp = 'stale';
    }
  }

  private updater(file: string): FileUpdater {
    let u = this.updaters.get(file);
    if (!u) {
      u = new FileUpdater(file, { validate: validateObject, ...(this.opts.lockTimeoutMs !== undefined ? { lockTimeoutMs: this.opts.lockTimeoutMs } : {}) });
      this.updaters.set(file, u);
    }
    return u;
  }

  private rememberUse(file: string, sessionId: string, at: number): void {
    let uses = this.uses.get(file);
    if (!uses) this.uses.set(file, (uses = new Map<string, number>()));
    // Deleted and set again, so the map's order is least recently used first and the cap drops the stalest.
    uses.delete(sessionId);
    uses.set(sessionId, at);
    if (uses.size > MAX_REMEMBERED_USES) uses.delete(uses.keys().next().value as string);
  }

  private remember(file: string, stamp: string, snapshot: SessionsSnapshot, good: boolean): SessionsSnapshot {
    const lastGood = good ? snapshot : (this.cache.get(file)?.lastGood ?? null);
    this.cache.set(file, { stamp, snapshot, lastGood });
    return snapshot;
  }

  private failed(file: string, message: string, stamp: string): SessionsSnapshot {
    const lastGood = this.cache.get(file)?.lastGood ?? null;
    const kept = lastGood !== null && Object.keys(lastGood.sessions).length > 0;
    const warning = `${file} ${message}: ${kept ? 'the sessions read from it before are kept' : 'no session pins are read from it'} until it is fixed by hand`;
    this.opts.warn?.(file, warning);
    const snapshot: SessionsSnapshot = { sessions: lastGood ? lastGood.sessions : dict(), warnings: [warning] };
    return this.remember(file, stamp, snapshot, false);
  }
}
