/**
 * An incremental Server-Sent Events parser (the WHATWG event-stream format), fed bytes as they
 * arrive. A chunk may end anywhere: inside a line, between the CR and LF of a CRLF, or inside a
 * multi-byte UTF-8 character (the decoder runs in stream mode and keeps the partial bytes).
 * Each line and each event's data are bounded, so an upstream that never sends a newline cannot
 * grow our memory without limit.
 */

/** One dispatched event. */
export interface SseEvent {
  /** The `event:` field, `message` when absent. */
  event: string;
  /** The `data:` lines joined with `\n`. */
  data: string;
  /** The last `id:` field seen, if any. */
  id?: string;
}

/** The default bound of one line and of one event's data: 1 MiB of characters. */
export const MAX_SSE_LINE = 1 << 20;

/** The stream broke a bound; no input text is quoted. */
export class SseLimitError extends Error {
  override readonly name = 'SseLimitError';
  constructor(max: number) {
    super(`an event-stream line or event exceeded ${max} characters`);
  }
}

/** Feed it chunks with `push`, then call `end`; each returns the events completed so far. */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  /** The last chunk ended with CR: an LF starting the next one belongs to that line ending. */
  private skipLf = false;
  private eventType = '';
  private data: string[] = [];
  private dataLength = 0;
  private lastId: string | undefined;

  constructor(private readonly maxLine = MAX_SSE_LINE) {}

  /** Takes the next bytes (or already-decoded text) of the stream. */
  push(chunk: Uint8Array | string): SseEvent[] {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    return this.feed(text);
  }

  /** The stream ended: flushes the decoder. A last event without its blank line is dropped, as the format says. */
  end(): SseEvent[] {
    const events = this.feed(this.decoder.decode());
    this.buffer = '';
    this.data = [];
    this.dataLength = 0;
    return events;
  }

  private feed(text: string): SseEvent[] {
    const events: SseEvent[] = [];
    let s = text;
    if (this.skipLf && s.length > 0) {
      if (s.startsWith('\n')) s = s.slice(1);
      this.skipLf = false;
    }
    let start = 0;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c !== 10 && c !== 13) continue;
      this.line(this.buffer + s.slice(start, i), events);
      this.buffer = '';
      if (c === 13) {
        if (i + 1 < s.length) {
          if (s.charCodeAt(i + 1) === 10) i++;
        } else {
          this.skipLf = true;
        }
      }
      start = i + 1;
    }
    this.buffer += s.slice(start);
    if (this.buffer.length > this.maxLine) throw new SseLimitError(this.maxLine);
    return events;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line.length > this.maxLine) throw new SseLimitError(this.maxLine);
    if (line === '') {
      if (this.data.length > 0)
        events.push({ event: this.eventType || 'message', data: this.data.join('\n'), ...(this.lastId !== undefined ? { id: this.lastId } : {}) });
      this.data = [];
      this.dataLength = 0;
      this.eventType = '';
      return;
    }
    if (line.startsWith(':')) return; // a comment (keep-alive)
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') {
      this.dataLength += value.length + 1;
      if (this.dataLength > this.maxLine) throw new SseLimitError(this.maxLine);
      this.data.push(value);
    } else if (field === 'event') {
      this.eventType = value;
    } else if (field === 'id' && !value.includes('\0')) {
      this.lastId = value;
    }
  }
}
