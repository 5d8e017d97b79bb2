/** A raw NDJSON socket client for protocol and hostile-peer tests: it sends exactly what it is told. */
import net from 'node:net';
import { readFileSync } from 'node:fs';

export interface RawClient {
  socket: net.Socket;
  send(text: string): void;
  /** The next parsed message, or rejects after `timeoutMs` (default 3 s). */
  next(timeoutMs?: number): Promise<unknown>;
  /** Resolves true if no message arrives within `ms`. */
  silentFor(ms: number): Promise<boolean>;
  closed: Promise<void>;
  hello(token: string): Promise<unknown>;
  close(): void;
}

export async function rawClient(socketPath: string): Promise<RawClient> {
  const socket = net.connect(socketPath);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  socket.on('error', () => undefined);
  const queue: unknown[] = [];
  const waiters: ((m: unknown) => void)[] = [];
  let buf = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) !== -1) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      const msg: unknown = JSON.parse(line);
      const w = waiters.shift();
      if (w) w(msg);
      else queue.push(msg);
    }
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const client: RawClient = {
    socket,
    send: (text) => {
      socket.write(text);
    },
    next: (timeoutMs = 3000) =>
      new Promise((resolve, reject) => {
        if (queue.length > 0) {
          resolve(queue.shift());
          return;
        }
        const timer = setTimeout(() => reject(new Error('no message arrived')), timeoutMs);
        waiters.push((m) => {
          clearTimeout(timer);
          resolve(m);
        });
      }),
    silentFor: (ms) =>
      new Promise((resolve) => {
        if (queue.length > 0) {
          resolve(false);
          return;
        }
        const w = () => resolve(false);
        waiters.push(w);
        setTimeout(() => {
          const i = waiters.indexOf(w);
          if (i >= 0) {
            waiters.splice(i, 1);
            resolve(true);
          }
        }, ms);
      }),
    closed,
    async hello(token) {
      client.send(`${JSON.stringify({ jsonrpc: '2.0', id: 'hello', method: 'gateway.hello', params: { token, clientVersion: 'test' } })}\n`);
      return client.next();
    },
    close: () => socket.destroy(),
  };
  return client;
}

export function readToken(tokenPath: string): string {
  return readFileSync(tokenPath, 'utf8').trim();
}
