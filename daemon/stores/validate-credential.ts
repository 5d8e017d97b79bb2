/**
 * Server-side checks of a credential before it is stored — the CLI checks too, for quick
 * feedback, but the daemon is the one writer and must never store a broken secret whoever
 * asks. Messages name what is wrong, never the secret.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthUpsertParams } from '../../ipc/protocol.js';
import { providerOfProfileId, secretShapeProblem } from '../../ipc/providers.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Credential } from './credentials.js';

/** Whitespace or a control character: a secret holding one is a broken paste, never a real key. */
function hasBadChar(value: string): boolean {
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (c < 0x20 || c === 0x7f || /\s/.test(ch)) return true;
  }
  return false;
}

function checkSecret(what: string, value: string): void {
  if (hasBadChar(value)) {
    throw new OpenSoulError('INVALID_INPUT', { reason: `the ${what} contains spaces, line breaks or control characters; paste it again in one piece` });
  }
}

/**
 * Checks the upsert and returns the credential in the strict stored shape (provider from the id).
 * `anyProvider`: an import keeps profiles of providers we have no client for (§4).
 */
export function toStoredCredential(
  profileId: string,
  input: AuthUpsertParams['credential'],
  providers: ProviderRegistry,
  opts: { anyProvider?: boolean } = {},
): Credential {
  const provider = providerOfProfileId(profileId);
  if (!opts.anyProvider) providers.require(provider);
  switch (input.type) {
    case 'api_key': {
      if ((input.key === undefined) === (input.keyRef === undefined))
        throw new OpenSoulError('INVALID_INPUT', { reason: 'an api_key profile needs exactly one of "key" and "keyRef"' });
      if (input.key !== undefined) checkSecret('API key', input.key);
      return {
        type: 'api_key',
        provider,
        ...(input.key !== undefined ? { key: input.key } : {}),
        ...(input.keyRef ? { keyRef: input.keyRef } : {}),
        ...(input.email ? { email: input.email } : {}),
      };
    }
    case 'token': {
      if ((input.token === undefined) === (input.tokenRef === undefined))
        throw new OpenSoulError('INVALID_INPUT', { reason: 'a token profile needs exactly one of "token" and "tokenRef"' });
      if (input.token !== undefined) {
        checkSecret('token', input.token);
        if (provider === 'anthropic') checkAnthropicToken(input.token);
      }
      return {
        type: 'token',
        provider,
        ...(input.token !== undefined ? { token: input.token } : {}),
        ...(input.tokenRef ? { tokenRef: input.tokenRef } : {}),
        ...(input.expires !== undefined ? { expires: input.expires } : {}),
        ...(input.email ? { email: input.email } : {}),
      };
    }
    case 'oauth':
      checkSecret('access token', input.access);
      checkSecret('refresh token', input.refresh);
      return {
        type: 'oauth',
        provider,
        access: input.access,
        refresh: input.refresh,
        expires: input.expires,
        ...(input.email ? { email: input.email } : {}),
        ...(input.accountId ? { accountId: input.accountId } : {}),
      };
  }
}

/** Anthropic setup-tokens start `sk-ant-oat01-` and are long; a shorter one is a truncated copy. */
export function checkAnthropicToken(token: string): void {
  const problem = secretShapeProblem('anthropic', 'token', token);
  if (problem) throw new OpenSoulError('SECRET_SHAPE', problem);
}

/**
 * The provider's shape (prefix, length) for a credential a person hands in: checked before
 * anything is written, whatever the client checked first. Refs are not secrets and are not
 * checked; OAuth credentials come from a sign-in flow, not a paste.
 */
export function checkSecretShape(profileId: string, input: AuthUpsertParams['credential']): void {
  const provider = providerOfProfileId(profileId);
  const literal = input.type === 'api_key' ? input.key : input.type === 'token' ? input.token : undefined;
  if (literal === undefined || input.type === 'oauth') return;
  const problem = secretShapeProblem(provider, input.type, literal);
  if (problem) throw new OpenSoulError('SECRET_SHAPE', problem);
}
