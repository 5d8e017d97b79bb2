/**
 * A provider (Anthropic Messages, non-streamed) behind a front end that closes idle keep-alive
 * connections, caught at the worst moment: a request that arrives on a connection which already
 * served one is not answered, its connection is closed instead (as when a load balancer's idle
 * timeout races the client's next request). Which moment is not left to timers: the close happens
 * on the request itself, so every reuse of a connection meets it. `closeEvery`: every request's
 * connection is closed, fresh or not (a provider that cannot be reached at all).
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onCleanup } from './harness.js';

export interface IdleClosingProvider {
  readonly url: string;
  /** Connections accepted. */
  readonly connections: number;
  /** The key of each request answered, in order. */
  readonly answered: string[];
  /** Requests whose connection was closed instead of answered. */
  readonly closed: number;
  /** How a connection is closed: `reset` (RST: the client reads ECONNRESET) or `end` (FIN: "socket hang up"). */
  how: 'reset' | 'end';
  closeEvery: boolean;
}

export async function startIdleClosingProvider(): Promise<IdleClosingProvider> {
  const served = new WeakMap<Socket, number>();
  const sockets = new Set<Socket>();
  const state = { connections: 0, answered: [] as string[], closed: 0, how: 'reset' as 'reset' | 'end', closeEvery: false };
  const server = http.createServer((req, res) => {
    const socket = req.socket;
    const before = served.get(socket) ?? 0;
    served.set(socket, before + 1);
    if (before > 0 || state.closeEvery) {
      state.closed++;
      if (state.how === 'reset') socket.resetAndDestroy();
      else socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      state.answered.push(String(req.headers['x-api-key'] ?? ''));
      const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as { model?: string };
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id: 'msg_fake',
          type: 'message',
          role: 'assistant',
          model: body.model ?? 'fake-model',
          content: [{ type: 'text', text: `answer ${state.answered.length}` }],
          stop_reason: 'end_turn',
          usage: { input_tokens: 5, output_tokens: 7 },
        }),
      );
    });
  });
  server.on('connection', (s: Socket) => {
    state.connections++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  onCleanup(async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return Object.assign(state, { url: `http://127.0.0.1:${port}` });
}
