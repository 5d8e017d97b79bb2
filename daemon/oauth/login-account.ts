/**
 * Which account a login signed in to, and so the profile id it is stored under
 * (`<provider>:<email>`, else `<provider>:default`). The id_token's claims are read without
 * checking its signature: they only *name* the profile, and grant nothing. The tokens came
 * straight from the token endpoint over TLS in answer to our own code exchange, so nobody else
 * could have chosen them; a forged name could at worst file the credential under a wrong label,
 * which the person sees in the result line.
 */
import { PROFILE_ID_PATTERN } from '../../ipc/providers.js';
import type { TokenSet } from './token-exchange.js';

/** The account a token set names, as far as it does. */
export interface LoginAccount {
  email: string | null;
  accountId: string | null;
}

/** The claims of a JWT, unverified; null when it is not one. */
export function jwtClaims(jwt: string): Record<string, unknown> | null {
  const parts = jwt.split('.');
  if (parts.length !== 3 || !parts[1]) return null;
  try {
    const v: unknown = JSON.parse(Buffer.from(parts[1], 'base64url').toString('utf8'));
    return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' && v.length <= 320 ? v.trim() : null;
}

function rec(v: unknown): Record<string, unknown> | null {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
}

/**
 * The account of a token set: the id_token's `email` (OpenID Connect) and OpenAI's
 * `chatgpt_account_id` claim, or the `account` object Anthropic's token response carries
 * (`email_address`, `uuid`).
 */
export function accountOf(tokens: TokenSet): LoginAccount {
  const claims = tokens.idToken ? jwtClaims(tokens.idToken) : null;
  const openai = rec(claims?.['https://api.openai.com/auth']);
  const account = rec(tokens.raw.account);
  const email = str(claims?.email) ?? str(account?.email_address) ?? str(tokens.raw.email);
  const accountId = str(openai?.chatgpt_account_id) ?? str(account?.uuid) ?? str(claims?.sub);
  return { email: email && EMAIL.test(email) ? email : null, accountId };
}

/** `<provider>:<email>` when the email fits a profile id, else `<provider>:default`. */
export function loginProfileId(provider: string, email: string | null): string {
  const named = email ? `${provider}:${email.toLowerCase()}` : null;
  return named && PROFILE_ID_PATTERN.test(named) ? named : `${provider}:default`;
}
