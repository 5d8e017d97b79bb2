/**
 * Errors a provider sends inside a stream it already answered 200 (Anthropic's `event: error`
 * — `overloaded_error` mid-reply is common — and an OpenAI-compatible chunk `{"error": …}`).
 * The proxy relays the bytes untouched and cannot fail over once they are flowing, but the
 * outcome still counts (§8.2): this watches the relayed chunks for such an event and hands its
 * classification to the usage owner. It only looks: nothing here delays or changes a byte.
 */
import { classifyErrorEvent } from '../providers/classify.js';
import type { Classification } from '../providers/classify.js';
import { SseParser } from '../providers/sse.js';
import { parseJson } from '../providers/untrusted-json.js';

/** A chunk might hold an error event: the cheap test run on every chunk before any parsing. */
const MAYBE = ['event: error', 'event:error', '"error"'];

/**
 * Returns a chunk observer; `onError` is called at most once, with the first error event's
 * classification. Parsing starts only at the first chunk that may hold one (a healthy stream
 * costs a substring search per chunk), and stops after the first error.
 */
export function watchStreamErrors(model: string | undefined, onError: (c: Classification) => void): (chunk: Buffer) => void {
  let parser: SseParser | null = null;
  let done = false;
  let tail = '';
  return (chunk) => {
    if (done) return;
    if (!parser) {
      const text = tail + chunk.toString('latin1');
      // The last bytes are kept, so a marker split across two chunks is still seen.
      tail = text.slice(-16);
      if (!MAYBE.some((m) => text.includes(m))) return;
      parser = new SseParser();
      // The event may have begun in the previous chunk; what we have of it is enough to classify.
      chunk = Buffer.from(text, 'latin1');
    }
    let events;
    try {
      events = parser.push(chunk);
    } catch {
      done = true;
      return;
    }
    for (const e of events) {
      const data = parseJson(e.data);
      const err = (data as { error?: unknown } | undefined)?.error;
      if (e.event !== 'error' && (typeof err !== 'object' || err === null)) continue;
      const body = (typeof err === 'object' && err !== null ? err : {}) as { type?: unknown; code?: unknown; message?: unknown };
      done = true;
      onError(
        classifyErrorEvent({
          type: typeof body.type === 'string' ? body.type : undefined,
          code: typeof body.code === 'string' || typeof body.code === 'number' ? body.code : undefined,
          message: typeof body.message === 'string' ? body.message : undefined,
          model,
        }),
      );
      return;
    }
  };
}
