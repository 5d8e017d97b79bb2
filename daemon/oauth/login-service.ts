/**
 * `auth.login.*` (§13): starts a login (PKCE authorization code with the loopback listener or
 * the paste fallback, or the device flow), waits for its tokens, and stores them through the
 * store service — the §3 write path, with its no-silent-replacement rule. The handlers only
 * call these three methods.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthLoginCompleteParams, AuthLoginCompleteResult, AuthLoginStartParams, AuthLoginStartResult, AuthUpsertParams } from '../../ipc/protocol.js';
import type { GatewayState } from '../state/gateway-state.js';
import type { StoreService } from '../stores/store-service.js';
import { listenPlan, startCallbackListener } from './callback-listener.js';
import type { CallbackListener } from './callback-listener.js';
import { pollDeviceTokens, requestDeviceCode } from './device-flow.js';
import { jwtClaims } from './jwt-claims.js';
import { accountOf, loginProfileId } from './login-account.js';
import { LOGIN_TTL_MS, LoginSessions } from './login-session.js';
import type { PendingLogin } from './login-session.js';
import { builtInOAuthProviders, oauthEndpoints } from './oauth-providers.js';
import type { OAuthEndpoints } from './oauth-providers.js';
import { parsePastedAuthorization } from './pasted-input.js';
import type { PastedAuthorization } from './pasted-input.js';
import { challengeOf, createState, createVerifier, sameState } from './pkce.js';
import { exchangeCode } from './token-exchange.js';
import type { TokenSet } from './token-exchange.js';
import { MAX_LIFETIME_MS } from './token-post.js';

/** What the login service needs. */
export interface LoginDeps {
  state: GatewayState;
  stores: StoreService;
  /** Tells the log redactor about a secret before anything could log it. */
  registerSecrets: (values: string[]) => void;
  now: () => number;
  /** Test hook: a shorter lifetime for pending logins. */
  ttlMs?: number;
}

/** The longest a `complete` call waits before answering `pending`. */
export const MAX_WAIT_MS = 5 * 60_000;

type DoneResult = Extract<AuthLoginCompleteResult, { status: 'done' }>;

/** The authorization request URL (RFC 6749 §4.1.1 with RFC 7636's challenge). */
export function authorizeUrl(endpoints: OAuthEndpoints, x: { redirectUri: string; state: string; challenge: string }): string {
  const u = new URL(endpoints.authorizeUrl as string);
  for (const [k, v] of Object.entries(endpoints.extraAuthorizeParams)) u.searchParams.set(k, v);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', endpoints.clientId);
  u.searchParams.set('redirect_uri', x.redirectUri);
  if (endpoints.scopes.length > 0) u.searchParams.set('scope', endpoints.scopes.join(' '));
  u.searchParams.set('code_challenge', x.challenge);
  u.searchParams.set('code_challenge_method', 'S256');
  u.searchParams.set('state', x.state);
  return u.toString();
}

/** The profile's expiry when the provider gave no `expires_in`: the access token's own `exp`, else now (refreshed at first use). */
function expiryOf(tokens: TokenSet, now: number): number {
  if (tokens.expires !== null) return tokens.expires;
  const exp = jwtClaims(tokens.access)?.exp;
  return typeof exp === 'number' && exp > 0 ? Math.min(exp * 1000, now + MAX_LIFETIME_MS) : now;
}

/** Logins in progress and how they end. */
export class LoginService {
  private readonly sessions = new LoginSessions();

  constructor(private readonly deps: LoginDeps) {}

  private endpointsFor(provider: string): OAuthEndpoints {
    const e = oauthEndpoints(provider, this.deps.state.config.value);
    if (!e) {
      throw new OpenSoulError('INVALID_INPUT', {
        reason:
          `${provider} has no OAuth login here (built in: ${builtInOAuthProviders().join(', ')}); ` +
          `another provider needs models.providers.${provider}.oauth.{tokenUrl, clientId, …} in opensoul.json`,
      });
    }
    return e;
  }

