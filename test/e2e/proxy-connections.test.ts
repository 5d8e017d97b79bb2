/**
 * The proxy's connection cap against a hostile local user (STYLE test layer d). Any local user
 * can connect to the proxy's loopback port, and each connection holds a file descriptor of the
 * daemon, which it shares with what must keep working for the owner: the CLI's socket, the state
 * files it reloads and rewrites, a tool's proxied request. Real daemon (under a lowered open-file
 * limit where that is the point), real CLI, the official SDK as the tool, plain sockets as the
 * hostile peers, and providers on 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { maskSecret } from '../../daemon/status/masking.js';
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusResult } from '../../ipc/protocol.js';
import { procStats } from '../support/hardening.js';
import { assertNoSecrets, fakeSecret, listenOnLoopback, onCleanup, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { startFakeProvider } from '../support/fake-provider.js';
import { startStream } from '../support/proxy-stream.js';

interface Setup {
  daemon: Daemon;
  port: number;
  key: string;
  secret: string;
}

async function setup(anthropicUrl: string, proxy: Record<string, unknown>, openFileLimit?: number): Promise<Setup> {
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const config = {
    agents: { defaults: { model: 'anthropic/claude-sonnet-4-5' } },
    models: { providers: { anthropic: { baseUrl: anthropicUrl } } },
    proxy: { enabled: true, port: 0, ...proxy },
  };
  writeFileSync(path.join(stateDir, 'opensoul.json'), JSON.stringify(config), { mode: 0o600 });
  const daemon = await startDaemon({ stateDir, ...(openFileLimit !== undefined ? { openFileLimit } : {}) });
  const secret = fakeSecret('sk-ant-api03-');
  await daemon.call(methods.authUpsert, { profileId: 'anthropic:a', credential: { type: 'api_key', key: secret } });
  const url = (await daemon.call(methods.gatewayStatus, {})).proxy?.url;
  assert.ok(url, 'the proxy listens');
  const { key } = await daemon.call(methods.proxyKeyCreate, {});
  return { daemon, port: Number(new URL(url).port), key, secret };
}

/** A hostile peer's connection: `closed` turns true when the daemon closes it. */
interface Peer {
  socket: net.Socket;
  closed: boolean;
}

/** Opens one connection and sends `bytes` (nothing: an idle one); resolves once connected, or closed. */
function openPeer(port: number, bytes = ''): Promise<Peer> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    const peer: Peer = { socket, closed: false };
    onCleanup(() => void socket.destroy());
    socket.on('error', () => undefined);
    socket.resume();
    socket.once('connect', () => {
      if (bytes !== '') socket.write(bytes);
      resolve(peer);
    });
    socket.once('close', () => {
      peer.closed = true;
      resolve(peer);
    });
  });
}

/** `n` connections, opened in order (the daemon accepts them in this order too). */
async function openPeers(port: number, n: number, bytes = ''): Promise<Peer[]> {
  const peers: Peer[] = [];
  for (let i = 0; i < n; i++) peers.push(await openPeer(port, bytes));
  return peers;
}

