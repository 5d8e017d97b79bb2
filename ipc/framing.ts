/**
 * NDJSON framing (§5): one JSON-RPC message per `\n`-terminated UTF-8 line, so any language
 * (Python, socat, `nc -U`) can be a client. Lines are split on the byte 0x0A — it never occurs
 * inside a multi-byte UTF-8 sequence — and counted in bytes, so the limit is exact.
 */

/** The largest request the daemon accepts (§5). */
export const MAX_REQUEST_BYTES = 1024 * 1024;

export interface LineReader {
  /** Feeds received bytes; calls `onLine` for every complete line (without its `\n`, `\r\n` trimmed). */
  push(chunk: Buffer): void;
  /** Bytes of an unfinished line held so far. */
  readonly pendingBytes: number;
  /** Lets go of the unfinished line now and ignores whatever comes after (a refused peer). */
  discard(): void;
  /** The peer sent its last byte: an unfinished line counts as a line (a script's last one may lack its newline). */
  finish(): void;
}

/**
 * `onOverflow` is called once when a line grows beyond `maxLineBytes`; after it the reader drops
 * everything (the caller answers and closes the connection).
 */
export function createLineReader(maxLineBytes: number, onLine: (line: string) => void, onOverflow: () => void): LineReader {
  let parts: Buffer[] = [];
  let pending = 0;
  let overflowed = false;
  const emit = (line: Buffer) => {
    let text = line.toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    if (text.trim() !== '') onLine(text);
  };
  return {
    get pendingBytes() {
      return pending;
    },
    discard() {
      overflowed = true;
      parts = [];
      pending = 0;
    },
    push(chunk: Buffer) {
      if (overflowed) return;
      let start = 0;
      for (;;) {
        const nl = chunk.indexOf(0x0a, start);
        if (nl === -1) break;
        const piece = chunk.subarray(start, nl);
        if (pending + piece.length > maxLineBytes) {
          overflowed = true;
          parts = [];
          onOverflow();
          return;
        }
        const line = pending === 0 ? piece : Buffer.concat([...parts, piece], pending + piece.length);
        parts = [];
        pending = 0;
        start = nl + 1;
        emit(line);
      }
      const rest = chunk.subarray(start);
      if (rest.length === 0) return;
      if (pending + rest.length > maxLineBytes) {
        overflowed = true;
        parts = [];
        onOverflow();
        return;
      }
      // Copy: the caller may reuse the chunk's memory.
      parts.push(Buffer.from(rest));
      pending += rest.length;
    },
    finish() {
      if (overflowed || pending === 0) return;
      const line = Buffer.concat(parts, pending);
      parts = [];
      pending = 0;
      emit(line);
    },
  };
}

/** Serializes one message as a line. */
export function frame(message: unknown): string {
  return `${JSON.stringify(message)}\n`;
}
