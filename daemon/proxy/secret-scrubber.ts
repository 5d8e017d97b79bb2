/**
 * A provider secret removed from a body as it streams through the proxy: a provider (or a debug
 * endpoint under its base URL, which a tool may call) that echoes the request's headers must not
 * hand the tool the credential the gateway put there. The secret is replaced by as many `*`, so a
 * `Content-Length` already sent stays true. A secret split across two chunks is caught too: the
 * end of a chunk that could begin the secret is held back until the next chunk (or the end) says.
 * A healthy stream pays one search per chunk; an event stream's chunks end in a blank line, which
 * no secret begins with, so nothing is held back.
 */
export interface SecretScrubber {
  /** The bytes of `chunk` (after any held back before it) that can go now. */
  push(chunk: Buffer): Buffer;
  /** What was held back, at the end of the body. */
  end(): Buffer;
}

export function secretScrubber(secret: string): SecretScrubber {
  const needle = Buffer.from(secret, 'utf8');
  if (needle.length === 0) return { push: (chunk) => chunk, end: () => Buffer.alloc(0) };
  const mask = Buffer.alloc(needle.length, '*');
  let carry: Buffer | null = null;
  return {
    push(chunk) {
      let data = carry ? Buffer.concat([carry, chunk]) : chunk;
      carry = null;
      let at = data.indexOf(needle);
      if (at !== -1) {
        // A copy: the chunk may be a view of a buffer the stream still owns.
        data = Buffer.from(data);
        for (; at !== -1; at = data.indexOf(needle, at + needle.length)) mask.copy(data, at);
      }
      const held = heldBack(data, needle);
      if (held === 0) return data;
      carry = Buffer.from(data.subarray(data.length - held));
      return data.subarray(0, data.length - held);
    },
    end() {
      const rest = carry ?? Buffer.alloc(0);
      carry = null;
      return rest;
    },
  };
}

/** The length of the longest end of `data` that is a proper beginning of `needle` (0 if none). */
function heldBack(data: Buffer, needle: Buffer): number {
  const first = needle[0];
  for (let i = Math.max(0, data.length - needle.length + 1); i < data.length; i++) {
    if (data[i] === first && data.subarray(i).equals(needle.subarray(0, data.length - i))) return data.length - i;
  }
  return 0;
}
