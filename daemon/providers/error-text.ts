/**
 * A provider's error body, turned into the few words a person may see: its own error message
 * (never the raw body: an HTML error page, a stack trace or an echoed request are no reason),
 * cleaned of control characters, truncated, and scrubbed of the credential the call used —
 * providers do echo keys ("Incorrect API key provided: sk-…"), sometimes whole.
 */
import { asArray, asRecord, asString, at, parseJson } from './untrusted-json.js';

/** The most of a provider's message a person sees. */
export const MAX_PROVIDER_MESSAGE = 200;

/** What stands where a secret was. */
export const REDACTED = '[redacted]';

/**
 * A run this long that also occurs in a secret is treated as part of it: a provider that echoes
 * a key cut short, or our own truncation, must not leave most of a key behind.
 */
const FRAGMENT_MIN = 12;

/** The error object of a body: `{error:{…}}`, `{…}`, or Google's `[{error:{…}}]`. */
function errorObject(body: unknown): Record<string, unknown> | undefined {
  const first = asArray(body)?.[0] ?? body;
  return asRecord(at(first, 'error')) ?? asRecord(first);
}

/** The provider's own error message from a JSON error body, if it has one. */
export function providerMessageOf(body: unknown): string | undefined {
  const err = errorObject(body);
  if (!err) return asString(at(asArray(body)?.[0] ?? body, 'error'));
  return asString(err.message) ?? asString(err.detail) ?? asString(at(body, 'error')) ?? asString(at(body, 'message'));
}

/** The provider's error type and code words (`rate_limit_error`, `insufficient_quota`, `RESOURCE_EXHAUSTED`). */
export function providerCodesOf(body: unknown): string[] {
  const err = errorObject(body);
  if (!err) return [];
  return [err.type, err.code, err.status, at(body, 'type')].filter((x): x is string => typeof x === 'string');
}

/**
 * The message a person may see from an error body: the JSON error message, or a short plain-text
 * body; nothing from HTML or anything else. Cleaned and truncated; NOT scrubbed (see scrubSecrets).
 */
export function readableProviderMessage(bodyText: string, contentType: string | null): string {
  const parsed = parseJson(bodyText);
  const fromJson = parsed === undefined ? undefined : providerMessageOf(parsed);
  if (fromJson !== undefined) return cleanText(fromJson);
  const plain = contentType === null || /^text\/plain\b/i.test(contentType);
  if (parsed === undefined && plain && bodyText.length <= 2 * MAX_PROVIDER_MESSAGE && !/[<>{}]/.test(bodyText)) return cleanText(bodyText);
  return '';
}

/** Control characters and runs of white space become one space; the result is cut to `max`. */
export function cleanText(text: string, max = MAX_PROVIDER_MESSAGE): string {
  const flat = text
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1).trimEnd()}…`;
}

/**
 * `text` with every secret removed: each whole occurrence, then any run of FRAGMENT_MIN or more
 * characters that also occurs in a secret (a half-echoed key). Meant for short texts (messages);
 * for a long body, `removeWholeSecrets` first.
 */
export function scrubSecrets(text: string, secrets: readonly string[]): string {
  const real = secrets.filter((s) => s.length > 0);
  let out = removeWholeSecrets(text, real);
  for (const secret of real) {
    if (secret.length < FRAGMENT_MIN) continue;
    out = removeFragments(out, secret);
  }
  return out;
}

/** Every whole occurrence of each secret replaced (cheap: fine for a long body). */
export function removeWholeSecrets(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) if (s.length > 0) out = out.split(s).join(REDACTED);
  return out;
}

/** Runs of `text` of FRAGMENT_MIN+ characters that occur in `secret`, replaced (longest match at each position). */
function removeFragments(text: string, secret: string): string {
  let out = '';
  let i = 0;
  while (i < text.length) {
    let best = 0;
    for (let j = 0; j < secret.length && best < text.length - i; j++) {
      let k = 0;
      while (i + k < text.length && j + k < secret.length && text[i + k] === secret[j + k]) k++;
      if (k > best) best = k;
    }
    if (best >= FRAGMENT_MIN) {
      out += REDACTED;
      i += best;
    } else {
      out += text[i];
      i++;
    }
  }
  return out;
}
