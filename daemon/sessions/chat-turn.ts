/**
 * One chat turn (§6 `chat.send`, §8): the session's model and credential, the provider's
 * streamed reply pushed to the caller as it arrives, the outcome reported to the usage owner,
 * and failover to the next credential of the order on an outcome that another credential may
 * not share (a rate limit, an overload, a refused or out-of-credit credential) — but only while
 * nothing has reached the caller yet (a reply is never spliced from two credentials), and never
 * away from a user's pin (§8.3: a pin is locked; its failure is reported with the reason).
 */
import { OpenSoulError } from '../../ipc/errors.js';
import { splitModelRef } from '../../ipc/providers.js';
import type { ChatAttempt, ChatEvent, ChatSendParams, ChatSendResult, SessionView } from '../../ipc/protocol.js';
import { callProvider } from '../providers/call.js';
import { FAILOVER_OUTCOMES } from '../providers/classify.js';
import { remedyFor } from '../providers/remedies.js';
import type { CredentialOrigin } from '../providers/remedies.js';
import { ProviderCallError } from '../providers/types.js';
import type { ChatMessage } from '../providers/types.js';
import { ENV_CANDIDATE, credentialOrigin, resolveCredential } from '../resolver/resolve.js';
import type { UsageLedger } from '../resolver/usage.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';

/** At most this many credentials per turn: a provider refusing everything must not cost a request per profile of a long list. */
const MAX_ATTEMPTS = 5;

/**
 * A turn's time limit. Long: a streamed answer of thousands of tokens takes minutes; the client
 * can cancel sooner (Ctrl-C → `chat.cancel`).
 */
const TURN_TIMEOUT_MS = 10 * 60_000;

const DEFAULT_MAX_TOKENS = 4096;

export interface ChatTurnDeps {
  state: GatewayState;
  usage: UsageLedger;
  registerSecrets: (values: string[]) => void;
  now: () => number;
}

/** What the turn needs of the session owner. */
export interface TurnSession {
  view: SessionView;
  history: readonly ChatMessage[];
}

/** Cancellers of running turns, by agent and session: one turn per session at a time. */
export class RunningTurns {
  private readonly byKey = new Map<string, { turnId: string; controller: AbortController }>();

  private key(agent: string, session: string): string {
    return `${agent}\u0000${session}`;
  }

  /** Registers a turn; CONFLICT when the session already has one running. */
  start(agent: string, session: string, turnId: string): AbortController {
    const key = this.key(agent, session);
    if (this.byKey.has(key))
      throw new OpenSoulError('CONFLICT', { reason: `a turn is already running in session "${session}"; wait for it or cancel it (Ctrl-C)` });
    const controller = new AbortController();
    this.byKey.set(key, { turnId, controller });
    return controller;
  }

  finish(agent: string, session: string, turnId: string): void {
    const key = this.key(agent, session);
    if (this.byKey.get(key)?.turnId === turnId) this.byKey.delete(key);
  }

  /** Aborts the session's running turn (only `turnId`'s, when given). */
  cancel(agent: string, session: string, turnId?: string): boolean {
    const running = this.byKey.get(this.key(agent, session));
    if (!running || (turnId !== undefined && running.turnId !== turnId)) return false;
    running.controller.abort();
    return true;
  }

  /** Aborts every running turn (shutdown). */
  cancelAll(): void {
    for (const t of this.byKey.values()) t.controller.abort();
  }
}

