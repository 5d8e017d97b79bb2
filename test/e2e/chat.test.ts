/**
 * RUNS ONCE THE DAEMON'S chat.send LANDS: written on the client branch while the daemon's
 * session.command / chat.send / chat.cancel were being built (they answered NOT_IMPLEMENTED
 * there); the integrator runs and fixes it after merging.
 *
 * `opensoul chat` with a real daemon, the real CLI, and a fake Anthropic Messages API
 * (`http.createServer` on 127.0.0.1, SSE), driven by stdin lines as a script would: `/model
 * status`, a message streamed back with its footer naming the credential, failover from a
 * rate-limited key, a pin and a refused pin, `--model`, an error that lets the REPL go on (exit 1
 * at the end of a script), `--json` lines, and Ctrl-C cancelling a turn (the upstream request is
 * aborted) then leaving with 130. No key ever shows in the CLI's output or the daemon's log.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import http from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, assertNoSecrets, cleanEnv, fakeSecret, listenOnLoopback, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

const MODEL = 'anthropic/claude-sonnet-4-5';

interface FakeAnthropic {
  url: string;
  /** Requests seen, by the key they carried ('a', 'b' or '?'). */
  seen: string[];
  /** Requests whose client went away before the reply ended. */
  aborted: number;
}

function sse(res: http.ServerResponse, event: string, data: unknown): void {
  res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

/**
 * Key A is always rate limited; key B streams "Hello from B." — unless the message says "slow",
 * then it streams one piece and holds the rest until the client goes away.
 */
async function fakeAnthropic(keys: { a: string; b: string }): Promise<FakeAnthropic> {
  const state: FakeAnthropic = { url: '', seen: [], aborted: 0 };
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      const key = String(req.headers['x-api-key'] ?? '');
      const who = key === keys.a ? 'a' : key === keys.b ? 'b' : '?';
      state.seen.push(who);
      if (req.url?.split('?')[0] !== '/v1/messages') {
        res.writeHead(404).end();
        return;
      }
      if (who !== 'b') {
        const status = who === 'a' ? 429 : 401;
        res.writeHead(status, { 'content-type': 'application/json', ...(status === 429 ? { 'retry-after': '30' } : {}) });
        res.end(
          JSON.stringify({
            type: 'error',
            error: {
              type: status === 429 ? 'rate_limit_error' : 'authentication_error',
              message: status === 429 ? 'Number of requests has exceeded your rate limit' : 'invalid x-api-key',
            },
          }),
        );
        return;
      }
      const parsed = JSON.parse(body) as { model?: string; stream?: boolean; messages?: Array<{ content: unknown }> };
      const last = JSON.stringify(parsed.messages?.[parsed.messages.length - 1]?.content ?? '');
      const pieces = ['Hello', ' from', ' B.'];
      const message = {
        id: 'msg_1',
        type: 'message',
        role: 'assistant',
        model: parsed.model ?? 'claude-sonnet-4-5',
        content: [] as unknown[],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 5, output_tokens: 1 },
      };
      if (!parsed.stream) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify({
            ...message,
            content: [{ type: 'text', text: pieces.join('') }],
            stop_reason: 'end_turn',
            usage: { input_tokens: 5, output_tokens: 4 },
          }),
        );
        return;
      }
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      sse(res, 'message_start', { type: 'message_start', message });
      sse(res, 'content_block_start', { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } });
      if (last.includes('slow')) {
        sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Thinking' } });
        res.on('close', () => state.aborted++);
        return;
      }
      for (const text of pieces) sse(res, 'content_block_delta', { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } });
      sse(res, 'content_block_stop', { type: 'content_block_stop', index: 0 });
      sse(res, 'message_delta', { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 4 } });
      sse(res, 'message_stop', { type: 'message_stop' });
      res.end();
    });
  });
  state.url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
  return state;
}

/** A daemon whose Anthropic endpoint is the fake, with profiles anthropic:a (rate limited) and anthropic:b. */
async function chatDaemon(): Promise<{ d: Daemon; api: FakeAnthropic; secrets: string[] }> {
  const keys = { a: fakeSecret('sk-ant-api03-', 80), b: fakeSecret('sk-ant-api03-', 80) };
  const api = await fakeAnthropic(keys);
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  writeFileSync(
    path.join(stateDir, 'opensoul.json'),
    JSON.stringify({ agents: { defaults: { model: MODEL } }, models: { providers: { anthropic: { baseUrl: api.url } } } }),
    { mode: 0o600 },
  );
  const store = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  writeFileSync(
    store,
    JSON.stringify({
      version: 1,
      profiles: {
        'anthropic:a': { type: 'api_key', provider: 'anthropic', key: keys.a },
        'anthropic:b': { type: 'api_key', provider: 'anthropic', key: keys.b },
      },
    }),
    { mode: 0o600 },
  );
  const d = await startDaemon({ stateDir });
  return { d, api, secrets: [keys.a, keys.b] };
}

const FOOTER_B = /^— anthropic\/claude-sonnet-4-5 via anthropic:b( \(after anthropic:a: rate_limit\))?$/m;

