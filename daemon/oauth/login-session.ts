/**
 * Logins in progress, in memory only: each holds its PKCE verifier and `state` (never written to
 * disk, never returned over RPC), its callback listener, and what it has obtained so far. A
 * login that is not completed within 10 minutes expires: its listener closes, its polling stops,
 * and the tokens it may hold are dropped.
 */
import { randomBytes } from 'node:crypto';
import { OpenSoulError } from '../../ipc/errors.js';
import type { CallbackListener } from './callback-listener.js';
import type { OAuthEndpoints } from './oauth-providers.js';
import type { PastedAuthorization } from './pasted-input.js';
import type { TokenSet } from './token-exchange.js';

/** How long a login may stay pending. */
export const LOGIN_TTL_MS = 10 * 60_000;
/** How long a finished login's result stays available to a second waiting caller. */
const RESULT_GRACE_MS = 60_000;

/** One login in progress. */
export interface PendingLogin {
  readonly id: string;
  readonly kind: 'browser' | 'device';
  readonly agent: string;
  readonly provider: string;
  readonly endpoints: OAuthEndpoints;
  /** `--profile-id`, when given; else the account names it once the tokens arrive. */
  readonly profileId: string | null;
  readonly setDefault: boolean;
  /** `--force` at start: a different credential at the id is replaced. */
  readonly replace: boolean;
  readonly expiresAt: number;
  /** Aborts polling and exchanges when the login is cancelled or expires. */
  readonly abort: AbortController;
  /** Settles with the tokens (or why there are none). */
  tokens: Promise<TokenSet>;
  /** Browser logins: hands a pasted code to the flow (refuses a wrong state). */
  paste: ((p: PastedAuthorization) => void) | null;
  listener: CallbackListener | null;
  /** The store step, at most once per `replace` value (a refused write may be confirmed). */
  stored: Map<boolean, Promise<unknown>>;
  finished: boolean;
  timer: NodeJS.Timeout | null;
}

/** The registry of pending logins. */
export class LoginSessions {
  private readonly logins = new Map<string, PendingLogin>();

  /** A new login id: random, so one client cannot guess another's login. */
  newId(): string {
    return `login-${randomBytes(12).toString('base64url')}`;
  }

  /** Registers a login and arms its expiry. */
  add(login: PendingLogin, ttlMs: number): void {
    this.logins.set(login.id, login);
    login.timer = setTimeout(() => this.drop(login.id, 'expired'), ttlMs);
    login.timer.unref();
  }

  /** The login, or INVALID_INPUT saying it is gone. */
  get(id: string): PendingLogin {
    const login = this.logins.get(id);
    if (!login)
      throw new OpenSoulError('INVALID_INPUT', {
        reason: `no login in progress with id ${id}: it finished, expired (after 10 minutes) or was cancelled; start again`,
      });
    return login;
  }

  /** Ends a login that completed: its listener closes; its result stays a minute for a second waiter. */
  finish(login: PendingLogin): void {
    login.finished = true;
    login.listener?.close();
    login.abort.abort(new Error('finished'));
    if (login.timer) clearTimeout(login.timer);
    login.timer = setTimeout(() => this.logins.delete(login.id), RESULT_GRACE_MS);
    login.timer.unref();
  }

  /** Cancels or expires a login: polling stops, the listener closes, anything obtained is dropped. */
  drop(id: string, why: 'cancelled' | 'expired'): boolean {
    const login = this.logins.get(id);
    if (!login) return false;
    this.logins.delete(id);
    if (login.timer) clearTimeout(login.timer);
    login.listener?.close();
    login.abort.abort(
      new OpenSoulError('LOGIN_FAILED', {
        provider: login.provider,
        reason: why === 'expired' ? 'it was not completed within 10 minutes; start again' : 'the login was cancelled',
      }),
    );
    return !login.finished;
  }

  /** Drops every login (the daemon is stopping). */
  dropAll(): void {
    for (const id of [...this.logins.keys()]) this.drop(id, 'cancelled');
  }
}
