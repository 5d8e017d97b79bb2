/**
 * A real HTTP server on 127.0.0.1 standing in for a provider (Anthropic Messages or an
 * OpenAI-compatible Chat Completions API). Each request is answered by the rule for the
 * credential it carries, so a test can make one key rate-limited and another fine, and it
 * records what it received (path, which key, the body) for assertions. No mock of our code:
 * the daemon talks to it over real sockets.
 */
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { onCleanup } from './harness.js';

/** How to answer one request. */
export type FakeAnswer =
  /** `errorEvent`: a streamed answer (Anthropic) that ends with an `error` event instead of `message_stop`, as an overload mid-reply does. */
  | { kind: 'ok'; text?: string; chunks?: string[]; chunkDelayMs?: number; errorEvent?: { type: string; message: string } }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string> }
  | { kind: 'hang' }
  | { kind: 'stall-after-headers' };

export interface ReceivedRequest {
  path: string;
  /** The credential as sent: x-api-key, or the bearer token. */
  key: string;
  authHeader: 'x-api-key' | 'bearer' | 'none';
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  stream: boolean;
}

export interface FakeProvider {
  readonly url: string;
  readonly port: number;
  readonly received: ReceivedRequest[];
  /** Requests whose connection the client closed before the answer ended. */
  readonly aborted: number;
  /** Sets the answer for a key (or `*` for any key without its own rule). */
  answer(key: string, answer: FakeAnswer | ((req: ReceivedRequest) => FakeAnswer)): void;
  close(): Promise<void>;
}

function keyOf(req: http.IncomingMessage): { key: string; authHeader: ReceivedRequest['authHeader'] } {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string') return { key: x, authHeader: 'x-api-key' };
  const auth = req.headers.authorization;
  if (typeof auth === 'string' && auth.startsWith('Bearer ')) return { key: auth.slice(7), authHeader: 'bearer' };
  return { key: '', authHeader: 'none' };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Starts a fake provider speaking `api`; it is closed after the test. */
export async function startFakeProvider(api: 'anthropic' | 'openai'): Promise<FakeProvider> {
  const rules = new Map<string, FakeAnswer | ((req: ReceivedRequest) => FakeAnswer)>();
  const received: ReceivedRequest[] = [];
  const sockets = new Set<Socket>();
  let aborted = 0;
  const server = http.createServer((req, res) => {
    let raw = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (raw += d));
    req.on('end', () => {
      void (async () => {
        let body: Record<string, unknown> = {};
        try {
          body = JSON.parse(raw) as Record<string, unknown>;
        } catch {
          /* an empty or bad body is recorded as {} */
        }
        const who = keyOf(req);
        const r: ReceivedRequest = { path: req.url ?? '', ...who, headers: req.headers, body, stream: body.stream === true };
        received.push(r);
        const rule = rules.get(who.key) ?? rules.get('*') ?? { kind: 'ok' };
        const a = typeof rule === 'function' ? rule(r) : rule;
        let finished = false;
        res.on('close', () => {
          if (!finished) aborted++;
        });
        if (a.kind === 'hang') return;
        if (a.kind === 'stall-after-headers') {
          res.writeHead(200, { 'content-type': r.stream ? 'text/event-stream' : 'application/json' });
          res.flushHeaders();
          return;
        }
        if (a.kind === 'status') {
          res.writeHead(a.status, { 'content-type': 'application/json', ...a.headers });
          finished = true;
          res.end(JSON.stringify(a.body ?? { error: { type: 'error', message: `status ${a.status}` } }));
          return;
        }
        const chunks = a.chunks ?? [a.text ?? 'Hello from the fake provider.'];
        const model = typeof body.model === 'string' ? body.model : 'fake-model';
        if (!r.stream) {
          res.writeHead(200, { 'content-type': 'application/json' });
          finished = true;
          const text = chunks.join('');
          res.end(
            JSON.stringify(
              api === 'anthropic'
                ? {
                    id: 'msg_fake',
                    type: 'message',
                    role: 'assistant',
                    model,
                    content: [{ type: 'text', text }],
                    stop_reason: 'end_turn',
                    usage: { input_tokens: 5, output_tokens: 7 },
                  }
                : {
                    id: 'chatcmpl-fake',
                    object: 'chat.completion',
                    model,
                    choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
                    usage: { prompt_tokens: 5, completion_tokens: 7 },
                  },
            ),
          );
          return;
        }
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        const send = (event: string | null, data: unknown) =>
          res.write(`${event ? `event: ${event}\n` : ''}data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
        if (api === 'anthropic') {
          send('message_start', {
            type: 'message_start',
            message: { id: 'msg_fake', type: 'message', role: 'assistant', model, content: [], usage: { input_tokens: 5, output_tokens: 0 } },
          });
          send('content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
          for (const c of chunks) {
            if (res.destroyed) return;
            send('content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: c } });
            if (a.chunkDelayMs) await sleep(a.chunkDelayMs);
          }
          if (a.errorEvent) {
            send('error', { type: 'error', error: a.errorEvent });
          } else {
            send('content_block_stop', { type: 'content_block_stop', index: 0 });
            send('message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 7 } });
            send('message_stop', { type: 'message_stop' });
          }
        } else {
          for (const c of chunks) {
            if (res.destroyed) return;
            send(null, { id: 'chatcmpl-fake', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content: c }, finish_reason: null }] });
            if (a.chunkDelayMs) await sleep(a.chunkDelayMs);
          }
          send(null, {
            id: 'chatcmpl-fake',
            object: 'chat.completion.chunk',
            model,
            choices: [{ index: 0, delta: {}, finish_reason: 'stop' }],
            usage: { prompt_tokens: 5, completion_tokens: 7 },
          });
          send(null, '[DONE]');
        }
        finished = true;
        res.end();
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  const close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  onCleanup(close);
  return {
    url: `http://127.0.0.1:${port}${api === 'openai' ? '/v1' : ''}`,
    port,
    received,
    get aborted() {
      return aborted;
    },
    answer: (key, a) => void rules.set(key, a),
    close,
  };
}
