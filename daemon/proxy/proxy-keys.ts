/**
 * Proxy keys (§12): the local keys a tool shows the proxy instead of a provider secret. Each is
 * scoped (one agent, optionally some providers, optionally an expiry), revocable, and stored
 * only as its SHA-256 in `<stateDir>/proxy-keys.json` (0600, written through the §3 write path).
 * The key itself is shown once, when created.
 *
 * Why a plain SHA-256 and not a slow password hash (scrypt, argon2): a key is 32 random bytes,
 * 256 bits of entropy. A slow hash only helps against guessing a low-entropy secret from its
 * hash; nobody can enumerate 2^256 candidates however fast the hash is. A fast hash also keeps
 * the check on every proxied request to about a microsecond.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { OpenSoulError } from '../../ipc/errors.js';
import { parseJsonc, isRecord } from '../../ipc/jsonc.js';
import type { ProxyKeyInfo } from '../../ipc/protocol.js';
import { openRegular } from '../fs/open-regular.js';
import { FileUpdater } from '../stores/file-updater.js';

/** Every proxy key starts with this, so a leaked one is recognisable (and greppable) as ours. */
export const PROXY_KEY_PREFIX = 'osk-';

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** 32 bytes in base62: ceil(256 / log2(62)) = 43 characters. */
const KEY_BODY_LENGTH = 43;
const KEY_PATTERN = `${PROXY_KEY_PREFIX}[0-9A-Za-z]{${KEY_BODY_LENGTH}}`;
const KEY_SHAPE = new RegExp(`^${KEY_PATTERN}$`);
/** A proxy key anywhere in a text (a header value, a query parameter). */
export const PROXY_KEY_IN_TEXT = new RegExp(KEY_PATTERN);
const ID_SHAPE = /^pk-[0-9a-f]{12}$/;

/** Expired keys are dropped from the file this long after they expire (exec --proxy makes one per run). */
const EXPIRED_KEPT_MS = 24 * 3_600_000;

/** One key as stored: never the key, only its hash. */
export interface ProxyKeyRecord {
  id: string;
  /** Hex SHA-256 of the whole key. */
  hash: string;
  agent: string;
  /** The providers the key may use; null = every provider. */
  providers: string[] | null;
  label: string | null;
  createdAt: number;
  expiresAt: number | null;
  /** An `exec --proxy` key held by its run (absent otherwise): revoked once no `opensoul exec` holds it (ProxyService). */
  held?: true;
}

/** Why a key was refused (never which part of it was wrong). */
export type KeyRefusal = 'missing' | 'unknown' | 'expired' | 'provider';

/** The verdict on a presented key. */
export type KeyVerdict = { ok: true; record: ProxyKeyRecord } | { ok: false; reason: KeyRefusal };

/** What a new key is allowed to do. */
export interface NewKey {
  agent: string;
  providers: string[] | null;
  label: string | null;
  expiresAt: number | null;
  held?: true;
}

/** 32 random bytes as base62, left-padded to a fixed length. */
function base62Of(bytes: Buffer): string {
  let n = BigInt(`0x${bytes.toString('hex')}`);
  let s = '';
  while (n > 0n) {
    s = (BASE62[Number(n % 62n)] as string) + s;
    n /= 62n;
  }
  return s.padStart(KEY_BODY_LENGTH, '0');
}