/** Runs a turn (its id chosen by the handler); `io.push` sends its events to the caller, `io.signal` aborts it (a cancel, or the caller gone). */
export async function runChatTurn(
  deps: ChatTurnDeps,
  view: AgentView,
  session: TurnSession,
  params: ChatSendParams & { turnId: string },
  io: { push: (event: ChatEvent) => void; signal: AbortSignal },
): Promise<Omit<ChatSendResult, 'session'>> {
  const { state } = deps;
  const { turnId } = params;
  const ref = splitModelRef(session.view.model);
  if (!ref) throw new OpenSoulError('INVALID_INPUT', { reason: `the session's model "${session.view.model}" is not provider/model: pick one with /model` });
  const spec = state.providers.require(ref.provider);
  const messages: ChatMessage[] = [...session.history, { role: 'user', content: params.message }];
  const tried = new Set<string>();
  const attempts: ChatAttempt[] = [];
  let reply = '';
  const base = { turnId, provider: ref.provider, model: ref.model };
  // The remedy for a failed attempt names where its credential came from.
  const origin = (a: ChatAttempt) => credentialOrigin(state, view, a.profileId, a.envVar);

  for (let n = 0; n < MAX_ATTEMPTS; n++) {
    let resolved;
    try {
      resolved = await resolveCredential(state, view, ref.provider, deps.now(), { pin: session.view.pin ?? undefined, model: ref.model, exclude: tried });
    } catch (err) {
      const last = attempts.at(-1);
      // Every credential failed: the last failure is the answer, not "no credentials".
      if (last && err instanceof OpenSoulError && err.kind === 'NO_CREDENTIALS') throw failed(ref.provider, ref.model, last, false, attempts.length, origin);
      throw err;
    }
    deps.registerSecrets([resolved.secret]);
    if (resolved.profileId) await deps.usage.markUsed(view.id, resolved.profileId, deps.now());
    io.push({ turnId, type: 'attempt', profileId: resolved.profileId, envVar: resolved.envVar, model: session.view.model });
    let streamed = false;
    try {
      const answer = await callProvider({
        api: spec.api,
        provider: ref.provider,
        baseUrl: resolved.baseUrl,
        credential: { type: resolved.type, secret: resolved.secret },
        model: ref.model,
        messages,
        maxTokens: params.maxTokens ?? DEFAULT_MAX_TOKENS,
        stream: true,
        signal: io.signal,
        timeoutMs: TURN_TIMEOUT_MS,
        onText: (text) => {
          streamed = true;
          reply += text;
          io.push({ turnId, type: 'delta', text });
        },
      });
      if (resolved.profileId) await deps.usage.report(view, resolved.profileId, 'ok', { at: deps.now(), model: ref.model });
      attempts.push({ profileId: resolved.profileId, envVar: resolved.envVar, outcome: 'ok', status: answer.status, message: null });
      return {
        ...base,
        reply: answer.text || reply,
        profileId: resolved.profileId,
        envVar: resolved.envVar,
        attempts,
        usage: answer.usage,
        stopReason: answer.stopReason,
        cancelled: false,
      };
    } catch (err) {
      if (io.signal.aborted) {
        return {
          ...base,
          reply,
          profileId: resolved.profileId,
          envVar: resolved.envVar,
          attempts,
          usage: { inputTokens: null, outputTokens: null },
          stopReason: null,
          cancelled: true,
        };
      }
      if (!(err instanceof ProviderCallError)) throw err;
      if (resolved.profileId) {
        await deps.usage.report(view, resolved.profileId, err.outcome, {
          at: deps.now(),
          model: err.modelScoped ? ref.model : undefined,
          retryAfterMs: err.retryAfterMs ?? undefined,
        });
      }
      const attempt: ChatAttempt = { profileId: resolved.profileId, envVar: resolved.envVar, outcome: err.outcome, status: err.status, message: err.message };
      // The remedy of a credential only its provider's client may use is part of the attempt, so a reply that failed over past it still says what to do.
      const remedy = err.outcome === 'credential_scope' ? remedyFor(err.outcome, ref.provider, origin(attempt)) : null;
      attempts.push(remedy ? { ...attempt, message: `${err.message} — ${remedy}` } : attempt);
      if (!FAILOVER_OUTCOMES.has(err.outcome) || streamed || err.streamed || resolved.pinned)
        throw failed(ref.provider, ref.model, attempt, resolved.pinned, attempts.length, origin);
      tried.add(resolved.profileId ?? ENV_CANDIDATE);
      io.push({ turnId, type: 'failover', profileId: resolved.profileId, outcome: err.outcome, message: err.message });
    }
  }
  throw failed(ref.provider, ref.model, attempts.at(-1) as ChatAttempt, false, attempts.length, origin);
}

/** The turn's error for its failed attempt `a`; `originOf` says where an attempt's credential came from, for the remedy. */
function failed(
  provider: string,
  model: string,
  a: ChatAttempt,
  pinned: boolean,
  tried: number,
  originOf: (a: ChatAttempt) => CredentialOrigin | null,
): OpenSoulError {
  return new OpenSoulError('PROVIDER_FAILED', {
    provider,
    model: `${provider}/${model}`,
    profileId: a.profileId,
    envVar: a.envVar,
    outcome: a.outcome,
    status: a.status,
    reason: a.message,
    remedy: remedyFor(a.outcome, provider, originOf(a)),
    pinned,
    tried,
  });
}
