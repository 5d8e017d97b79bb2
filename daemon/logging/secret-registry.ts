/**
 * The set of every secret value the daemon holds or recently held (API keys, setup and static
 * tokens, OAuth access/refresh tokens, provider keys from `.env`), and the one function that
 * scrubs them from text: every log line passes through `redact()` after it is serialized (SPEC
 * §12, STYLE "Secrets, carefully"). Values no longer held are dropped after a grace period, so a
 * long-running daemon (new OAuth tokens every hour) does not grow its matcher without bound.
 */
import { inspect } from 'node:util';

/** What a secret is replaced with. */
export const REDACTED = '[REDACTED]';

/**
 * Shorter values are ignored: redacting a 3-character "secret" everywhere would mangle every
 * log line that happens to contain those characters, and no real credential is that short.
 */
export const MIN_SECRET_LENGTH = 8;

/**
 * A word or a few joined in one case (`changed`, `production`, `watch-mode`, `US_EAST`), under
 * 24 characters. `.env` holds settings beside keys, and every value there is registered: with
 * `ANTHROPIC_API_KEY=changed`, every later log line that said "changed" lost the word, and a
 * key of the JSON line with it. No provider's credential looks like this (they mix cases and
 * digits, and run 20+ characters); a long passphrase of words still counts.
 */
const ORDINARY_WORDS = /^(?:[a-z]+|[A-Z]+)(?:[-_. ](?:[a-z]+|[A-Z]+))*$/;
const ORDINARY_MAX_LENGTH = 24;

/** Whether `value` is registered as a secret: long enough, and not an ordinary word (see {@link ORDINARY_WORDS}). */
export function worthRegistering(value: string): boolean {
  if (value.length < MIN_SECRET_LENGTH) return false;
  return !(value.length < ORDINARY_MAX_LENGTH && ORDINARY_WORDS.test(value));
}

/**
 * How long a value stays scrubbed after it was last seen: held by the loaded state (a rotated key,
 * a refreshed token, a removed profile) or registered (a login's device code, a secret a ref
 * resolved to). A request in flight when it left can still fail and log its error, a provider can
 * echo it back late, and a person may paste it again: a day covers all of these with room to
 * spare, while a daemon refreshing OAuth tokens hourly keeps about a day of them, not all of them.
 */
export const RETIRED_GRACE_MS = 24 * 3_600_000;

/** `seenAt` of a value that is held (by the loaded state, or pinned): it never expires. */
const HELD = Number.POSITIVE_INFINITY;

/** Options of {@link SecretRegistry}. */
export interface SecretRegistryOptions {
  /** The clock (tests pass their own). */
  now?: () => number;
  /** How long a value no longer held stays scrubbed; {@link RETIRED_GRACE_MS} by default. */
  graceMs?: number;
}

/** A JSON string token; scanned left to right over a JSON text, it matches exactly the strings. */
const JSON_STRING = /"(?:[^"\\]|\\.)*"/g;

/**
 * Bound on the extra passes `redact()` makes when a replacement marker, joined with the text
 * around it, spells a registered secret again (only possible for a secret made partly of the
 * marker's own characters). Past it we fail closed and return the bare marker.
 */
const MAX_EXTRA_PASSES = 4;

/**
 * Keys the registry has never seen, recognised by their documented prefixes. The look-behind
 * keeps a prefix inside a longer word from matching ("task-manager-configuration" contains
 * "sk-manager-configuration"), which would blank ordinary log text.
 */
const PREFIXED_KEY = new RegExp(
  '(?<![A-Za-z0-9_-])(?:' +
    [
      'sk-ant-[A-Za-z0-9_-]{8,}', // Anthropic API keys and setup-tokens
      'sk-[A-Za-z0-9_-]{16,}', // OpenAI (sk-…, sk-proj-…, sk-svcacct-…), OpenRouter (sk-or-v1-…), DeepSeek
      'xai-[A-Za-z0-9_-]{16,}', // xAI
      'gsk_[A-Za-z0-9]{16,}', // Groq
      'gh[pousr]_[A-Za-z0-9]{20,}', // GitHub tokens (ghp_/gho_ and the user/server/refresh kinds)
      'github_pat_[A-Za-z0-9_]{20,}', // GitHub fine-grained tokens
      'AIza[A-Za-z0-9_-]{30,}', // Google API keys (AIza + 35 in practice)
      // Our proxy keys (daemon/proxy/proxy-keys.ts): the daemon keeps only their hash, so the
      // registry holds one only for a grace period after its creation, while it may live longer.
      'osk-[0-9A-Za-z]{43}',
    ].join('|') +
    ')',
  'g',
);

