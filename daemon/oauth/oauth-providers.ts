/**
 * OAuth endpoints per provider (§13), in one table: what `models auth login` opens, where the
 * code and refresh tokens are exchanged, and the redirect each provider accepts. Every value can
 * be overridden in opensoul.json as `models.providers.<id>.oauth.{authorizeUrl, tokenUrl,
 * deviceAuthorizationUrl, clientId, scopes, redirectUri}` (those names, so people can rely on
 * them): tests point them at an authorization server on 127.0.0.1, and a self-hosted identity
 * provider needs nothing else. A provider that is not in the table gets OAuth by declaring them.
 *
 * The built-in values are those the providers' own public command-line clients use; where each
 * was checked is in the README's "OAuth" section.
 */
import type { GatewayConfig } from '../config/config.js';

/** What a login or a refresh needs to know about a provider's authorization server. */
export interface OAuthEndpoints {
  provider: string;
  /** Authorization-code (PKCE) start; null when the provider offers only the device flow. */
  authorizeUrl: string | null;
  tokenUrl: string;
  /** RFC 8628 device authorization endpoint, when the provider offers the device flow. */
  deviceAuthorizationUrl: string | null;
  clientId: string;
  scopes: string[];
  /**
   * The redirect URI the provider accepts. null: the daemon listens on an ephemeral port of
   * 127.0.0.1 and uses `http://127.0.0.1:<port>/callback`. A fixed `http://localhost:<port>/…`
   * makes it listen on that port; an https page of the provider's own (which shows the code to
   * copy) means the person pastes `code#state` into the CLI.
   */
  redirectUri: string | null;
  /** How the token endpoint takes its parameters (RFC 6749 says form; some take JSON). */
  tokenRequest: 'form' | 'json';
  /** Extra query parameters of the authorization request that the provider requires. */
  extraAuthorizeParams: Readonly<Record<string, string>>;
  /** The provider wants the `state` again in the code exchange (Anthropic's token endpoint does). */
  stateInTokenRequest: boolean;
}

/** The configurable part, as opensoul.json gives it (every field optional). */
export interface OAuthOverride {
  authorizeUrl?: string;
  tokenUrl?: string;
  deviceAuthorizationUrl?: string;
  clientId?: string;
  scopes?: string[];
  redirectUri?: string;
}

/**
 * The built-in table. Where each value comes from (the README's "OAuth" section says the same):
 * - anthropic: Claude Code's public client. Its manual (headless) flow redirects to
 *   platform.claude.com's callback page, which shows `code#state` to paste; the console.anthropic.com
 *   host of older references now redirects to platform.claude.com. The token endpoint takes JSON
 *   and wants `state` back. Scopes as Claude Code requests them today.
 * - openai-codex: the Codex CLI's public client and its allow-listed loopback redirect
 *   (openai/codex, codex-rs/login/src/server.rs: issuer auth.openai.com, port 1455, /auth/callback).
 * - github-copilot: the Copilot editor plugins' GitHub OAuth app, device flow only (RFC 8628);
 *   GitHub issues no refresh token for it, so the login is stored as a `token` profile.
 */
const BUILT_IN: Readonly<Record<string, OAuthEndpoints>> = {
  anthropic: {
    provider: 'anthropic',
    authorizeUrl: 'https://claude.ai/oauth/authorize',
    tokenUrl: 'https://platform.claude.com/v1/oauth/token',
    deviceAuthorizationUrl: null,
    clientId: '9d1c250a-e61b-44d9-88ed-5944d1962f5e',
    scopes: ['org:create_api_key', 'user:profile', 'user:inference', 'user:sessions:claude_code', 'user:mcp_servers', 'user:file_upload'],
    redirectUri: 'https://platform.claude.com/oauth/code/callback',
    tokenRequest: 'json',
    extraAuthorizeParams: { code: 'true' },
    stateInTokenRequest: true,
  },
  'openai-codex': {
    provider: 'openai-codex',
    authorizeUrl: 'https://auth.openai.com/oauth/authorize',
    tokenUrl: 'https://auth.openai.com/oauth/token',
    deviceAuthorizationUrl: null,
    clientId: 'app_EMoamEEZ73f0CkXaXp7hrann',
    scopes: ['openid', 'profile', 'email', 'offline_access'],
    redirectUri: 'http://localhost:1455/auth/callback',
    tokenRequest: 'form',
    extraAuthorizeParams: { id_token_add_organizations: 'true', codex_cli_simplified_flow: 'true' },
    stateInTokenRequest: false,
  },
  'github-copilot': {
    provider: 'github-copilot',
    authorizeUrl: null,
    tokenUrl: 'https://github.com/login/oauth/access_token',
    deviceAuthorizationUrl: 'https://github.com/login/device/code',
    clientId: 'Iv1.b507a08c87ecfe98',
    scopes: ['read:user'],
    redirectUri: null,
    tokenRequest: 'form',
    extraAuthorizeParams: {},
    stateInTokenRequest: false,
  },
};

/** Providers with built-in OAuth endpoints. */
export function builtInOAuthProviders(): string[] {
  return Object.keys(BUILT_IN);
}

/**
 * The endpoints for a provider: the built-in entry with config's overrides on top, or, for a
 * provider without one, config's alone when they name at least a token URL and a client id.
 * null: the provider has no OAuth here.
 */
export function oauthEndpoints(provider: string, config: GatewayConfig): OAuthEndpoints | null {
  const base = Object.hasOwn(BUILT_IN, provider) ? BUILT_IN[provider] : undefined;
  const o = config.providers[provider]?.oauth;
  if (!base && !(o?.tokenUrl && o.clientId)) return null;
  return {
    provider,
    authorizeUrl: o?.authorizeUrl ?? base?.authorizeUrl ?? null,
    tokenUrl: o?.tokenUrl ?? base?.tokenUrl ?? '',
    deviceAuthorizationUrl: o?.deviceAuthorizationUrl ?? base?.deviceAuthorizationUrl ?? null,
    clientId: o?.clientId ?? base?.clientId ?? '',
    scopes: o?.scopes ?? base?.scopes ?? [],
    // A configured authorization server (a test's, a self-hosted one) gets the loopback callback unless it names its own.
    redirectUri: o?.redirectUri ?? (o?.authorizeUrl ? null : (base?.redirectUri ?? null)),
    tokenRequest: base?.tokenRequest ?? 'form',
    extraAuthorizeParams: base?.extraAuthorizeParams ?? {},
    stateInTokenRequest: base?.stateInTokenRequest ?? false,
  };
}