/** A fresh key: `osk-` and 43 base62 characters (256 random bits). */
export function generateProxyKey(): string {
  return PROXY_KEY_PREFIX + base62Of(randomBytes(32));
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The records of a file's text; throws on a file that is not ours (caught by the callers). */
export function parseKeyFile(text: string): ProxyKeyRecord[] {
  const parsed = parseJsonc(text);
  if (!parsed.ok) throw new Error(parsed.error.message);
  const root = parsed.value;
  if (!isRecord(root) || !Array.isArray(root.keys)) throw new Error('expected {"version": 1, "keys": [...]}');
  const out: ProxyKeyRecord[] = [];
  for (const k of root.keys) {
    if (
      !isRecord(k) ||
      typeof k.id !== 'string' ||
      !ID_SHAPE.test(k.id) ||
      typeof k.hash !== 'string' ||
      !/^[0-9a-f]{64}$/.test(k.hash) ||
      typeof k.agent !== 'string'
    )
      continue;
    const providers = Array.isArray(k.providers) && k.providers.every((p) => typeof p === 'string') ? k.providers : null;
    out.push({
      id: k.id,
      hash: k.hash,
      agent: k.agent,
      providers,
      label: typeof k.label === 'string' ? k.label : null,
      createdAt: typeof k.createdAt === 'number' ? k.createdAt : 0,
      expiresAt: typeof k.expiresAt === 'number' ? k.expiresAt : null,
      ...(k.held === true ? { held: true as const } : {}),
    });
  }
  return out;
}

function serialize(records: readonly ProxyKeyRecord[]): string {
  return `${JSON.stringify({ version: 1, keys: records }, null, 2)}\n`;
}

/** A record as `proxy.key.list` shows it: no hash. */
export function keyInfo(r: ProxyKeyRecord, now: number): ProxyKeyInfo {
  return {
    id: r.id,
    agent: r.agent,
    providers: r.providers,
    label: r.label,
    createdAt: r.createdAt,
    expiresAt: r.expiresAt,
    expired: r.expiresAt !== null && r.expiresAt <= now,
    held: r.held === true,
  };
}

/** The key store: an in-memory copy of the file (hashes as buffers), refreshed when the file changes. */
export class ProxyKeys {
  private records: { record: ProxyKeyRecord; hash: Buffer }[] = [];
  private seen: { mtimeMs: number; size: number } | null = null;
  private readonly updater: FileUpdater;
  /** Why the file could not be read (kept for status; the last good keys stay in force). */
  error: string | null = null;

  constructor(readonly file: string) {
    this.updater = new FileUpdater(file, {
      validate: (text) => {
        try {
          parseKeyFile(text);
          return null;
        } catch (err) {
          return { position: err instanceof Error ? err.message : 'not JSON' };
        }
      },
      onWritten: () => this.refresh(true),
    });
  }

  /** Re-reads the file when its size or mtime changed (or always, with `force`). */
  async refresh(force = false): Promise<void> {
    const st = await stat(this.file).catch(() => null);
    if (!st) {
      this.records = [];
      this.seen = null;
      this.error = null;
      return;
    }
    if (!force && this.seen && this.seen.mtimeMs === st.mtimeMs && this.seen.size === st.size) return;
    this.seen = { mtimeMs: st.mtimeMs, size: st.size };
    try {
      // Not readFile: a FIFO in the file's place would block its open for ever, and the daemon,
      // which reads this file before it listens, would never answer.
      const handle = await openRegular(this.file);
      let text: string;
      try {
        text = await handle.readFile('utf8');
      } finally {
        await handle.close();
      }
      this.records = parseKeyFile(text).map((record) => ({ record, hash: Buffer.from(record.hash, 'hex') }));
      this.error = null;
    } catch (err) {
      const why =
        err instanceof OpenSoulError ? 'is not a regular file (a FIFO, socket or device)' : `does not parse (${err instanceof Error ? err.message : 'error'})`;
      this.error = `${this.file} ${why}; the keys read before stay in force`;
    }
  }

  /** Creates a key; the returned `key` is the only copy there will ever be. */
  async create(spec: NewKey, now: number): Promise<{ record: ProxyKeyRecord; key: string }> {
    const key = generateProxyKey();
    const record: ProxyKeyRecord = { id: `pk-${randomBytes(6).toString('hex')}`, hash: sha256(key).toString('hex'), ...spec, createdAt: now };
    await this.updater.update((current) => {
      const kept = (current === null ? [] : parseKeyFile(current)).filter((r) => r.expiresAt === null || r.expiresAt + EXPIRED_KEPT_MS > now);
      return { next: serialize([...kept, record]), result: undefined };
    });
    return { record, key };
  }

  /** Removes a key; INVALID_INPUT when there is none of that id. */
  async revoke(id: string): Promise<void> {
    if (!(await this.remove(id))) throw new OpenSoulError('INVALID_INPUT', { reason: `there is no proxy key ${id} (\`opensoul proxy key list\` shows them)` });
  }

  /** Removes a key if the file still has it; whether it did. */
  remove(id: string): Promise<boolean> {
    return this.updater.update((current) => {
      const all = current === null ? [] : parseKeyFile(current);
      const kept = all.filter((r) => r.id !== id);
      return kept.length === all.length ? { next: null, result: false } : { next: serialize(kept), result: true };
    });
  }

  /** The keys as last read (hashes included: for the daemon, not for replies). */
  list(): ProxyKeyRecord[] {
    return this.records.map((r) => r.record);
  }

  /**
   * The record a presented key belongs to, if it may call `provider` now. Every stored hash is
   * compared in constant time, with no early exit, so the answer's timing says nothing about
   * which key (if any) came close.
   */
  verify(presented: string | null, provider: string, now: number): KeyVerdict {
    if (presented === null || presented === '') return { ok: false, reason: 'missing' };
    if (!KEY_SHAPE.test(presented)) return { ok: false, reason: 'unknown' };
    const hash = sha256(presented);
    let match: ProxyKeyRecord | null = null;
    for (const r of this.records) {
      if (timingSafeEqual(r.hash, hash)) match = r.record;
    }
    if (!match) return { ok: false, reason: 'unknown' };
    if (match.expiresAt !== null && match.expiresAt <= now) return { ok: false, reason: 'expired' };
    if (match.providers !== null && !match.providers.includes(provider)) return { ok: false, reason: 'provider' };
    return { ok: true, record: match };
  }
}