describe('opensoul chat (real daemon, real CLI, fake Anthropic API)', function () {
  this.timeout(60_000);

  it('a script of lines: /model status, a streamed reply with its footer, a pin, a refused pin (which fails the script: exit 1)', async () => {
    const { d, api, secrets } = await chatDaemon();
    const script = ['/model status', 'Say hello', '', `/model ${MODEL}@anthropic:b`, 'And again', `/model ${MODEL}@x`, '/exit', 'never sent'].join('\n');
    const r = await d.cli(['chat'], { input: `${script}\n`, timeoutMs: 40_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.ok(r.stdout.includes('anthropic:a') && r.stdout.includes('anthropic:b'), `/model status lists both profiles:\n${r.stdout}`);
    assert.match(r.stdout, /^Hello from B\.$/m, 'the streamed reply, on its own line');
    assert.match(r.stdout, FOOTER_B);
    if (api.seen[0] === 'a') assert.match(r.stderr, /anthropic:a answered rate_limit; trying anthropic:b/);
    assert.match(r.stdout, /^— anthropic\/claude-sonnet-4-5 via anthropic:b$/m, 'the pinned turn used the pinned profile');
    assert.ok(r.stdout.includes('Auth profile "x" not found.'), r.stdout);
    assert.doesNotMatch(r.stdout + r.stderr, /never sent/);
    assert.equal(api.seen.filter((w) => w === 'b').length, 2, 'two turns, and nothing after /exit');
    assert.ok(!r.stdout.includes('\u001b['), 'no colours off a terminal');
    assertNoSecrets(secrets, { stdout: r.stdout, stderr: r.stderr, log: d.log(), daemonStderr: d.stderr() });
  });

  it('a failed turn prints its error and the REPL goes on; a script with a failure ends with 1', async () => {
    const { d, secrets } = await chatDaemon();
    const script = [`/model ${MODEL}@anthropic:a`, 'Hi', `/model ${MODEL}`, 'Hi again'].join('\n');
    const r = await d.cli(['chat', '--session', 'pinned'], { input: `${script}\n`, timeoutMs: 40_000 });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^opensoul: .*anthropic:a/m, 'the pinned profile failed, and says so');
    const error = r.stderr.split('\n').find((l) => l.startsWith('opensoul: ')) ?? '';
    assert.equal(error.split('(HTTP 429)').length, 2, `the status is said once: ${error}`);
    assert.match(error, /[^.]\. It is pinned for this session/, 'one full stop before the pin');
    assert.match(r.stdout, /^Hello from B\.$/m, 'the next turn still ran');
    assert.match(r.stdout, FOOTER_B);
    assertNoSecrets(secrets, { stdout: r.stdout, stderr: r.stderr, log: d.log() });
  });

  it('--model sends /model first and prints its reply only when it was refused', async () => {
    const { d } = await chatDaemon();
    const ok = await d.cli(['chat', '--session', 's1', '--model', `${MODEL}@anthropic:b`], { input: 'Hi\n', timeoutMs: 40_000 });
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stderr, '');
    assert.match(ok.stdout, /^— anthropic\/claude-sonnet-4-5 via anthropic:b$/m);
    const refused = await d.cli(['chat', '--session', 's2', '--model', `${MODEL}@x`], { input: '', timeoutMs: 40_000 });
    assert.ok(refused.stderr.includes('Auth profile "x" not found.'), refused.stderr);
  });

  it('--json: one line per turn (the whole result, no streamed text) and {reply, session} per command', async () => {
    const { d } = await chatDaemon();
    const r = await d.cli(['chat', '--json', '--session', 'j'], { input: `/model ${MODEL}@anthropic:b\nHi\n`, timeoutMs: 40_000 });
    assert.equal(r.code, 0, r.stderr);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.equal(lines.length, 2, r.stdout);
    assert.deepEqual(Object.keys(lines[0] ?? {}).sort(), ['reply', 'session']);
    assert.equal(lines[1]?.reply, 'Hello from B.');
    assert.equal(lines[1]?.profileId, 'anthropic:b');
  });

  it('Ctrl-C cancels the running turn (the upstream request is aborted) and the REPL goes on; a second Ctrl-C leaves with 130', async () => {
    const { d, api } = await chatDaemon();
    const cli = track(
      spawn(process.execPath, [CLI, 'chat', '--model', `${MODEL}@anthropic:b`], {
        env: cleanEnv({ HOME: path.dirname(d.stateDir), OPENSOUL_STATE_DIR: d.stateDir }),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    let stdout = '';
    let stderr = '';
    cli.stdout?.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    cli.stderr?.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.once('exit', (code, signal) => resolve({ code, signal })),
    );
    cli.stdin?.write('Be slow please\n');
    await waitFor(() => stdout.includes('Thinking'), `the first piece of the reply (stderr: ${stderr})`, 20_000);
    cli.kill('SIGINT');
    await waitFor(() => stdout.includes('(cancelled)'), 'the cancel');
    await waitFor(() => api.aborted === 1, 'the upstream request to be aborted');
    cli.stdin?.write('Say hello\n');
    await waitFor(() => FOOTER_B.test(stdout), 'the next turn');
    cli.kill('SIGINT');
    const end = await exited;
    assert.equal(end.code, 130, stderr);
  });
});
