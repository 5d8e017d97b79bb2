/**
 * The socket client (ipc/client.ts) against a real NDJSON server on a temporary socket: the hello
 * and the first call leave in one go, and every way of failing keeps its own answer.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import type { Server, Socket } from 'node:net';
import path from 'node:path';
import { connect, connectAndCall } from '../../ipc/client.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { onCleanup, tempDir } from '../support/harness.js';

const TOKEN = 'a'.repeat(64);

interface Seen {
  /** The lines the server had received when it first answered anything. */
  linesAtFirstAnswer: string[] | null;
  lines: string[];
}

/**
 * A server that holds its answers until `waitForLines` lines have arrived (or 300 ms), then
 * answers as the daemon does: a wrong token gets -32001 and the connection ends.
 */
async function fakeDaemon(dir: string, waitForLines: number): Promise<{ socketPath: string; tokenPath: string; seen: Seen }> {
  const socketPath = path.join(dir, 'gateway.sock');
  const tokenPath = path.join(dir, 'gateway.token');
  writeFileSync(tokenPath, `${TOKEN}\n`, { mode: 0o600 });
  const seen: Seen = { linesAtFirstAnswer: null, lines: [] };
  const server: Server = createServer((s: Socket) => {
    let buf = '';
    let answered = false;
    const answerAll = () => {
      if (answered) return;
      answered = true;
      seen.linesAtFirstAnswer = [...seen.lines];
      for (const line of seen.lines) {
        const msg = JSON.parse(line) as { id: number; method: string; params: { token?: string } };
        if (msg.method === methods.hello.name && msg.params.token !== TOKEN) {
          s.end(`${JSON.stringify({ jsonrpc: '2.0', id: msg.id, error: { code: -32001, message: 'Unauthorized', data: { code: 'UNAUTHORIZED' } } })}\n`);
          return;
        }
        const result = msg.method === methods.hello.name ? { daemonVersion: 'test', protocol: 1 } : { echoed: msg.method };
        s.write(`${JSON.stringify({ jsonrpc: '2.0', id: msg.id, result })}\n`);
      }
    };
    const timer = setTimeout(answerAll, 300);
    s.on('data', (d) => {
      buf += String(d);
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        seen.lines.push(buf.slice(0, i));
        buf = buf.slice(i + 1);
      }
      if (seen.lines.length >= waitForLines) {
        clearTimeout(timer);
        answerAll();
      }
    });
    s.on('error', () => undefined);
    s.on('close', () => clearTimeout(timer));
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { socketPath, tokenPath, seen };
}

async function rejection(p: Promise<unknown>): Promise<OpenSoulError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof OpenSoulError, `expected an OpenSoulError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

describe('ipc/client: connect and the pipelined first call', () => {
  it('sends the hello and the call before any answer, and returns both answers', async () => {
    const d = await fakeDaemon(tempDir(), 2);
    const { connection, result } = await connectAndCall(d, methods.authList, {});
    try {
      assert.deepEqual(await result, { echoed: methods.authList.name });
      assert.equal(connection.hello.daemonVersion, 'test');
      // Both lines were there when the server first answered: one round trip, not two.
      assert.deepEqual(
        d.seen.linesAtFirstAnswer?.map((l) => (JSON.parse(l) as { method: string }).method),
        [methods.hello.name, methods.authList.name],
      );
    } finally {
      connection.close();
    }
  });

  it('connect() alone sends only the hello', async () => {
    const d = await fakeDaemon(tempDir(), 1);
    const c = await connect(d);
    c.close();
    assert.deepEqual(
      d.seen.lines.map((l) => (JSON.parse(l) as { method: string }).method),
      [methods.hello.name],
    );
  });

  it('a wrong token is the error (UNAUTHORIZED), not the connection the daemon then closed', async () => {
    const d = await fakeDaemon(tempDir(), 2);
    writeFileSync(d.tokenPath, 'b'.repeat(64));
    const err = await rejection(connectAndCall(d, methods.authList, {}));
    assert.equal(err.kind, 'UNAUTHORIZED');
  });

  it('no socket: not running, also when the token file is missing too', async () => {
    const dir = tempDir();
    const opts = { socketPath: path.join(dir, 'gateway.sock'), tokenPath: path.join(dir, 'gateway.token') };
    for (const p of [connectAndCall(opts, methods.authList, {}), connect(opts)]) {
      const err = await rejection(p);
      assert.deepEqual([err.kind, err.details.reason], ['DAEMON_UNREACHABLE', 'not-running']);
    }
    writeFileSync(opts.tokenPath, TOKEN);
    const err = await rejection(connectAndCall(opts, methods.authList, {}));
    assert.deepEqual([err.kind, err.details.reason], ['DAEMON_UNREACHABLE', 'not-running']);
  });

  it('a socket file nobody listens on: a stale socket; a daemon without its token file: no-token', async () => {
    const d = await fakeDaemon(tempDir(), 2);
    const stale = tempDir();
    const staleSocket = path.join(stale, 'gateway.sock');
    // A socket file left behind: bound by a server that is then closed without removing it.
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(staleSocket, resolve));
    const leftBehind = path.join(stale, 'left.sock');
    const { renameSync } = await import('node:fs');
    renameSync(staleSocket, leftBehind);
    await new Promise<void>((resolve) => s.close(() => resolve()));
    renameSync(leftBehind, staleSocket);
    const err = await rejection(connectAndCall({ socketPath: staleSocket, tokenPath: d.tokenPath }, methods.authList, {}));
    assert.deepEqual([err.kind, err.details.reason], ['DAEMON_UNREACHABLE', 'stale-socket']);
    const noToken = await rejection(connectAndCall({ socketPath: d.socketPath, tokenPath: path.join(stale, 'none') }, methods.authList, {}));
    assert.deepEqual([noToken.kind, noToken.details.reason], ['DAEMON_UNREACHABLE', 'no-token']);
  });
});
