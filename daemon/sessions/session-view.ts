/**
 * What a session is now, as the RPC handlers and chat.send see it: the model and provider a
 * message goes to and the pinned credential, if any. Derived on every read from the sessions
 * file and the config, so a default model changed in config applies to every session that has
 * not chosen its own.
 */

/** One session's effective state. */
export interface SessionView {
  id: string;
  agent: string;
  /** `provider/model` the next message goes to: the session's own choice, else the agent's default. */
  model: string;
  provider: string;
  /** Whether `model` is the session's own choice (`/model …`) rather than the agent's default. */
  modelFromSession: boolean;
  /** The pinned profile (locked: every call of the session uses it, it never rotates), or null. */
  pin: string | null;
  /**
   * Things the person should be told once, e.g. that a pinned profile was removed and the
   * agent's order applies again. Returned by the call that noticed, not again.
   */
  notes: string[];
}
