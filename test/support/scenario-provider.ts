/**
 * A real HTTP server on 127.0.0.1 standing in for a provider, for the provider clients' own
 * tests: it records what each request carried (path, headers, JSON body) and answers by the
 * scenario the request's `model` names, so one server per test file serves every case.
 * (test/support/fake-provider.ts is the end-to-end one: it answers by the key a request carries.)
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the server received. */
export interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: Record<string, unknown>;
  /** Resolves when the client's socket closed (the server saw it hang up). */
  closed: Promise<void>;
}

/** Answers one request; `rec` is what it carried. */
export type Scenario = (res: http.ServerResponse, rec: Received, req: http.IncomingMessage) => void | Promise<void>;

export interface FakeProvider {
  /** `http://127.0.0.1:<port>` */
  url: string;
  received: Received[];
  /** Requests being answered right now, and the most at once so far. */
  inFlight: number;
  maxInFlight: number;
  close(): Promise<void>;
}

/** Starts the server; the scenario is `scenarios[body.model]`, else 404. */
export async function startFakeProvider(scenarios: Record<string, Scenario>): Promise<FakeProvider> {
  const fake: FakeProvider = { url: '', received: [], inFlight: 0, maxInFlight: 0, close: () => Promise.resolve() };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
      } catch {
        /* not JSON: the scenario sees {} */
      }
      const closed = new Promise<void>((resolve) => res.once('close', () => resolve()));
      const rec: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, closed };
      fake.received.push(rec);
      fake.inFlight++;
      fake.maxInFlight = Math.max(fake.maxInFlight, fake.inFlight);
      // Finished (handed to the socket) or closed, whichever comes first: the client cannot have it sooner.
      let open = true;
      const done = (): void => {
        if (open) fake.inFlight--;
        open = false;
      };
      res.once('finish', done);
      void closed.then(done);
      const scenario = typeof body.model === 'string' && Object.hasOwn(scenarios, body.model) ? scenarios[body.model] : undefined;
      if (!scenario) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { type: 'not_found_error', message: 'no such scenario' } }));
        return;
      }
      Promise.resolve(scenario(res, rec, req)).catch(() => res.destroy());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return fake;
}

/** Writes `text` in pieces of `size` bytes, `delayMs` apart (splits fall inside UTF-8 characters too). */
export async function writeSlowly(res: http.ServerResponse, text: string, size = 7, delayMs = 5): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (let i = 0; i < bytes.length; i += size) {
    if (res.destroyed) return;
    res.write(bytes.subarray(i, i + size));
    await new Promise((r) => setTimeout(r, delayMs));
  }
  res.end();
}

/** A JSON answer. */
export function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

/** SSE frames: `event:` (when given) and `data:` lines, each event ended by a blank line. */
export function sse(events: readonly { event?: string; data: unknown }[]): string {
  return events.map((e) => `${e.event ? `event: ${e.event}\n` : ''}data: ${typeof e.data === 'string' ? e.data : JSON.stringify(e.data)}\n\n`).join('');
}
