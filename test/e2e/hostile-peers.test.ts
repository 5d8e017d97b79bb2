/**
 * Hostile and careless peers on the real socket (SPEC §5, §12; STYLE test layer d): malformed
 * frames, requests before hello, a wrong token, unknown methods, bad params, an over-size line,
 * notifications, batches. After each, a fresh client still gets correct answers and the daemon
 * stays up.
 */
import assert from 'node:assert/strict';
import { methods } from '../../ipc/protocol.js';
import { rawClient, readToken } from '../support/raw-client.js';
import type { RawClient } from '../support/raw-client.js';
import { assertNoSecrets, fakeSecret, startDaemon } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

type Msg = { jsonrpc?: string; id?: unknown; result?: unknown; error?: { code: number; message: string; data?: { code?: string } } };

const req = (id: unknown, method: string, params?: unknown) =>
  `${JSON.stringify({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) })}\n`;

describe('hostile peers on the socket (real daemon)', function () {
  let d: Daemon;
  let token: string;

  beforeEach(async () => {
    d = await startDaemon();
    token = readToken(d.paths.token);
  });

  /** A fresh, well-behaved client still gets a correct answer, and the daemon is alive. */
  async function stillServes(): Promise<void> {
    const s = await d.call(methods.gatewayStatus, {});
    assert.equal(s.pid, d.proc.pid);
    assert.equal(d.proc.exitCode, null);
  }

  async function authed(): Promise<RawClient> {
    const c = await rawClient(d.socketPath);
    const hello = (await c.hello(token)) as Msg;
    assert.equal((hello.result as { pid: number }).pid, d.proc.pid);
    return c;
  }

  it('answers garbage with -32700 (before and after hello) and keeps the connection', async () => {
    const c = await rawClient(d.socketPath);
    c.send('this is {not json\n');
    const m = (await c.next()) as Msg;
    assert.equal(m.error?.code, -32700);
    assert.equal(m.id, null);
    assert.ok(!m.error?.message.includes('not json'), 'the error does not quote the input');
    await c.hello(token);
    c.send('{"jsonrpc":"2.0","id":1,\n');
    assert.equal(((await c.next()) as Msg).error?.code, -32700);
    c.send(req(2, 'gateway.status'));
    assert.equal(((await c.next()) as Msg).id, 2, 'the same connection still works');
    c.close();
    await stillServes();
  });

  it('refuses any request before hello with -32001, drops notifications, refuses batches', async () => {
    const c = await rawClient(d.socketPath);
    c.send(req(7, 'models.status'));
    const m = (await c.next()) as Msg;
    assert.equal(m.error?.code, -32001);
    assert.equal(m.error?.data?.code, 'UNAUTHORIZED');
    assert.equal(m.id, 7);
    c.send(`${JSON.stringify({ jsonrpc: '2.0', method: 'gateway.shutdown' })}\n`); // a notification
    assert.equal(await c.silentFor(300), true, 'no reply to a notification before hello');
    c.send(`[${req(8, 'gateway.hello', { token, clientVersion: 'x' }).trim()}]\n`);
    assert.equal(((await c.next()) as Msg).error?.code, -32001, 'a batch before hello is refused, even one holding a hello');
    c.close();
    await stillServes();
  });

  it('answers a wrong token with -32001 and closes the connection', async () => {
    const c = await rawClient(d.socketPath);
    c.send(req(1, 'gateway.hello', { token: 'f'.repeat(64), clientVersion: 'x' }));
    const m = (await c.next()) as Msg;
    assert.equal(m.error?.code, -32001);
    await c.closed;
    await stillServes();
    assert.ok(!d.log().includes(token), 'the real token never reaches the log');
  });

  it('answers an unknown method with -32601 and bad params with -32602, naming the field but not the value', async () => {
    const c = await authed();
    c.send(req(1, 'no.such.method'));
    const unknown = (await c.next()) as Msg;
    assert.equal(unknown.error?.code, -32601);
    c.send(req(2, 'models.status', { agent: 42 }));
    const bad = (await c.next()) as Msg;
    assert.equal(bad.error?.code, -32602);
    // The message is in words; the validator's path is data, for programs.
    assert.match(bad.error?.message ?? '', /^invalid agent: /);
    assert.equal((bad.error?.data as { path?: string } | undefined)?.path, 'params.agent');
    c.send(req(3, 'models.status', { agent: 'main', secretish: 'sk-ant-api03-VALUE-NOT-ECHOED' }));
    const extra = (await c.next()) as Msg;
    assert.equal(extra.error?.code, -32602);
    assert.ok(!JSON.stringify(extra).includes('VALUE-NOT-ECHOED'));
    c.send(req(4, 'constructor'));
    assert.equal(((await c.next()) as Msg).error?.code, -32601);
    c.send(req({ obj: 1 }, 'gateway.status'));
    assert.equal(((await c.next()) as Msg).error?.code, -32600, 'an object id is an invalid request');
    c.close();
    await stillServes();
  });

  it('refuses a 3 MiB line with an error and closes the connection', async () => {
    const c = await authed();
    const big = `{"jsonrpc":"2.0","id":1,"method":"gateway.status","params":{"pad":"${'x'.repeat(3 * 1024 * 1024)}"}}\n`;
    c.send(big);
    const m = (await c.next(5000)) as Msg;
    assert.equal(m.error?.data?.code, 'REQUEST_TOO_LARGE');
    await c.closed;
    await stillServes();
  });

  it('refuses an over-size line that never ends (no newline at all)', async () => {
    const c = await rawClient(d.socketPath);
    c.send('x'.repeat(2 * 1024 * 1024));
    const m = (await c.next(5000)) as Msg;
    assert.equal(m.error?.data?.code, 'REQUEST_TOO_LARGE');
    await c.closed;
    await stillServes();
  });

  it('does not answer a notification, and answers batches as arrays (also of one)', async () => {
    const c = await authed();
    c.send(`${JSON.stringify({ jsonrpc: '2.0', method: 'gateway.status' })}\n`);
    c.send(req(5, 'gateway.status'));
    assert.equal(((await c.next()) as Msg).id, 5, 'the first reply is the request, not the notification');
    c.send(`[${req(1, 'gateway.status').trim()},${JSON.stringify({ jsonrpc: '2.0', method: 'gateway.status' })},${req(2, 'nope').trim()}]\n`);
    const batch = (await c.next()) as Msg[];
    assert.ok(Array.isArray(batch));
    assert.deepEqual(batch.map((r) => r.id).sort(), [1, 2]);
    assert.equal(batch.find((r) => r.id === 2)?.error?.code, -32601);
    c.send(`[${req(3, 'gateway.status').trim()}]\n`);
    const one = (await c.next()) as Msg[];
    assert.ok(Array.isArray(one) && one.length === 1, 'a batch of one is answered with an array of one');
    c.send('[null]\n');
    const nul = (await c.next()) as Msg[];
    assert.equal(nul[0]?.error?.code, -32600);
    c.send('[]\n');
    assert.equal(((await c.next()) as Msg).error?.code, -32600);
    c.close();
    await stillServes();
  });

  it('answers every request of a peer that half-closes after sending them (socat, nc -U), a last line without its newline too', async () => {
    const key = fakeSecret('sk-ant-api03-', 70);
    await d.call(methods.authUpsert, { profileId: 'anthropic:work', credential: { type: 'api_key', key } });
    const c = await rawClient(d.socketPath);
    // As socat sends a script's input: every line at once, then end of input (a half-close).
    c.send(
      `${req(1, 'gateway.hello', { token, clientVersion: 'sh' })}${req(2, 'auth.resolve', { provider: 'anthropic' })}${req(3, 'gateway.status').trimEnd()}`,
    );
    c.socket.end();
    const got = [(await c.next()) as Msg, (await c.next()) as Msg, (await c.next()) as Msg];
    assert.deepEqual(
      got.map((m) => [m.id, m.error?.code ?? 'ok']),
      [
        [1, 'ok'],
        [2, 'ok'],
        [3, 'ok'],
      ],
    );
    assert.equal((got[1]?.result as { profileId?: string }).profileId, 'anthropic:work');
    await c.closed; // and then the daemon ends its side
    await stillServes();
    assertNoSecrets([key], { log: d.log() });
  });

  it('survives a peer that disconnects mid-line and a flood of pipelined requests', async () => {
    const a = await authed();
    a.send('{"jsonrpc":"2.0","id":1,"meth');
    a.close();
    const b = await authed();
    const n = 2000;
    b.send(Array.from({ length: n }, (_, i) => req(i, 'gateway.status')).join(''));
    const ids = new Set<unknown>();
    for (let i = 0; i < n; i++) ids.add(((await b.next()) as Msg).id);
    assert.equal(ids.size, n);
    b.close();
    await stillServes();
  });
});
