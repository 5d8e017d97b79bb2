/** One POST to a token-like endpoint on 127.0.0.1: how much of an answer it reads. */
import assert from 'node:assert/strict';
import http from 'node:http';
import { MAX_BODY_BYTES, isTransientStatus, sendTokenRequest } from '../../../daemon/oauth/token-post.js';
import { listenOnLoopback } from '../../support/harness.js';

/** A server that answers every POST with `total` bytes of JSON-looking text; `sent()` counts what it got out before the client hung up. */
async function streaming(total: number): Promise<{ url: string; sent: () => number }> {
  let sent = 0;
  const chunk = Buffer.alloc(256 * 1024, 'a');
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"access_token":"');
      const pump = () => {
        while (sent < total && !res.destroyed) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end('"}');
      };
      pump();
    });
  });
  const port = await listenOnLoopback(server);
  return { url: `http://127.0.0.1:${port}/token`, sent: () => sent };
}

describe('token post', function () {
  it('a transient status (try again later) is a 5xx, 429 or 408; any other answer is the endpoint’s word', () => {
    for (const status of [500, 502, 503, 504, 529, 429, 408]) assert.equal(isTransientStatus(status), true, String(status));
    for (const status of [200, 400, 401, 403, 404, 422]) assert.equal(isTransientStatus(status), false, String(status));
  });

  this.timeout(20_000);

  it('stops reading an answer at 1 MiB instead of holding a huge one in memory (the answer then has no body)', async () => {
    const s = await streaming(96 * 1024 * 1024);
    const r = await sendTokenRequest(s.url, { grant_type: 'refresh_token' }, { encoding: 'form', timeoutMs: 15_000 });
    assert.deepEqual(r, { kind: 'answer', status: 200, ok: true, body: null });
    // What the kernel's socket buffers hold beyond the limit, not the 96 MiB the server had to send.
    assert.ok(s.sent() < 32 * 1024 * 1024, `the server got ${s.sent()} bytes out`);
  });

  it('reads an answer just under the limit whole', async () => {
    const s = await streaming(MAX_BODY_BYTES - 512 * 1024);
    const r = await sendTokenRequest(s.url, { grant_type: 'refresh_token' }, { encoding: 'form', timeoutMs: 15_000 });
    assert.equal(r.kind === 'answer' && typeof r.body?.access_token, 'string');
  });
});