  /** Starts a login; `agent` is already resolved (a write names it or takes the default). */
  async start(params: AuthLoginStartParams & { agent: string }): Promise<AuthLoginStartResult> {
    const endpoints = this.endpointsFor(params.provider);
    if (params.profileId && !params.profileId.startsWith(`${params.provider}:`)) {
      throw new OpenSoulError('INVALID_INPUT', { reason: `profile id ${params.profileId} does not belong to provider ${params.provider}` });
    }
    const device = params.deviceCode === true || !endpoints.authorizeUrl;
    if (device && !endpoints.deviceAuthorizationUrl) {
      throw new OpenSoulError('INVALID_INPUT', { reason: `${params.provider} offers no device-code login; run the command without --device-code` });
    }
    const abort = new AbortController();
    const now = this.deps.now();
    const base = {
      id: this.sessions.newId(),
      agent: params.agent,
      provider: params.provider,
      endpoints,
      profileId: params.profileId ?? null,
      setDefault: params.setDefault === true,
      replace: params.replace === true,
      abort,
      paste: null,
      listener: null,
      stored: new Map<boolean, Promise<unknown>>(),
      finished: false,
      timer: null,
    };
    const ttl = this.deps.ttlMs ?? LOGIN_TTL_MS;
    if (device) {
      const auth = await requestDeviceCode(endpoints, this.deps.now, abort.signal);
      this.deps.registerSecrets([auth.deviceCode]);
      const expiresAt = Math.min(auth.expiresAt, now + ttl);
      const login: PendingLogin = {
        ...base,
        kind: 'device',
        expiresAt,
        tokens: pollDeviceTokens(endpoints, { ...auth, expiresAt }, { now: this.deps.now, signal: abort.signal }),
      };
      this.watchTokens(login);
      this.sessions.add(login, expiresAt - now);
      return {
        loginId: login.id,
        provider: login.provider,
        kind: 'device',
        userCode: auth.userCode,
        verificationUri: auth.verificationUri,
        ...(auth.verificationUriComplete ? { url: auth.verificationUriComplete } : {}),
        expiresAt,
        interval: Math.round(auth.intervalMs / 1000),
      };
    }
    // Checked before the listener starts: a URL that does not parse would otherwise fail after it,
    // leaving its port open and a login nobody can cancel for the 10 minutes of its life.
    if (!URL.canParse(endpoints.authorizeUrl as string)) {
      throw new OpenSoulError('INVALID_INPUT', {
        reason: `the authorize URL of ${params.provider} is not a URL: check models.providers.${params.provider}.oauth.authorizeUrl in opensoul.json`,
      });
    }
    const verifier = createVerifier();
    const state = createState();
    this.deps.registerSecrets([verifier]);
    const plan = listenPlan(endpoints.redirectUri);
    let listener: CallbackListener | null = null;
    let warning: string | undefined;
    if (plan.mode === 'loopback') {
      try {
        listener = await startCallbackListener(plan, state);
      } catch {
        // A fixed port taken (the provider's own CLI logging in, say): the browser's redirect then
        // fails to load, and its address bar still holds the code to paste.
        warning =
          `port ${plan.port} on this machine (127.0.0.1${plan.host === 'localhost' ? ' or ::1' : ''}) is in use by another program, ` +
          'so the browser cannot hand the sign-in back; ' +
          'after signing in, copy the address of the page that fails to load and paste it here';
      }
    }
    const redirectUri = listener?.redirectUri ?? (endpoints.redirectUri as string);
    let pasted!: (p: PastedAuthorization) => void;
    const fromPaste = new Promise<PastedAuthorization>((resolve) => (pasted = resolve));
    const expiresAt = now + ttl;
    const login: PendingLogin = {
      ...base,
      kind: 'browser',
      expiresAt,
      listener,
      tokens: this.browserTokens(endpoints, { listener, fromPaste, verifier, state, redirectUri, signal: abort.signal }),
      paste: (p) => {
        // A state from another login (or a stale tab) is refused; a bare code has none to compare,
        // and PKCE still binds it: only this login's verifier can redeem it.
        if (p.state !== null && !sameState(p.state, state)) {
          throw new OpenSoulError('INVALID_INPUT', { reason: 'the state does not match: this code is from another login; start again' });
        }
        this.deps.registerSecrets([p.code]);
        pasted(p);
      },
    };
    this.watchTokens(login);
    this.sessions.add(login, ttl);
    return {
      loginId: login.id,
      provider: login.provider,
      kind: 'browser',
      url: authorizeUrl(endpoints, { redirectUri, state, challenge: challengeOf(verifier) }),
      expiresAt,
      redirect: listener ? 'loopback' : 'paste',
      redirectUri,
      ...(warning ? { warning } : {}),
    };
  }

  /** A failed flow ends its login at once (nobody may be waiting on it yet). */
  private watchTokens(login: PendingLogin): void {
    login.tokens.catch(() => {
      if (!login.finished) this.sessions.finish(login);
    });
  }