/**
 * HTTP credentials: the scheme word stays (it tells a reader what kind of credential was
 * there), the token goes. Case-insensitive because header values are. Known false positive,
 * accepted: prose like "basic authentication" loses its second word; nothing leaks.
 */
const AUTH_SCHEME = /\b(Bearer|Basic)(\s+)[A-Za-z0-9._~+/=-]{8,}/gi;

/**
 * Holds every loaded secret and redacts them from text. The values never leave this object:
 * there is no getter, no iteration, and `inspect`/`JSON.stringify` show only the count.
 *
 * A value is *held* while the loaded state holds it ({@link retain}) or it is pinned (the
 * connection token); any other value is kept for {@link RETIRED_GRACE_MS} after it was last seen,
 * then dropped.
 */
export class SecretRegistry {
  // Private fields: util.inspect, JSON.stringify and enumeration cannot reach them.
  /** Value → when it was last seen, or {@link HELD}. */
  readonly #values = new Map<string, number>();
  /** What the state held at its last {@link retain}. */
  #retained = new Set<string>();
  readonly #pinned = new Set<string>();
  /** No value expires before this; an early guess only costs a pass that finds nothing. */
  #nextExpiry = HELD;
  /** Every form of every value, indexed for the scan; null when it must be rebuilt. */
  #matcher: FormIndex | null = null;
  readonly #now: () => number;
  readonly #graceMs: number;

  constructor(opts: SecretRegistryOptions = {}) {
    this.#now = opts.now ?? Date.now;
    this.#graceMs = opts.graceMs ?? RETIRED_GRACE_MS;
  }

  /**
   * Remembers `value` as a secret seen now: one nobody holds (a login's device code, a secret a
   * ref resolved to) is dropped {@link RETIRED_GRACE_MS} after it was last registered, unless a
   * {@link retain} finds it held. The exact value is kept (nothing trimmed: the value that leaks
   * is the value that was loaded). Values that are too short or ordinary words
   * ({@link worthRegistering}), and values that are part of the replacement marker itself (they
   * could never be scrubbed: every replacement would recreate them), are ignored.
   */
  register(value: string): void {
    if (!registrable(value)) return;
    const seenAt = this.#values.get(value);
    if (seenAt === HELD) return;
    const now = this.#now();
    this.#values.set(value, now);
    this.#nextExpiry = Math.min(this.#nextExpiry, now + this.#graceMs);
    if (seenAt === undefined) this.#matcher?.addValue(value);
  }

  /** {@link register} for each value. */
  registerAll(values: Iterable<string>): void {
    for (const value of values) this.register(value);
  }

