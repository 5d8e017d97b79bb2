/**
 * What `opensoul chat` prints around a reply: the note when a credential fails over to the next
 * (stderr), and the footer naming the credential that answered (stdout). Pure: events and
 * results in, text out; never a secret (ids and variable names only).
 */
import type { ChatAttempt, ChatEvent, ChatSendResult } from '../../ipc/protocol.js';

/** A credential as people read it: the profile id, or `env NAME` for the provider's env key. */
export function credentialName(profileId: string | null, envVar: string | null): string {
  return profileId ?? (envVar ? `env ${envVar}` : 'env');
}

/** `anthropic/claude-sonnet-4-5`, whether the daemon sent the model with its provider or not. */
export function modelRef(provider: string, model: string): string {
  return model.startsWith(`${provider}/`) || provider === '' ? model : `${provider}/${model}`;
}

/**
 * Turns a turn's `attempt`/`failover` events into note lines. A failover is held until the next
 * attempt so the two read as one line (`anthropic:a answered rate_limit; trying anthropic:b`);
 * the first attempt says nothing (the footer names who answered). `flush()` gives a failover no
 * attempt followed (the last credential failed).
 */
export class FailoverNotes {
  private failed: { who: string; outcome: string; message: string | null } | null = null;
  private attempts = 0;
  /** The credential of the running attempt: a failover of the env key carries no variable name. */
  private current: string | null = null;

  /** The note line for this event, or null (deltas, the first attempt, a failover until the next attempt). */
  onEvent(ev: ChatEvent): string | null {
    if (ev.type === 'failover') {
      this.failed = { who: ev.profileId ?? this.current ?? 'env', outcome: ev.outcome, message: ev.message };
      return null;
    }
    if (ev.type !== 'attempt') return null;
    this.attempts++;
    const next = credentialName(ev.profileId, ev.envVar);
    this.current = next;
    const failed = this.failed;
    this.failed = null;
    if (failed) return `${failed.who} answered ${failed.outcome}; trying ${next}`;
    return this.attempts > 1 ? `trying ${next}` : null;
  }

  /** A failover that no attempt followed, as a note, or null. */
  flush(): string | null {
    const failed = this.failed;
    this.failed = null;
    return failed ? `${failed.who} answered ${failed.outcome}${failed.message ? ` (${failed.message})` : ''}` : null;
  }
}

/** The attempts before the one that answered, as `anthropic:a: rate_limit, env ANTHROPIC_API_KEY: overloaded`. */
function failedBefore(attempts: readonly ChatAttempt[]): string {
  return attempts
    .filter((a) => a.outcome !== 'ok')
    .map((a) => `${credentialName(a.profileId, a.envVar)}: ${a.outcome}`)
    .join(', ');
}

/**
 * The footer after a reply: `— anthropic/claude-sonnet-4-5 via anthropic:b (after anthropic:a:
 * rate_limit)`, or `via env ANTHROPIC_API_KEY`; a cancelled turn says so.
 */
export function turnFooter(r: ChatSendResult): string {
  const via = r.profileId ? `via ${r.profileId}` : r.envVar ? `via env ${r.envVar}` : 'via the env key';
  const before = failedBefore(r.attempts);
  return `— ${modelRef(r.provider, r.model)} ${via}${before ? ` (after ${before})` : ''}${r.cancelled ? ' (cancelled)' : ''}`;
}
