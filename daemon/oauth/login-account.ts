/**
 * Which account a login signed in to, and so the profile id it is stored under
 * (`<provider>:<email>`, else `<provider>:default`). The id_token's claims are read without
 * checking its signature: they only *name* the profile, and grant nothing. The tokens came
 * straight from the token endpoint over TLS in answer to our own code exchange, so nobody else
 * could have chosen them; a forged name could at worst file the credential under a wrong label,
 * which the person sees in the result line.
 */
import { PROFILE_ID_PATTERN } from '../../ipc/providers.js';
import { isRecord } from '../../ipc/jsonc.js';
import { jwtClaims } from './jwt-claims.js';
import type { TokenSet } from './token-exchange.js';

/** `v` when it is a plain object, else null. */
const asObject = (v: unknown): Record<string, unknown> | null => (isRecord(v) ? v : null);

/** The account a token set names, as far as it does. */
export interface LoginAccount {
  email: string | null;
  accountId: string | null;
}

const EMAIL = /^[^\s@]{1,64}@[^\s@]{1,255}$/;

function str(v: unknown): string | null {
  return typeof v === 'string' && v.trim() !== '' && v.length <= 320 ? v.trim() : null;
}

/**
 * The account of a token set: the id_token's `email` (OpenID Connect) and OpenAI's
 * `chatgpt_account_id` claim, or the `account` object Anthropic's token response carries
 * (`email_address`, `uuid`).
 */
export function accountOf(tokens: TokenSet): LoginAccount {
  const claims = tokens.idToken ? jwtClaims(tokens.idToken) : undefined;
  const openai = asObject(claims?.['https://api.openai.com/auth']);
  const account = asObject(tokens.raw.account);
  const email = str(claims?.email) ?? str(account?.email_address) ?? str(tokens.raw.email);
  const accountId = str(openai?.chatgpt_account_id) ?? str(account?.uuid) ?? str(claims?.sub);
  return { email: email && EMAIL.test(email) ? email : null, accountId };
}

/** `<provider>:<email>` when the email fits a profile id, else `<provider>:default`. */
export function loginProfileId(provider: string, email: string | null): string {
  const named = email ? `${provider}:${email.toLowerCase()}` : null;
  return named && PROFILE_ID_PATTERN.test(named) ? named : `${provider}:default`;
}