  /** Registers `value` for the life of the registry (the daemon's connection token). */
  pin(value: string): void {
    if (!registrable(value)) return;
    this.#pinned.add(value);
    if (!this.#values.has(value)) this.#matcher?.addValue(value);
    this.#values.set(value, HELD);
  }

  /**
   * Tells the registry the full set of secrets the loaded state holds now (after each reload that
   * changed something): these are held, and a value held before but missing now starts its grace
   * period (it is still scrubbed for a while: a late log line, an in-flight request's error).
   */
  retain(current: Iterable<string>): void {
    const now = this.#now();
    const next = new Set<string>();
    for (const value of current) {
      if (!registrable(value) || next.has(value)) continue;
      next.add(value);
      if (!this.#values.has(value)) this.#matcher?.addValue(value);
      this.#values.set(value, HELD);
    }
    for (const value of this.#retained) {
      if (next.has(value) || this.#pinned.has(value)) continue;
      this.#values.set(value, now);
      this.#nextExpiry = Math.min(this.#nextExpiry, now + this.#graceMs);
    }
    this.#retained = next;
    this.#expire();
  }

  /** Whether `value` is a registered secret. */
  has(value: string): boolean {
    this.#expire();
    return this.#values.has(value);
  }

  /** How many secrets are registered. */
  get size(): number {
    this.#expire();
    return this.#values.size;
  }

  /**
   * Returns `text` with every registered secret replaced by `[REDACTED]` — in its raw form and
   * in the forms it takes once embedded in a serialized line (JSON-escaped, URL-encoded) —
   * longest first, so a secret that contains another is replaced whole; then with keys and
   * HTTP credentials the registry has not seen replaced by pattern.
   */
  redact(text: string): string {
    const matcher = this.#currentMatcher();
    let out = matcher === null ? text : matcher.replaceAll(text);
    // Patterns run after the registry so a registered token is replaced whole, not cut where a
    // pattern's character class ends.
    out = out.replace(PREFIXED_KEY, REDACTED);
    out = out.replace(AUTH_SCHEME, (_match, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
    if (matcher === null || out === text || !matcher.bracketed) return out;
    // A marker next to leftover text can spell a registered secret again (secret "ED]!ab",
    // text "sk-…!ab" → "[REDACTED]!ab"): rescan until clean, and fail closed rather than loop
    // forever. Such an occurrence cannot lie inside a marker (register() refuses those), so it
    // crosses a marker's edge and contains '[' or ']': secrets without brackets — every real
    // key — never need the rescan. (Nor can a marker complete a pattern: '[' is in none of
    // their character classes.)
    for (let pass = 0; matcher.occursIn(out); pass++) {
      if (pass === MAX_EXTRA_PASSES) return REDACTED;
      out = matcher.replaceAll(out);
    }
    return out;
  }

  /**
   * {@link redact} for one serialized JSON log line, replacing values only: the keys are names
   * our code chose, and a reader or a script must be able to trust them (`"changed":[…]` must
   * not turn into `"[REDACTED]":[…]`). Every piece of data in a JSON text sits in a value —
   * a secret inside a string is escaped there and cannot spill over into a key — so scrubbing
   * the stretches between keys scrubs every occurrence. Text that is not a JSON object is
   * redacted whole.
   */
  redactJsonLine(line: string): string {
    const whole = this.redact(line);
    // The common case, nothing to scrub, costs one pass.
    if (whole === line || !line.startsWith('{')) return whole;
    let out = '';
    let last = 0;
    for (const m of line.matchAll(JSON_STRING)) {
      const end = m.index + m[0].length;
      if (line[end] !== ':') continue;
      out += this.redact(line.slice(last, m.index)) + m[0];
      last = end;
    }
    return out + this.redact(line.slice(last));
  }

  /** Never the values: a registry that ends up in a log line or an error shows only its size. */
  toJSON(): { size: number } {
    return { size: this.size };
  }

  [inspect.custom](): string {
    return `SecretRegistry { size: ${this.size} }`;
  }

  /** Drops the values whose grace period has run out (once one may have: a clock read otherwise). */
  #expire(): void {
    const now = this.#now();
    if (now < this.#nextExpiry) return;
    let next = HELD;
    for (const [value, seenAt] of this.#values) {
      const expiry = seenAt + this.#graceMs;
      if (expiry > now) next = Math.min(next, expiry);
      else {
        this.#values.delete(value);
        // Rebuilt on the next redact(): a form of a dropped value may be shared with a kept one.
        this.#matcher = null;
      }
    }
    this.#nextExpiry = next;
  }

  #currentMatcher(): FormIndex | null {
    this.#expire();
    if (this.#matcher === null && this.#values.size > 0) {
      const index = new FormIndex();
      for (const value of this.#values.keys()) index.addValue(value);
      this.#matcher = index;
    }
    return this.#matcher;
  }
}

/**
 * Every form of every registered value, found in text by one left-to-right scan: at each position
 * a rolling hash of a window of {@link WINDOW} characters picks the few forms that can start there,
 * and the longest of those that is really there is replaced.
 *
 * Not one regular expression of all the forms, as before: V8 compiles such a pattern at its first
 * use, and the registry changes with every new key, refreshed token and write. Measured here, that
 * added 1-3 ms to each write with tens of secrets and 10 ms with a hundred (a `paste-token` takes
 * ~10 ms in the daemon); adding a value here costs microseconds. The result is the same as the
 * regex's: at the leftmost position where any form starts, the longest one is replaced, and the
 * scan goes on after it (a property test compares the two).
 *
 * Keys of one provider share their first characters (`sk-ant-oat01-`), so a form of at least
 * {@link LONG} characters is found by the window at {@link LONG_AT} (random characters in any real
 * key), and only shorter forms by their first {@link WINDOW}.
 */
class FormIndex {
  readonly #short = new HashTable();
  readonly #long = new HashTable();
  /** Whether any form holds '[' or ']', the only way a marker can help spell a secret. */
  bracketed = false;

  /** Adds every form of a value: an index grows in place as values come (a new key, a refreshed token). */
  addValue(value: string): void {
    for (const form of encodedForms(value)) {
      if (form.length >= LONG) this.#long.add(windowHash(form, LONG_AT), form);
      else this.#short.add(windowHash(form, 0), form);
      this.bracketed ||= form.includes('[') || form.includes(']');
    }
  }

  /** `text` with every occurrence of a form replaced by the marker. */
  replaceAll(text: string): string {
    let out = '';
    let last = 0;
    this.#scan(text, (start, form) => {
      out += text.slice(last, start) + REDACTED;
      last = start + form.length;
      return last;
    });
    return last === 0 ? text : out + text.slice(last);
  }

  /** Whether any form occurs in `text`. */
  occursIn(text: string): boolean {
    let found = false;
    this.#scan(text, () => {
      found = true;
      return text.length;
    });
    return found;
  }

  /** Calls `onMatch` at each match, left to right; it returns where the scan goes on. */
  #scan(text: string, onMatch: (start: number, form: string) => number): void {
    const n = text.length;
    let i = 0;
    let h = 0;
    let hLong = 0;
    let fresh = true;
    while (i + WINDOW <= n) {
      if (fresh) {
        h = windowHash(text, i);
        if (i + LONG <= n) hLong = windowHash(text, i + LONG_AT);
        fresh = false;
      }
      const form = (i + LONG <= n ? this.#long.longestAt(text, i, hLong) : undefined) ?? this.#short.longestAt(text, i, h);
      if (form !== undefined) {
        i = onMatch(i, form);
        fresh = true;
        continue;
      }
      if (i + WINDOW < n) h = roll(h, text.charCodeAt(i), text.charCodeAt(i + WINDOW));
      if (i + LONG < n) hLong = roll(hLong, text.charCodeAt(i + LONG_AT), text.charCodeAt(i + LONG));
      i++;
    }
  }
}

/** Forms by the hash of one of their windows, each bucket longest first. */
class HashTable {
  readonly #buckets = new Map<number, string[]>();
  /** One bit per low 16 bits of a hash in use: most positions are passed over without a Map lookup. */
  readonly #seen = new Uint8Array(1 << 13);

