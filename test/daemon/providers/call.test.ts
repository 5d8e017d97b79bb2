/** daemon/providers/call: the transport bounds of every call — refused ports, silent or stalling servers, aborts, size caps, redirects. */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { callProvider } from '../../../daemon/providers/call.js';
import { MAX_REPLY_BODY_BYTES } from '../../../daemon/providers/limits.js';
import { ProviderCallError, ProviderCancelledError } from '../../../daemon/providers/types.js';
import type { ProviderRequest } from '../../../daemon/providers/types.js';
import { assertNoSecrets, fakeSecret } from '../../support/harness.js';
import { json, sse, startFakeProvider } from '../../support/scenario-provider.js';
import type { FakeProvider, Received } from '../../support/scenario-provider.js';

const KEY = fakeSecret('sk-ant-api03-');

/** A port nothing listens on: bound, then closed. */
async function freePort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** The error a call rejects with; whatever it is, its message holds no key. */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  const err = await p.then(
    () => assert.fail('should fail'),
    (e: unknown) => e,
  );
  assertNoSecrets([KEY], { message: err instanceof Error ? err.message : String(err), json: JSON.stringify(err) ?? '' });
  return err;
}

describe('callProvider transport', () => {
  let fake: FakeProvider;
  let target: FakeProvider;
  let streaming: { rec: Received; endedWhenClosed: Promise<boolean> } | null = null;
  before(async () => {
    target = await startFakeProvider({ ok: (res) => json(res, 200, { content: [{ type: 'text', text: 'redirected' }] }) });
    fake = await startFakeProvider({
      silent: () => undefined, // accepts and never answers
      stall: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"content": [');
      },
      'stream-forever': (res, rec) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        const frame = sse([{ data: { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'tick ' } } }]);
        const timer = setInterval(() => res.write(frame), 20);
        streaming = {
          rec,
          endedWhenClosed: rec.closed.then(() => {
            clearInterval(timer);
            return res.writableEnded;
          }),
        };
      },
      huge: (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        const block = Buffer.alloc(1 << 20, 'a');
        let sent = 0;
        const pump = (): void => {
          while (sent <= MAX_REPLY_BODY_BYTES + (1 << 20)) {
            sent += block.length;
            if (!res.write(block)) return void res.once('drain', pump);
          }
          res.end();
        };
        pump();
      },
      redirect: (res) => {
        res.writeHead(307, { location: `${target.url}/v1/messages` }).end();
      },
    });
  });
  after(async () => {
    await fake.close();
    await target.close();
  });

  const request = (over: Partial<ProviderRequest> = {}): ProviderRequest => ({
    api: 'anthropic-messages',
    provider: 'anthropic',
    baseUrl: fake.url,
    credential: { type: 'api_key', secret: KEY },
    model: 'silent',
    messages: [{ role: 'user', content: 'Hi' }],
    maxTokens: 16,
    stream: false,
    timeoutMs: 5000,
    ...over,
  });

  it('a refused connection is a network failure naming the host, not the key', async () => {
    const port = await freePort();
    const err = await rejection(callProvider(request({ baseUrl: `http://127.0.0.1:${port}` })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'network');
    assert.equal(err.status, null);
    assert.match(err.message, /ECONNREFUSED/);
    assertNoSecrets([KEY], { message: err.message });
  });

  it('a server that accepts and never answers ends as timeout within timeoutMs + 1 s', async () => {
    const t0 = Date.now();
    const err = await rejection(callProvider(request({ model: 'silent', timeoutMs: 600 })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'timeout');
    assert.ok(Date.now() - t0 < 1600, `ended after ${Date.now() - t0} ms`);
  });

  it('a server that sends headers and then stalls mid-body still ends by the deadline', async () => {
    const t0 = Date.now();
    const err = await rejection(callProvider(request({ model: 'stall', timeoutMs: 600 })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'timeout');
    assert.ok(Date.now() - t0 < 1600, `ended after ${Date.now() - t0} ms`);
  });

  it("the caller's abort mid-stream is a cancellation, not an outcome, and the server sees the connection close", async () => {
    const ac = new AbortController();
    let deltas = 0;
    const call = callProvider(
      request({
        model: 'stream-forever',
        stream: true,
        signal: ac.signal,
        onText: () => {
          if (++deltas === 3) ac.abort();
        },
      }),
    );
    const err = await rejection(call);
    assert.ok(err instanceof ProviderCancelledError);
    assert.equal(err.cancelled, true);
    assert.equal(err.streamed, true);
    assert.ok(streaming);
    assert.equal(await streaming.endedWhenClosed, false, 'the server saw its request closed while still streaming');
  });

  it('an already-aborted signal never connects', async () => {
    const before = fake.received.length;
    const err = await rejection(callProvider(request({ model: 'silent', signal: AbortSignal.abort() })));
    assert.ok(err instanceof ProviderCancelledError);
    assert.equal(fake.received.length, before);
  });

  it('a non-streamed reply over the size bound is refused without reading it all', async () => {
    const err = await rejection(callProvider(request({ model: 'huge', timeoutMs: 20_000 })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'unknown');
    assert.match(err.message, /exceeded/);
  });

  it('does not follow a redirect with the key', async () => {
    const err = await rejection(callProvider(request({ model: 'redirect' })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.status, 307);
    assert.match(err.message, /redirects/);
    assert.equal(target.received.length, 0, 'the redirect target never saw the key');
  });

  it('a secret a header cannot carry is refused before any request, without quoting it', async () => {
    const before = fake.received.length;
    const bad = `${KEY}\nX-Injected: 1`;
    const err = await rejection(callProvider(request({ model: 'silent', credential: { type: 'api_key', secret: bad } })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'auth');
    assert.equal(fake.received.length, before);
    assertNoSecrets([KEY], { message: err.message });
  });

  it('a base URL that is not http(s) is refused without quoting it (it may carry a proxy key)', async () => {
    const err = await rejection(callProvider(request({ baseUrl: `ftp://user:${KEY}@example.invalid` })));
    assert.ok(err instanceof ProviderCallError);
    assert.equal(err.outcome, 'network');
    assertNoSecrets([KEY], { message: err.message });
  });

  it('an exception from onText ends the call and is rethrown as it is', async () => {
    const mine = new Error('consumer gone');
    const err = await rejection(
      callProvider(
        request({
          model: 'stream-forever',
          stream: true,
          onText: () => {
            throw mine;
          },
        }),
      ),
    );
    assert.equal(err, mine);
  });
});