/** The masked OPENAI_API_KEY `models status --json` shows, as the owner's CLI gets it. */
async function openaiEnvMasked(d: Daemon): Promise<string | null> {
  const r = await d.cli(['models', 'status', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const status = JSON.parse(r.stdout) as ModelsStatusResult;
  return status.providers.find((p) => p.provider === 'openai')?.env?.masked ?? null;
}

function hasPrlimit(): boolean {
  try {
    execFileSync('prlimit', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** A provider that answers each request with the start of a stream and holds it until `release()`. */
async function startHoldingProvider(): Promise<{ url: string; held: () => number; release: () => void }> {
  const open: http.ServerResponse[] = [];
  const server = http.createServer((req, res) => {
    req.resume();
    req.once('end', () => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: ping\ndata: {"type":"ping"}\n\n');
      open.push(res);
    });
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    held: () => open.length,
    release: () => {
      for (const res of open.splice(0)) res.end('event: message_stop\ndata: {"type":"message_stop"}\n\n');
    },
  };
}

const capLines = (d: Daemon) =>
  d
    .log()
    .split('\n')
    .filter((l) => l.includes('proxy: too many connections'));

describe('the proxy under a flood of connections from another local user', function () {
  this.timeout(60_000);

  it('600 hostile connections, open-file limit 512: the CLI answers, a write lands, .env reloads, and a tool still gets through', async function () {
    if (process.platform !== 'linux' || !hasPrlimit()) this.skip();
    const provider = await startFakeProvider('anthropic');
    // Default settings: the cap is what the daemon derives from its open-file limit (a quarter: 128).
    const s = await setup(provider.url, {}, 512);
    const partial = `POST /anthropic/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\ncontent-type: application/json\r\n`;
    const refused = `GET /anthropic/v1/models HTTP/1.1\r\nHost: 127.0.0.1:${s.port}\r\n\r\n`;
    // Silent ones, ones that never finish their headers, and ones that got their 401 and stay open.
    const peers = [...(await openPeers(s.port, 200)), ...(await openPeers(s.port, 200, partial)), ...(await openPeers(s.port, 200, refused))];

    // (a) the owner's CLI, on the local socket.
    const status = await s.daemon.cli(['models', 'status', '--json']);
    assert.equal(status.code, 0, `models status: ${status.stderr}${status.stdout}`);
    // (c) a write: lock, temp file, rename.
    const token = fakeSecret('sk-ant-oat01-', 90);
    const paste = await s.daemon.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:pasted'], { input: token });
    assert.equal(paste.code, 0, `paste-token: ${paste.stderr}`);
    // (b) a key written to .env meanwhile is read and applied.
    const envKey = fakeSecret('sk-proj-');
    writeFileSync(s.daemon.paths.dotenv, `OPENAI_API_KEY=${envKey}\n`, { mode: 0o600 });
    await waitFor(async () => (await openaiEnvMasked(s.daemon)) === maskSecret(envKey), 'the .env written under the flood to be loaded');
    // (d) a tool with its proxy key, on a new connection.
    const tool = new Anthropic({ apiKey: s.key, baseURL: `http://127.0.0.1:${s.port}/anthropic`, maxRetries: 0 });
    const msg = await tool.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 8, messages: [{ role: 'user', content: 'hi' }] });
    assert.deepEqual(
      msg.content.map((c) => (c.type === 'text' ? c.text : '')),
      ['Hello from the fake provider.'],
    );
    assert.ok([s.secret, token].includes(provider.received.at(-1)?.key ?? ''), 'the provider got a stored credential, not the proxy key');

    const open = peers.filter((p) => !p.closed).length;
    assert.ok(open <= 128, `${open} hostile connections still open; the cap is 128`);
    const fds = procStats(s.daemon.proc.pid!).fds;
    assert.ok(fds < 256, `the daemon holds ${fds} of its 512 file descriptors`);
    assert.match(s.daemon.log(), /"proxy listening".*"maxConnections":128/);
    const lines = capLines(s.daemon);
    assert.ok(lines.length >= 1 && lines.length < 10, `${lines.length} log lines about the cap for ${600 - open} connections closed`);
    const listed = await s.daemon.call(methods.modelsStatus, {});
    const anthropic = listed.providers.find((p) => p.provider === 'anthropic');
    assert.ok(
      anthropic?.profiles.some((p) => p.id === 'anthropic:pasted'),
      'the pasted token is stored',
    );
    assertNoSecrets([s.secret, s.key, token, envKey], { log: s.daemon.log(), stderr: s.daemon.stderr(), status: status.stdout });
  });

  it('at proxy.maxConnections the oldest connections without a valid key are closed first, and a stream in progress is never cut', async () => {
    const upstream = await startHoldingProvider();
    const s = await setup(upstream.url, { maxConnections: 8 });
    const stream = await startStream(s.port, s.key);
    assert.equal(stream.status, 200);
    await waitFor(() => upstream.held() === 1, 'the stream to reach the provider');
    // The stream holds one place; 20 strangers compete for the other 7.
    const peers = await openPeers(s.port, 20);
    await waitFor(() => peers.filter((p) => p.closed).length === 13, 'the cap to close 13 of the 20');
    assert.deepEqual(
      peers.map((p) => p.closed),
      peers.map((_, i) => i < 13),
      'the 13 oldest went',
    );
    upstream.release();
    assert.match(await stream.done, /message_stop/);
    assert.match(capLines(s.daemon).join('\n'), /"limit":8/);
  });
});
