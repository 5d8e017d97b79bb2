/**
 * A raw socket peer for the protocol fuzzer: it writes arbitrary bytes, keeps every line the
 * daemon sends back (unparsed lines are kept too, so a reply that is not JSON fails the test
 * instead of crashing the reader), and ends a probe with a sentinel request whose answer
 * proves that everything sent before it has been handled.
 */
import assert from 'node:assert/strict';
import net from 'node:net';

export const SENTINEL_ID = 'sentinel-7f3a';

export interface WirePeer {
  socket: net.Socket;
  /** Every line received so far, parsed when it parses (else the raw text under `unparsed`). */
  readonly received: unknown[];
  write(data: string | Uint8Array): Promise<void>;
  /** Resolves once a reply with this id arrived (searching batches too); rejects after `timeoutMs` or on close. */
  waitForId(id: string, timeoutMs?: number): Promise<unknown>;
  /** Bytes received so far. */
  readonly bytesIn: number;
  closed: Promise<void>;
  close(): void;
}

export function hasId(msg: unknown, id: string): boolean {
  if (Array.isArray(msg)) return msg.some((m) => hasId(m, id));
  return typeof msg === 'object' && msg !== null && (msg as { id?: unknown }).id === id;
}

export async function wirePeer(socketPath: string): Promise<WirePeer> {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const received: unknown[] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let bytesIn = 0;
  let isClosed = false;
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    bytesIn += Buffer.byteLength(chunk);
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      try {
        received.push(JSON.parse(line));
      } catch {
        received.push({ unparsed: line.slice(0, 200) });
      }
    }
    for (const w of [...waiters]) w();
  });
  const closed = new Promise<void>((resolve) =>
    socket.once('close', () => {
      isClosed = true;
      for (const w of [...waiters]) w();
      resolve();
    }),
  );
  return {
    socket,
    received,
    get bytesIn() {
      return bytesIn;
    },
    write: (data) =>
      new Promise((resolve) => {
        if (socket.destroyed) {
          resolve();
          return;
        }
        socket.write(data, () => resolve());
      }),
    waitForId: (id, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = received.find((m) => hasId(m, id));
          if (found !== undefined) {
            done();
            resolve(found);
          } else if (isClosed) {
            done();
            reject(new Error(`the connection closed before the reply to ${id}`));
          }
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no reply to ${id} within ${timeoutMs} ms`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      }),
    closed,
    close: () => socket.destroy(),
  };
}

/** A request line. */
export function requestLine(id: string | number, method: string, params?: unknown): string {
  return `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`;
}

/** Connects and says hello with the token; asserts it was accepted. */
export async function authedPeer(socketPath: string, token: string): Promise<WirePeer> {
  const p = await wirePeer(socketPath);
  await p.write(requestLine('hello', 'gateway.hello', { token, clientVersion: 'fuzz' }));
  const hello = (await p.waitForId('hello')) as { result?: unknown };
  assert.ok(hello.result, 'hello accepted');
  p.received.length = 0;
  return p;
}

/** A JSON-RPC error code the daemon may answer with: the standard ones and OpenSoul's -320xx, never INTERNAL (-32603, a bug). */
function isExpectedErrorCode(code: unknown): boolean {
  return (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    (code === -32700 || code === -32600 || code === -32601 || code === -32602 || (code <= -32000 && code >= -32099))
  );
}

/**
 * Asserts a line from the daemon is a well-formed JSON-RPC 2.0 response (or a batch of them, or
 * an event notification), and that no error is INTERNAL: a handler that throws on input it did
 * not expect is a bug even when the daemon survives it.
 */
export function assertWellFormed(msg: unknown, context: string): void {
  if (Array.isArray(msg)) {
    assert.ok(msg.length > 0, `${context}: an empty batch reply`);
    for (const m of msg) assertWellFormed(m, context);
    return;
  }
  assert.ok(typeof msg === 'object' && msg !== null, `${context}: a reply that is not an object: ${JSON.stringify(msg)}`);
  const m = msg as Record<string, unknown>;
  assert.ok(!('unparsed' in m), `${context}: a reply that is not JSON: ${String(m.unparsed)}`);
  assert.equal(m.jsonrpc, '2.0', `${context}: jsonrpc is 2.0`);
  if (typeof m.method === 'string') {
    assert.equal(m.method, 'events.notify', `${context}: the only notification the daemon sends is an event`);
    return;
  }
  assert.ok('id' in m, `${context}: a response carries an id`);
  assert.ok('result' in m !== 'error' in m, `${context}: exactly one of result and error`);
  if ('error' in m) {
    const e = m.error as { code?: unknown; message?: unknown };
    assert.ok(isExpectedErrorCode(e.code), `${context}: error code ${String(e.code)} (${String(e.message)})`);
    assert.equal(typeof e.message, 'string', `${context}: an error has a message`);
  }
}