  private async browserTokens(
    endpoints: OAuthEndpoints,
    x: {
      listener: CallbackListener | null;
      fromPaste: Promise<PastedAuthorization>;
      verifier: string;
      state: string;
      redirectUri: string;
      signal: AbortSignal;
    },
  ): Promise<TokenSet> {
    const aborted = new Promise<never>((_, reject) => {
      const fail = () =>
        reject(
          x.signal.reason instanceof OpenSoulError
            ? x.signal.reason
            : new OpenSoulError('LOGIN_FAILED', { provider: endpoints.provider, reason: 'the login was cancelled' }),
        );
      if (x.signal.aborted) fail();
      else x.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    const fromBrowser = x.listener ? x.listener.result : new Promise<never>(() => undefined);
    const got = await Promise.race([fromBrowser, x.fromPaste.then((p) => ({ code: p.code })), aborted]);
    x.listener?.close();
    if ('error' in got) throw new OpenSoulError('LOGIN_FAILED', { provider: endpoints.provider, reason: `the provider did not grant access (${got.error})` });
    this.deps.registerSecrets([got.code]);
    const tokens = await exchangeCode(
      endpoints,
      { code: got.code, verifier: x.verifier, redirectUri: x.redirectUri, state: x.state },
      { now: this.deps.now, signal: x.signal },
    );
    this.deps.registerSecrets([tokens.access, ...(tokens.refresh ? [tokens.refresh] : []), ...(tokens.idToken ? [tokens.idToken] : [])]);
    return tokens;
  }

  /** Waits for the tokens (bounded), takes a pasted code, and stores the result once. */
  async complete(params: AuthLoginCompleteParams): Promise<AuthLoginCompleteResult> {
    const login = this.sessions.get(params.loginId);
    if (params.pasted !== undefined) {
      if (!login.paste)
        throw new OpenSoulError('INVALID_INPUT', { reason: 'this is a device-code login: enter the code on the provider’s page; there is nothing to paste' });
      const p = parsePastedAuthorization(params.pasted);
      if (!p)
        throw new OpenSoulError('INVALID_INPUT', {
          reason: 'that is not a redirect URL, code#state or ?code=…&state=…; copy the whole address of the page the sign-in ended on',
        });
      login.paste(p);
    }
    const waitMs = Math.min(params.waitMs ?? MAX_WAIT_MS, MAX_WAIT_MS);
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), waitMs)));
    let tokens: TokenSet | null;
    try {
      tokens = await Promise.race([login.tokens, timeout]);
    } finally {
      clearTimeout(timer);
    }
    if (!tokens) return { status: 'pending', loginId: login.id, expiresAt: login.expiresAt };
    const replace = login.replace || params.replace === true;
    let stored = login.stored.get(replace) as Promise<DoneResult> | undefined;
    if (!stored) {
      stored = this.store(login, tokens, replace);
      login.stored.set(replace, stored);
    }
    const result = await stored;
    if (!login.finished) this.sessions.finish(login);
    return result;
  }

  private async store(login: PendingLogin, tokens: TokenSet, replace: boolean): Promise<DoneResult> {
    const { stores, state } = this.deps;
    const now = this.deps.now();
    const account = accountOf(tokens);
    const profileId = login.profileId ?? loginProfileId(login.provider, account.email);
    const who = { ...(account.email ? { email: account.email } : {}) };
    const credential: AuthUpsertParams['credential'] = tokens.refresh
      ? {
          type: 'oauth',
          access: tokens.access,
          refresh: tokens.refresh,
          expires: expiryOf(tokens, now),
          ...who,
          ...(account.accountId ? { accountId: account.accountId } : {}),
        }
      : // No refresh token (GitHub's device flow): a token profile, with the expiry when there is one.
        { type: 'token', token: tokens.access, ...(tokens.expires !== null ? { expires: tokens.expires } : {}), ...who };
    const write = await stores.upsertProfile(login.agent, profileId, credential, replace, { anyProvider: true });
    if (login.setDefault) {
      const view = state.agentView(login.agent);
      const current = view?.store.order[login.provider] ?? [];
      const all = Object.entries(view?.store.profiles ?? {})
        .filter(([, c]) => c.provider === login.provider)
        .map(([id]) => id);
      const order = [profileId, ...current.filter((id) => id !== profileId), ...all.filter((id) => id !== profileId && !current.includes(id))];
      await stores.setOrder(login.agent, login.provider, order);
      if (!write.files?.includes(write.path)) write.files = [...(write.files ?? []), write.path];
    }
    return {
      ...write,
      status: 'done',
      profileId,
      ...who,
      credentialType: credential.type,
      expires: credential.type === 'oauth' ? credential.expires : (credential.expires ?? null),
      setDefault: login.setDefault,
    };
  }

  /** Cancels a login; false when there was none in progress. */
  cancel(loginId: string): { cancelled: boolean } {
    return { cancelled: this.sessions.drop(loginId, 'cancelled') };
  }

  /** Drops every login in progress (the daemon is stopping). */
  stopAll(): void {
    this.sessions.dropAll();
  }
}
