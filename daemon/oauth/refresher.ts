/**
 * The daemon's OAuth refresh (§8.1, §13), the only refresher of the credentials it stores.
 *
 * - When: a profile is refreshed once it expires within 5 minutes — at resolve time (the
 *   resolver awaits it) and ahead of time by a jittered timer, so an idle gateway does not wake
 *   up to dead tokens.
 * - Once: one token request per credential at a time (keyed by provider + account, not by file:
 *   agents that read one profile through share it); every caller waits for that one result.
 *   Refresh tokens are often single-use: a second request with the same one would revoke both.
 * - Locked: the lock of the store of the agent that owns the profile is held from before the
 *   token request until the write, and the store is re-read under it, as OpenClaw refreshes: when
 *   OpenClaw (or anyone taking the lock) refreshed it meanwhile, its tokens are used and no
 *   request is sent with a refresh token it already spent.
 * - Order: the rotated refresh token is written (the §3 write path, under that lock) before the
 *   flight ends, so no caller gets the new access token before the disk has the new refresh
 *   token. A crash between the token response and that write loses the rotation: the one
 *   window, and the log says so when the write fails.
 * - Failure: classified; a refused refresh token marks the profile expired (auth-state.json
 *   `refreshFailedAt`, `refreshFailure`, and `refreshRefusedFor` naming that token) until a
 *   refresh succeeds or the store holds another refresh token (a login or an edit, by anyone); a network
 *   failure is retried with backoff and changes nothing while the access token is still valid.
 * - Never: a profile another CLI manages (`managedBy`), or one whose provider has no token
 *   endpoint (it is used until it expires).
 */
import type { EventName } from '../../ipc/protocol.js';
import type { AgentView, DueRefresher, GatewayState } from '../state/gateway-state.js';
import { refreshRefused, refreshTokenMark } from '../stores/credentials.js';
import type { Credential, OAuthCredential, RefreshFailureReason } from '../stores/credentials.js';
import type { StoreService } from '../stores/store-service.js';
import { oauthEndpoints } from './oauth-providers.js';
import { backoffMs, classifyRefreshFailure, describeRefreshFailure, isPermanentFailure, loginCommand, refreshDue, singleFlightKey } from './refresh-policy.js';
import { refreshedByGateway } from './oauth-notes.js';
import { TOKEN_REQUEST_TIMEOUT_MS, requestTokenRefresh } from './token-request.js';
import type { RefreshedTokens, TokenResult } from './token-request.js';

/** Default period of the ahead-of-time check. */
export const DEFAULT_CHECK_MS = 60_000;

/** The log lines the refresher writes (never a token: the redactor knows them anyway). */
export interface RefresherLogger {
  info(msg: string, meta?: Record<string, unknown>): void;
  warn(msg: string, meta?: Record<string, unknown>): void;
  error(msg: string, meta?: Record<string, unknown>): void;
}

/** What the refresher needs from the daemon. */
export interface RefresherDeps {
  state: GatewayState;
  stores: StoreService;
  log: RefresherLogger;
  emit: (event: EventName, data: Record<string, unknown>) => void;
  /** Tells the log redactor about new tokens before anything could log them. */
  registerSecrets: (values: string[]) => void;
  now?: () => number;
  /** Period of the ahead-of-time check (OPENSOUL_OAUTH_CHECK_MS in tests). */
  checkIntervalMs?: number;
  timeoutMs?: number;
}

/** One profile to refresh: where it is owned, and the credential as the caller saw it. */
interface Target {
  owner: string;
  profileId: string;
  credential: OAuthCredential;
}

/** The one refresher of the daemon's OAuth profiles; see the module comment. */
export class OAuthRefresher implements DueRefresher {
  private readonly inflight = new Map<string, { profile: string; done: Promise<void> }>();
  /** Network failures in a row per credential, and when to try again. */
  private readonly backoff = new Map<string, { failures: number; retryAt: number }>();
  /** Tokens refreshed whose write failed, by owner|profile: written again before any new token request. */
  private readonly unsaved = new Map<string, { target: Target; tokens: RefreshedTokens }>();
  /** `token.expiring` announcements made, so each fires once per token per state. */
  private readonly announced = new Set<string>();
  private timer: NodeJS.Timeout | null = null;
  private ticking = false;
  private stopped = false;
  private readonly now: () => number;

