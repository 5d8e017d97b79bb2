/**
 * The set of every secret value the daemon has loaded (API keys, setup and static tokens, OAuth
 * access/refresh tokens, provider keys from `.env`), and the one function that scrubs them from
 * text: every log line passes through `redact()` after it is serialized (SPEC §12, STYLE
 * "Secrets, carefully").
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
 */
export class SecretRegistry {
  // Private fields: util.inspect, JSON.stringify and enumeration cannot reach them.
  readonly #values = new Set<string>();
  /** Combined matcher over every form of every value; null when it must be rebuilt. */
  #matcher: RegExp | null = null;
  /** Whether any form holds '[' or ']', the only way a marker can help spell a secret. */
  #bracketed = false;

  /**
   * Remembers `value` as a secret. The exact value is kept (nothing trimmed: the value that
   * leaks is the value that was loaded). Values that are too short or ordinary words
   * ({@link worthRegistering}), and values that are part of the replacement marker itself (they
   * could never be scrubbed: every replacement would recreate them), are ignored.
   */
  register(value: string): void {
    if (typeof value !== 'string' || !worthRegistering(value)) return;
    if (REDACTED.includes(value) || this.#values.has(value)) return;
    this.#values.add(value);
    // Rebuilt lazily on the next redact(): loading a store registers many values at once.
    this.#matcher = null;
  }

  /** {@link register} for each value. */
  registerAll(values: Iterable<string>): void {
    for (const value of values) this.register(value);
  }

  /** Whether `value` is a registered secret. */
  has(value: string): boolean {
    return this.#values.has(value);
  }

  /** How many secrets are registered. */
  get size(): number {
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
    let out = matcher === null ? text : text.replace(matcher, REDACTED);
    // Patterns run after the registry so a registered token is replaced whole, not cut where a
    // pattern's character class ends.
    out = out.replace(PREFIXED_KEY, REDACTED);
    out = out.replace(AUTH_SCHEME, (_match, scheme: string, space: string) => `${scheme}${space}${REDACTED}`);
    if (matcher === null || out === text || !this.#bracketed) return out;
    // A marker next to leftover text can spell a registered secret again (secret "ED]!ab",
    // text "sk-…!ab" → "[REDACTED]!ab"): rescan until clean, and fail closed rather than loop
    // forever. Such an occurrence cannot lie inside a marker (register() refuses those), so it
    // crosses a marker's edge and contains '[' or ']': secrets without brackets — every real
    // key — never need the rescan. (Nor can a marker complete a pattern: '[' is in none of
    // their character classes.) search() ignores and restores lastIndex.
    for (let pass = 0; out.search(matcher) !== -1; pass++) {
      if (pass === MAX_EXTRA_PASSES) return REDACTED;
      out = out.replace(matcher, REDACTED);
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

  #currentMatcher(): RegExp | null {
    if (this.#matcher === null && this.#values.size > 0) {
      const forms = new Set<string>();
      for (const value of this.#values) for (const form of encodedForms(value)) forms.add(form);
      // Longest first: alternation takes the first alternative that matches at a position,
      // so a secret that contains another registered secret is replaced whole.
      const alternatives = [...forms].sort((a, b) => b.length - a.length).map(escapeRegExp);
      // One regular expression of all alternatives scans a line once, instead of one
      // split/join per secret (~4x faster with 100 secrets on a 3.6 KB line).
      this.#matcher = new RegExp(alternatives.join('|'), 'g');
      this.#bracketed = [...forms].some((form) => form.includes('[') || form.includes(']'));
    }
    return this.#matcher;
  }
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

function escapeRegExp(literal: string): string {
  return literal.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}
