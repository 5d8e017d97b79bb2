/**
 * The conversation of each session, in memory only: it is sent with every message so the model
 * has context, and nothing of it is written to disk (a transcript on disk would be one more file
 * with private content to protect). Bounded per session — the last 40 messages and 512 KiB —
 * and across sessions, so a long-running daemon with many chats keeps a bounded heap.
 */

/** One message of a conversation. */
export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

/** How much conversation is kept. */
export interface HistoryLimits {
  messagesPerSession: number;
  bytesPerSession: number;
  /** Sessions held at once; the least recently used one is forgotten first. */
  sessions: number;
  /** All sessions together. */
  totalBytes: number;
}

/** The limits in use: the last 40 messages and 512 KiB per session. */
export const HISTORY_LIMITS: Readonly<HistoryLimits> = {
  messagesPerSession: 40,
  bytesPerSession: 512 * 1024,
  sessions: 200,
  // 32 MiB at worst, far above what a few chats use, far below a heap that would hurt the daemon.
  totalBytes: 32 * 1024 * 1024,
};

interface Conversation {
  messages: ChatMessage[];
  bytes: number;
}

const sizeOf = (m: ChatMessage): number => Buffer.byteLength(m.content, 'utf8');

/** Conversations keyed by (agent, session), least recently used first. */
export class SessionHistory {
  // A Map keeps insertion order: re-inserting on use makes its first key the least recently used.
  private readonly conversations = new Map<string, Conversation>();
  private totalBytes = 0;

  constructor(private readonly limits: Readonly<HistoryLimits> = HISTORY_LIMITS) {}

  /** The session's messages, oldest first (a copy). */
  get(agent: string, sessionId: string): ChatMessage[] {
    const c = this.conversations.get(keyOf(agent, sessionId));
    return c ? c.messages.map((m) => ({ ...m })) : [];
  }

  /**
   * Appends messages, then drops the oldest until the session is within its limits. The kept
   * history never starts with an assistant message (providers want the user to speak first).
   * A single message larger than the byte limit leaves the history empty: it cannot be kept.
   */
  append(agent: string, sessionId: string, messages: readonly ChatMessage[]): void {
    const key = keyOf(agent, sessionId);
    const c = this.conversations.get(key) ?? { messages: [], bytes: 0 };
    this.conversations.delete(key);
    this.totalBytes -= c.bytes;
    for (const m of messages) {
      c.messages.push({ role: m.role, content: m.content });
      c.bytes += sizeOf(m);
    }
    while (
      c.messages.length > 0 &&
      (c.messages.length > this.limits.messagesPerSession || c.bytes > this.limits.bytesPerSession || c.messages[0]?.role === 'assistant')
    ) {
      c.bytes -= sizeOf(c.messages.shift() as ChatMessage);
    }
    if (c.messages.length > 0) {
      this.conversations.set(key, c);
      this.totalBytes += c.bytes;
    }
    this.evict(key);
  }

  /** Forgets a session's conversation (`/new`); true when there was one. */
  clear(agent: string, sessionId: string): boolean {
    const key = keyOf(agent, sessionId);
    const c = this.conversations.get(key);
    if (!c) return false;
    this.conversations.delete(key);
    this.totalBytes -= c.bytes;
    return c.messages.length > 0;
  }

  /** How many sessions and bytes are held (for status and tests). */
  size(): { sessions: number; bytes: number } {
    return { sessions: this.conversations.size, bytes: this.totalBytes };
  }

  private evict(keep: string): void {
    for (const [key, c] of this.conversations) {
      if (this.conversations.size <= this.limits.sessions && this.totalBytes <= this.limits.totalBytes) return;
      if (key === keep) continue;
      this.conversations.delete(key);
      this.totalBytes -= c.bytes;
    }
  }
}

// NUL cannot occur in an agent id, so (agent, session) pairs never collide.
const keyOf = (agent: string, sessionId: string): string => `${agent}\u0000${sessionId}`;