  constructor(private readonly deps: RefresherDeps) {
    this.now = deps.now ?? Date.now;
  }

  /** Starts the ahead-of-time check (unref'd: it never keeps the process alive). */
  start(): void {
    this.schedule();
  }

  /** Stops the check (shutdown); a refresh in flight finishes on its own. */
  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    if (this.stopped) return;
    const base = this.deps.checkIntervalMs ?? DEFAULT_CHECK_MS;
    // Jitter: gateways started together (a fleet, a reboot) do not all hit the token endpoint at once.
    this.timer = setTimeout(() => void this.tick().finally(() => this.schedule()), base * (0.9 + Math.random() * 0.2));
    this.timer.unref();
  }

  /** The ahead-of-time pass: every agent's own OAuth profiles (inherited ones are their owner's). */
  async tick(): Promise<void> {
    if (this.ticking || this.stopped) return;
    this.ticking = true;
    try {
      for (const { target, tokens } of [...this.unsaved.values()]) await this.persist(target, () => Promise.resolve(tokens));
      const now = this.now();
      const work: Promise<void>[] = [];
      for (const agent of this.deps.state.agentIds()) {
        const view = this.deps.state.agentView(agent);
        if (!view) continue;
        for (const [id, c] of Object.entries(view.store.profiles)) {
          if (view.inherited[id] !== undefined || c.type !== 'oauth') continue;
          this.announceExpiring(view, id, c, now);
          const target = this.targetOf(view, id, c, now);
          if (target) work.push(this.flight(target));
        }
      }
      await Promise.all(work);
    } catch (err) {
      this.deps.log.error('the OAuth refresh check failed', { err });
    } finally {
      this.ticking = false;
    }
  }

  /** Refreshes the agent's due OAuth profiles of a provider; resolves once each is settled (never rejects). */
  async refreshDue(view: AgentView, provider: string, now: number): Promise<void> {
    const work: Promise<void>[] = [];
    for (const [id, c] of Object.entries(view.store.profiles)) {
      if (c.provider !== provider) continue;
      const target = this.targetOf(view, id, c, now);
      if (target) work.push(this.flight(target));
    }
    await Promise.all(work);
  }

  /** The profile as a refresh target, or null when it is not ours to refresh now. */
  private targetOf(view: AgentView, profileId: string, c: Credential, now: number): Target | null {
    if (c.type !== 'oauth' || c.managedBy || !refreshDue(c, now)) return null;
    // A refused refresh token is not asked again: only a new one (a login, an edit) helps.
    if (refreshRefused(c, view.usage.usageStats[profileId])) return null;
    if (!oauthEndpoints(c.provider, this.deps.state.config.value)) return null;
    const wait = this.backoff.get(singleFlightKey(c));
    // Backing off after network failures: the access token still works, so it is used as it is.
    if (wait && wait.retryAt > now && c.expires > now) return null;
    return { owner: view.inherited[profileId] ?? view.id, profileId, credential: c };
  }

  /**
   * Joins the credential's running refresh, or starts it. Another profile of the same account
   * (a second login stored under another id) waits for the running one and then goes itself:
   * one token request per account at a time, and every profile still gets its refresh.
   */
  private flight(target: Target): Promise<void> {
    const key = singleFlightKey(target.credential);
    const profile = `${target.owner}|${target.profileId}`;
    const running = this.inflight.get(key);
    if (running) return running.profile === profile ? running.done : running.done.then(() => this.flight(target));
    const done = this.run(target)
      .catch((err: unknown) => this.deps.log.error('OAuth refresh failed unexpectedly', { profileId: target.profileId, agent: target.owner, err }))
      .finally(() => this.inflight.delete(key));
    this.inflight.set(key, { profile, done });
    return done;
  }

  private async run(seen: Target): Promise<void> {
    const { state } = this.deps;
    const pending = this.unsaved.get(`${seen.owner}|${seen.profileId}`);
    if (pending) {
      // A refresh already succeeded and its write failed: its tokens are the live ones; asking
      // again with the old refresh token would be refused (or revoke the new one).
      await this.persist(pending.target, () => Promise.resolve(pending.tokens));
      return;
    }
    // The credential as it is now: a flight that just ended may have rotated it already.
    const current = state.agentView(seen.owner)?.store.profiles[seen.profileId];
    if (current?.type !== 'oauth' || current.managedBy) return;
    const now = this.now();
    if (!refreshDue(current, now)) return;
    const endpoints = oauthEndpoints(current.provider, state.config.value);
    if (!endpoints) return;
    const target: Target = { ...seen, credential: current };
    const asked: { result?: TokenResult } = {};
    await this.persist(target, async () => {
      const result = await requestTokenRefresh(endpoints, current.refresh, this.now, this.deps.timeoutMs ?? TOKEN_REQUEST_TIMEOUT_MS);
      asked.result = result;
      if (!result.ok) return null;
      this.deps.registerSecrets([result.tokens.access, result.tokens.refresh]);
      this.backoff.delete(singleFlightKey(current));
      return result.tokens;
    });
    const failed = asked.result?.ok === false ? asked.result.failure : null;
    if (failed) await this.recordFailure(target, classifyRefreshFailure(failed), failed.status ?? null);
  }

  /**
   * The refresh and its write, holding the lock of the owner's store from before the token
   * request until the write (writeRefreshedTokens): `obtain` is that request — or, for tokens
   * kept after a failed write, those tokens. Then clears a recorded failure.
   */
  private async persist(target: Target, obtain: () => Promise<RefreshedTokens | null>): Promise<void> {
    const { owner, profileId } = target;
    const key = `${owner}|${profileId}`;
    const got: { asked: boolean; tokens: RefreshedTokens | null } = { asked: false, tokens: null };
    let written: boolean;
    try {
      written = await this.deps.stores.writeRefreshedTokens(owner, profileId, target.credential.refresh, async () => {
        got.asked = true;
        got.tokens = await obtain();
        return got.tokens;
      });
    } catch (err) {
      if (!got.tokens) {
        // The lock could not be had (another program held it too long) or the store read: nothing
        // was asked, so nothing is lost. Tried again after a pause; the access token is used meanwhile.
        const failures = (this.backoff.get(singleFlightKey(target.credential))?.failures ?? 0) + 1;
        this.backoff.set(singleFlightKey(target.credential), { failures, retryAt: this.now() + backoffMs(failures) });
        this.deps.log.warn('OAuth refresh put off: the store could not be locked or read; the access token is used while it is valid', {
          agent: owner,
          profileId,
          err,
        });
        return;
      }
      const tokens = got.tokens;
      const again = this.unsaved.has(key);
      this.unsaved.set(key, { target, tokens });
      // Said once, not at every check while the store stays unwritable (a file that does not parse, a full disk).
      if (again) return;
      // The one window of §13: the provider has rotated the refresh token and the disk still has the old one.
      this.deps.log.error(
        'OAuth refresh succeeded but the rotated refresh token could not be written; it is kept in memory and written again at the next check — ' +
          'if the gateway stops first, the stored refresh token may no longer work and a new login is needed',
        {
          agent: owner,
          profileId,
          err,
          fix: loginCommand(target.credential.provider),
        },
      );
      return;
    }
    if (got.asked && !got.tokens) return; // the token request failed: the caller records why
    this.unsaved.delete(key);
    if (!got.asked) {
      // Under the lock the store held another refresh token: another program refreshed (or a new
      // login replaced) the profile while we waited. Its tokens are loaded and used; ours would
      // have spent a refresh token it had already used.
      this.backoff.delete(singleFlightKey(target.credential));
      this.deps.log.info('OAuth profile was refreshed or replaced by another program meanwhile; using the stored one', { agent: owner, profileId });
      return;
    }
    if (!written) {
      this.deps.log.warn('OAuth profile changed while it was being refreshed (a new login or an edit); keeping the stored one', { agent: owner, profileId });
      return;
    }
    const tokens = got.tokens as RefreshedTokens;
    this.deps.log.info('refreshed OAuth profile', { agent: owner, profileId, expiresAt: new Date(tokens.expires).toISOString() });
    const stats = this.deps.state.agentFiles(owner)?.state.value.usageStats[profileId];
    if (stats?.refreshFailedAt !== undefined || stats?.refreshFailure !== undefined) {
      await this.deps.stores.recordUsage(owner, (doc) => {
        const s = doc.usageStats[profileId];
        if (!s) return;
        delete s.refreshFailedAt;
        delete s.refreshRefusedFor;
        delete s.refreshFailure;
      });
    }
  }

  private async recordFailure(target: Target, reason: RefreshFailureReason, status: number | null): Promise<void> {
    const { owner, profileId, credential } = target;
    const at = this.now();
    // Replaced while we asked (a new login): the failure was the old credential's, not this one's.
    const still = this.deps.state.agentView(owner)?.store.profiles[profileId];
    if (still?.type !== 'oauth' || still.refresh !== credential.refresh) return;
    const permanent = isPermanentFailure(reason);
    const meta = { agent: owner, profileId, provider: credential.provider, reason, status };
    if (permanent) {
      this.deps.log.warn(`OAuth refresh refused: ${describeRefreshFailure(reason)}; the profile is expired until a new login`, {
        ...meta,
        fix: loginCommand(credential.provider),
      });
    } else {
      const key = singleFlightKey(credential);
      const failures = (this.backoff.get(key)?.failures ?? 0) + 1;
      const wait = backoffMs(failures);
      this.backoff.set(key, { failures, retryAt: at + wait });
      this.deps.log.warn('OAuth refresh got no usable answer from the token endpoint; retrying with backoff (the access token is used while it is valid)', {
        ...meta,
        failures,
        retryInMs: wait,
      });
    }
    await this.deps.stores.recordUsage(owner, (doc) => {
      const s = { ...doc.usageStats[profileId] };
      s.refreshFailure = { reason, at };
      if (permanent) {
        s.refreshFailedAt = at;
        s.refreshRefusedFor = refreshTokenMark(credential.refresh);
      }
      doc.usageStats[profileId] = s;
    });
    this.announce(owner, profileId, credential, reason);
  }

  /** `token.expiring` when a token enters the configured window (once per token). */
  private announceExpiring(view: AgentView, profileId: string, c: OAuthCredential, now: number): void {
    const windowMs = this.deps.state.config.value.expiringWindowHours * 3_600_000;
    if (c.expires <= 0 || c.expires - now > windowMs) return;
    if (refreshRefused(c, view.usage.usageStats[profileId])) return;
    // Kept fresh by the refresher: its failure is announced when it happens, not its expiry.
    if (refreshedByGateway(c, view.usage.usageStats[profileId], this.deps.state.config.value)) return;
    this.announce(view.id, profileId, c, c.expires <= now ? 'expired' : undefined);
  }

  private announce(agent: string, profileId: string, c: OAuthCredential, reason: string | undefined): void {
    const key = `${agent}|${profileId}|${c.expires}|${reason ?? 'expiring'}`;
    if (this.announced.has(key)) return;
    this.announced.add(key);
    // Bounded: one entry per token per state; old tokens' entries go once there are many.
    if (this.announced.size > 1000) this.announced.delete(this.announced.values().next().value as string);
    this.deps.emit('token.expiring', {
      agent,
      profileId,
      provider: c.provider,
      expiresAt: c.expires,
      ...(reason ? { reason } : {}),
      ...(c.managedBy ? { managedBy: c.managedBy } : {}),
    });
  }
}