  add(h: number, form: string): void {
    const bucket = this.#buckets.get(h);
    if (bucket === undefined) this.#buckets.set(h, [form]);
    else if (!bucket.includes(form)) {
      const at = bucket.findIndex((f) => f.length < form.length);
      bucket.splice(at === -1 ? bucket.length : at, 0, form);
    }
    this.#seen[(h & 0xffff) >>> 3]! |= 1 << (h & 7);
  }

  /** The longest form of this hash's bucket that starts at `at` in `text`. */
  longestAt(text: string, at: number, h: number): string | undefined {
    if ((this.#seen[(h & 0xffff) >>> 3]! & (1 << (h & 7))) === 0) return undefined;
    const bucket = this.#buckets.get(h);
    if (bucket) for (const form of bucket) if (text.startsWith(form, at)) return form;
    return undefined;
  }
}

/** The hashed window: every form is at least this long (a value, and each encoding of it, is). */
const WINDOW = MIN_SECRET_LENGTH;
/** Forms this long are found by the window at {@link LONG_AT}, past any provider's common prefix. */
const LONG = 24;
const LONG_AT = LONG - WINDOW;
const HASH_BASE = 31;
/** HASH_BASE ** (WINDOW - 1) in 32-bit arithmetic: the weight of the character leaving the window. */
const WINDOW_TOP = Array.from({ length: WINDOW - 1 }).reduce<number>((acc) => Math.imul(acc, HASH_BASE), 1);

/** The hash of the {@link WINDOW} UTF-16 units of `text` at `at`. */
function windowHash(text: string, at: number): number {
  let h = 0;
  for (let k = 0; k < WINDOW; k++) h = (Math.imul(h, HASH_BASE) + text.charCodeAt(at + k)) | 0;
  return h;
}

/** The window's hash moved one unit on: `out` leaves it, `next` enters. */
function roll(h: number, out: number, next: number): number {
  return (Math.imul(h - Math.imul(out, WINDOW_TOP), HASH_BASE) + next) | 0;
}

/** Whether `value` can be registered (see {@link SecretRegistry.register}). */
function registrable(value: string): boolean {
  return typeof value === 'string' && worthRegistering(value) && !REDACTED.includes(value);
}

/**
 * The shapes a value takes in text we log: raw; JSON-escaped (a `"`, `\` or newline inside a
 * serialized JSON line), and JSON-escaped twice (a JSON document logged as a string); URL-encoded
 * (a form body or query string, as in an OAuth refresh request).
 */
function encodedForms(value: string): string[] {
  const json = jsonEscape(value);
  const forms = [value, json, jsonEscape(json)];
  try {
    forms.push(encodeURIComponent(value));
  } catch {
    // A lone surrogate cannot be URL-encoded, so it cannot appear URL-encoded either.
  }
  return forms;
}

function jsonEscape(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}
