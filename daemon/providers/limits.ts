/**
 * The bounds of a provider call: an upstream is a remote party (or a proxy the person set up),
 * and nothing it sends may hold a daemon's memory or a caller's turn for ever.
 */

/** The largest non-streamed reply body read (8 MiB): a short chat reply is a few KiB. */
export const MAX_REPLY_BODY_BYTES = 8 << 20;

/** The most of an error body read (64 KiB): enough for any provider's error JSON; the rest is dropped. */
export const MAX_ERROR_BODY_BYTES = 64 << 10;

/** The most reply text a streamed reply may gather (8 Mi characters), like the non-streamed bound. */
export const MAX_REPLY_TEXT = 8 << 20;

/** The bound of a call that names none (10 min): long generations stream for minutes, never hours. */
export const DEFAULT_TIMEOUT_MS = 600_000;
