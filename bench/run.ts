/**
 * `npm run bench`: the numbers of issue 2, each a ratio measured side by side in this one run,
 * so a busy machine moves both sides alike. Never part of `npm test`.
 *
 *   1. daemon RSS idle, after 100k and 200k requests, beside a bare      goal idle ≤ 50 MiB, ≤ 60 after 100k, no growth
 *      Node NDJSON server under the same load (Node's own floor); then after a pipelined flood
 *      (OPENSOUL_BENCH_ONLY=rss runs this section alone, with 300k and 400k rounds too)
 *   2. start-up of each kind of command vs `node -e 0`, interleaved: `models status --json`,
 *      `models auth list`, `order get`, `paste-token` and `paste-api-key --target env` (real
 *      writes, secret on stdin), `chat` with one `/model status` line, `-h` (goal ≤ 1.3× each),
 *      `doctor` with the daemon up (goal ≤ 2×), `--version`; each command that talks to the
 *      daemon also as a ratio to its floor, a bare client script making the same call (for the
 *      two writes: paste-token's `auth.upsert`, so the daemon's durable write is in the floor)
 *      (OPENSOUL_BENCH_ONLY=startup runs this section alone; OPENSOUL_BENCH_RUNS sets the rounds,
 *      default 25)
 *   3. models.status RPC throughput vs a bare NDJSON echo server, same socket type,
 *      sequential (goal ≥ 0.5×) and pipelined (reported), for a store of 12 profiles (~10 KB
 *      answers with OpenClaw's fields) and for the default state (~1.7 KB answers), each beside
 *      a bare server answering the same bytes as fixed text (the floor of an answer that size)
 *      (OPENSOUL_BENCH_ONLY=throughput runs this section alone)
 *   4. file save → visible over RPC latency, p50/p99                      goal p99 ≤ 100 ms
 *   5. the local proxy vs calling the same fake upstream directly: added latency p50/p99
 *      (goal ≤ 1 ms p50), 64 concurrent streaming clients (goal ≥ 0.8× direct) twice: an
 *      upstream that answers a whole stream at once (CPU-bound: it measures the proxy's cost per
 *      request) and one that paces its events as a provider does; a bare pass-through proxy
 *      beside both; daemon RSS after 10,000 and 20,000 proxied requests (OPENSOUL_BENCH_ONLY=proxy:
 *      this alone, with three more rounds of 10,000)
 *
 * NODE_EXTRA_CA_CERTS is unset for every child (both sides of every start-up ratio): where it
 * is set, each Node start loads that CA bundle eagerly (~75 ms here), which would hide the
 * CLI's own cost.
 */
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { connect } from '../ipc/client.js';
import { methods } from '../ipc/protocol.js';
import { DAEMON_NODE_FLAGS } from '../units/daemon-flags.js';

const REPO = path.resolve(import.meta.dirname, '..');
const CLI = path.join(REPO, 'dist', 'opensoul.cjs');
const env: NodeJS.ProcessEnv = { ...process.env };
delete env.NODE_EXTRA_CA_CERTS;
delete env.NODE_OPTIONS;
for (const k of Object.keys(env)) if (/^(ANTHROPIC|OPENAI|OPENSOUL)_/.test(k)) delete env[k];

const root = mkdtempSync(path.join('/tmp', 'opensoul-bench-'));
const stateDir = path.join(root, 'state');
const storeFile = path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json');
env.OPENSOUL_STATE_DIR = stateDir;
env.HOME = root;

/**
 * The baseline server: plain JavaScript run by plain node (no loader), answering each line with
 * a minimal JSON-RPC result and doing nothing else. Given a file, it answers with the result
 * held there instead: the floor of an answer that size (its bytes alone, nothing computed).
 */
const ECHO_SERVER = `
import { readFileSync } from 'node:fs';
import net from 'node:net';
const result = process.argv[3] ? readFileSync(process.argv[3], 'utf8') : 'null';
net.createServer((sock) => {
  let buf = '';
  sock.setEncoding('utf8');
  sock.on('data', (chunk) => {
    buf += chunk;
    let i, out = '';
    while ((i = buf.indexOf('\\n')) !== -1) {
      const id = JSON.parse(buf.slice(0, i)).id;
      buf = buf.slice(i + 1);
      out += '{"jsonrpc":"2.0","id":' + JSON.stringify(id) + ',"result":' + result + '}\\n';
    }
    if (out) sock.write(out);
  });
  sock.on('error', () => {});
}).listen(process.argv[2], () => process.stdout.write('ready\\n'));
`;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] as number;
};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const fmt = (n: number, d = 1) => n.toFixed(d);
const out = (line = '') => process.stdout.write(`${line}\n`);
const results: Record<string, unknown> = {};

/** Wall time of one run, in ms; `input` is piped to its stdin (else stdin is closed). */
function timeRun(args: string[], input?: string): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, {
    env,
    stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'],
    ...(input === undefined ? {} : { input }),
  });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.toString().slice(0, 300)}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** One command of the start-up section: what it runs, what it gets on stdin, and its goal as a ratio to `node -e 0`. */
interface StartupCase {
  label: string;
  /** The CLI's arguments; or, with `script`, the arguments of node itself. */
  args: () => string[];
  script?: boolean;
  input?: () => string;
  goal?: number;
  /**
   * A command that talks to the daemon: also shown as a ratio to its floor, the bare client
   * making the same kind of call (`write`: the same locked, durable write; else a read).
   */
  talks?: boolean | 'write';
  /** This case is a floor, by kind. */
  floorOf?: 'read' | 'write';
}

let writes = 0;
/** A fresh secret per run, so each paste is a real write (a replacement, with --force), never "unchanged". */
const freshSecret = (prefix: string) => `${prefix}${'q'.repeat(80)}${String(++writes).padStart(6, '0')}`;

/** What section 2 times: every command that talks to the daemon, help, doctor and the version. */
const STARTUP_CASES: StartupCase[] = [
  { label: 'models status --json', args: () => ['models', 'status', '--json'], goal: 1.3, talks: true },
  { label: 'models auth list', args: () => ['models', 'auth', 'list'], goal: 1.3, talks: true },
  { label: 'models auth order get --provider anthropic', args: () => ['models', 'auth', 'order', 'get', '--provider', 'anthropic'], goal: 1.3, talks: true },
  {
    label: 'paste-token (stdin, a real write)',
    args: () => ['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:bench', '--force'],
    input: () => freshSecret('sk-ant-oat01-'),
    goal: 1.3,
    talks: 'write',
  },
  {
    label: 'paste-api-key --target env (stdin)',
    args: () => ['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'],
    input: () => freshSecret('sk-proj-'),
    goal: 1.3,
    talks: 'write',
  },
  { label: 'chat, one `/model status` line', args: () => ['chat', '--session', 'bench'], input: () => '/model status\n', goal: 1.3, talks: true },
  { label: '-h', args: () => ['-h'], goal: 1.3 },
  { label: 'doctor (daemon up)', args: () => ['doctor'], goal: 2, talks: true },
  { label: '--version', args: () => ['--version'] },
  { label: 'floor: a bare client script, same call', args: () => [path.join(root, 'bare-client.cjs')], script: true, floorOf: 'read' },
  {
    label: 'floor: a bare client script, same write',
    args: () => [path.join(root, 'bare-write.cjs')],
    input: () => freshSecret('sk-ant-oat01-'),
    script: true,
    floorOf: 'write',
  },
];

/**
 * The physical floor of a command that talks to the daemon: plain JavaScript, no bundle, no
 * checks — connect, hello and one call pipelined, print the answer. What the CLI costs beyond it
 * is ours. `setup` runs first (reading a secret from stdin); `call` is the second request's
 * method and params, as JavaScript.
 */
const bareClient = (call: string, setup = '') => `
const net = require('node:net');
const fs = require('node:fs');
const dir = process.env.OPENSOUL_STATE_DIR;
const token = fs.readFileSync(dir + '/run/gateway.token', 'utf8').trim();
${setup}
const s = net.connect(dir + '/run/gateway.sock');
let buf = '', n = 0;
s.on('data', (d) => {
  buf += d;
  let i;
  while ((i = buf.indexOf('\\n')) >= 0) {
    const line = buf.slice(0, i);
    buf = buf.slice(i + 1);
    if (++n === 2) { process.stdout.write(JSON.stringify(JSON.parse(line).result, null, 2) + '\\n'); s.end(); }
  }
});
s.write(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'gateway.hello', params: { token, clientVersion: 'bench' } }) + '\\n');
s.write(JSON.stringify({ jsonrpc: '2.0', id: 2, ${call} }) + '\\n');
`;

/** The floor of the reads: `models.status`. */
const BARE_CLIENT = bareClient("method: 'models.status', params: {}");

/**
 * The floor of a command that writes: paste-token's call (`auth.upsert`, the secret from stdin).
 * The daemon's locked, durable write is in it.
 */
const BARE_WRITE = bareClient(
  "method: 'auth.upsert', params: { profileId: 'anthropic:bench', credential: { type: 'token', token: secret }, replace: true }",
  "const secret = fs.readFileSync(0, 'utf8').trim();",
);

/** Section 2: each command's median wall time and its ratio to `node -e 0`, all interleaved in rounds. */
function startupBench(): Record<string, unknown> {
  const runs = Number(process.env.OPENSOUL_BENCH_RUNS ?? 25);
  const node: number[] = [];
  const times = STARTUP_CASES.map(() => [] as number[]);
  writeFileSync(path.join(root, 'bare-client.cjs'), BARE_CLIENT);
  writeFileSync(path.join(root, 'bare-write.cjs'), BARE_WRITE);
  const once = (c: StartupCase) => timeRun(c.script ? c.args() : [CLI, ...c.args()], c.input?.());
  for (let i = 0; i < 2; i++) for (const c of STARTUP_CASES) once(c);
  for (let i = 0; i < runs; i++) {
    node.push(timeRun(['-e', '0']));
    STARTUP_CASES.forEach((c, k) => (times[k] as number[]).push(once(c)));
  }
  const base = median(node);
  out(`start-up (median of ${runs}, interleaved with node -e 0)`);
  out(`  ${'node -e 0'.padEnd(46)} ${fmt(base).padStart(6)} ms`);
  const doc: Record<string, unknown> = { nodeMs: base };
  const floorMs = (kind: 'read' | 'write') => median(times[STARTUP_CASES.findIndex((c) => c.floorOf === kind)] as number[]);
  STARTUP_CASES.forEach((c, k) => {
    const ms = median(times[k] as number[]);
    const ratio = ms / base;
    const floor = c.talks ? floorMs(c.talks === 'write' ? 'write' : 'read') : null;
    const toFloor = floor !== null ? `   ${fmt(ms / floor, 2)}× ${c.talks === 'write' ? 'write floor' : 'floor'}` : '';
    const verdict = c.goal === undefined ? '' : `   (goal ≤ ${c.goal}×) ${ratio <= c.goal ? 'ok' : 'MISSED'}`;
    out(`  ${c.label.padEnd(46)} ${fmt(ms).padStart(6)} ms   ${fmt(ratio, 2)}× node${toFloor}${verdict}`);
    doc[c.label] = floor !== null ? { ms, ratio, floorRatio: ms / floor } : { ms, ratio };
  });
  return doc;
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

/** RSS split: anonymous pages (heaps, JIT code) vs file pages (the node binary, mapped libraries). */
function rssSplit(pid: number): string {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+) kB`).exec(s)?.[1] ?? Number.NaN) / 1024;
  return `anon ${fmt(kb('RssAnon'))} + file ${fmt(kb('RssFile'))} MiB`;
}

async function startEcho(socketPath: string, resultFile?: string): Promise<ChildProcess> {
  const file = path.join(root, 'echo-server.mjs');
  writeFileSync(file, ECHO_SERVER);
  const child = spawn(process.execPath, [file, socketPath, ...(resultFile ? [resultFile] : [])], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  await new Promise<void>((r) => child.stdout?.once('data', () => r()));
  return child;
}

/** A raw NDJSON client: `sequential` awaits each answer; `pipelined` sends all, then counts answers. */
async function rawRpc(socketPath: string, hello: boolean) {
  const sock = net.connect(socketPath);
  await new Promise<void>((r, j) => sock.once('connect', () => r()).once('error', j));
  sock.setEncoding('utf8');
  let buf = '';
  let onLine: () => void = () => undefined;
  sock.on('data', (chunk: string) => {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) !== -1) {
      buf = buf.slice(i + 1);
      onLine();
    }
  });
  const one = (payload: string) =>
    new Promise<void>((resolve) => {
      onLine = resolve;
      sock.write(payload);
    });
  if (hello) {
    const token = readFileSync(path.join(stateDir, 'run', 'gateway.token'), 'utf8').trim();
    await one(`${JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'gateway.hello', params: { token, clientVersion: 'bench' } })}\n`);
  }
  const req = (id: number) => `{"jsonrpc":"2.0","id":${id},"method":"models.status","params":{}}\n`;
  return {
    async sequential(n: number): Promise<number> {
      const t0 = performance.now();
      for (let i = 1; i <= n; i++) await one(req(i));
      return n / ((performance.now() - t0) / 1000);
    },
    async pipelined(n: number): Promise<number> {
      const t0 = performance.now();
      let got = 0;
      const done = new Promise<void>((resolve) => {
        onLine = () => {
          if (++got === n) resolve();
        };
      });
      let batch = '';
      for (let i = 1; i <= n; i++) {
        batch += req(i);
        if (i % 500 === 0) {
          sock.write(batch);
          batch = '';
        }
      }
      if (batch) sock.write(batch);
      await done;
      return n / ((performance.now() - t0) / 1000);
    },
    close: () => sock.destroy(),
  };
}

/**
 * The fake upstream of the proxy bench: plain JavaScript in its own process, answering the
 * Messages API shape — a small JSON reply, or an event stream of 12 events, all at once, or
 * paced PACE_MS apart when the request asks with the x-bench-paced header (see PACE_MS).
 */
/**
 * The paced stream's gap between events. A provider streams a reply as deltas some 10–50 ms
 * apart (tens of tokens a second per stream); 5 ms is faster than that, so the proxy's cost per
 * event still shows, yet each event now arrives alone and leaves alone (its own read and write
 * on every hop) as in real use, instead of the whole answer in one read as in the unpaced run.
 */
const PACE_MS = 5;

const FAKE_UPSTREAM = `
import http from 'node:http';
const events = ['message_start', ...Array.from({ length: 10 }, () => 'content_block_delta'), 'message_stop'];
http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    const event = (e) => 'event: ' + e + '\\ndata: {"type":"' + e + '","delta":{"type":"text_delta","text":"word "}}\\n\\n';
    if (body.includes('"stream":true') && req.headers['x-bench-paced'] !== undefined) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      let i = 0;
      const next = () => {
        res.write(event(events[i]));
        if (++i === events.length) res.end();
        else setTimeout(next, ${PACE_MS});
      };
      next();
    } else if (body.includes('"stream":true')) {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const e of events) res.write(event(e));
      res.end();
    } else {
      const out =
        '{"id":"msg","type":"message","role":"assistant","content":[{"type":"text","text":"ok"}],' +
        '"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}';
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(out) });
      res.end(out);
    }
  });
}).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });
`;

/**
 * Node's own floor for a forwarding hop: a bare pass-through proxy (no keys, no credential, no
 * accounting), a keep-alive agent and pipe() both ways. What the gateway's proxy costs beyond it
 * is ours; what this one costs is Node's HTTP machinery on this machine.
 */
const BARE_PROXY = `
import http from 'node:http';
const target = Number(process.argv[2]);
const agent = new http.Agent({ keepAlive: true, maxFreeSockets: 64 });
http.createServer((req, res) => {
  const path = req.url.replace(/^\\/anthropic/, '');
  const up = http.request({ host: '127.0.0.1', port: target, path, method: req.method, headers: req.headers, agent }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', () => res.destroy());
  req.pipe(up);
}).listen(0, '127.0.0.1', function () { process.stdout.write(this.address().port + '\\n'); });
`;

async function startScript(name: string, text: string, args: string[] = []): Promise<{ child: ChildProcess; port: number }> {
  const file = path.join(root, name);
  writeFileSync(file, text);
  const child = spawn(process.execPath, [file, ...args], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((r) => child.stdout?.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
  return { child, port };
}

async function startFakeUpstream(): Promise<{ child: ChildProcess; port: number }> {
  const file = path.join(root, 'fake-upstream.mjs');
  writeFileSync(file, FAKE_UPSTREAM);
  const child = spawn(process.execPath, [file], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  const port = await new Promise<number>((r) => child.stdout?.once('data', (d: Buffer) => r(Number(d.toString().trim()))));
  return { child, port };
}

/** One request on a keep-alive agent, its body read to the end; resolves with the ms it took. */
function timedRequest(agent: http.Agent, port: number, path: string, body: string, key: string, extra: http.OutgoingHttpHeaders = {}): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'x-api-key': key,
          'anthropic-version': '2023-06-01',
          'content-length': Buffer.byteLength(body),
          ...extra,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(performance.now() - t0) : reject(new Error(`HTTP ${res.statusCode}`))));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const ASK = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] });
const ASK_STREAM = JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 16, stream: true, messages: [{ role: 'user', content: 'hi' }] });

/** 64 clients, each sending streamed requests one after another until `total` are done; requests per second. */
async function streamingThroughput(port: number, path: string, key: string, total: number, paced = false): Promise<number> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 64 }, async () => {
      while (next++ < total) await timedRequest(agent, port, path, ASK_STREAM, key, paced ? { 'x-bench-paced': '1' } : {});
    }),
  );
  const rate = total / ((performance.now() - t0) / 1000);
  agent.destroy();
  return rate;
}

async function proxyBench(daemonPid: number): Promise<Record<string, unknown>> {
  const upstream = await startFakeUpstream();
  const bare = await startScript('bare-proxy.mjs', BARE_PROXY, [String(upstream.port)]);
  try {
    writeFileSync(
      path.join(stateDir, 'opensoul.json'),
      JSON.stringify({
        agents: { defaults: { model: 'anthropic/claude-sonnet-4-5' } },
        models: { providers: { anthropic: { baseUrl: `http://127.0.0.1:${upstream.port}` } } },
        proxy: { enabled: true, port: 0 },
      }),
    );
    const c = await connect({ socketPath: path.join(stateDir, 'run', 'gateway.sock'), tokenPath: path.join(stateDir, 'run', 'gateway.token') });
    let url: string | null = null;
    for (let i = 0; i < 200 && !url; i++) {
      url = (await c.call(methods.gatewayStatus, {})).proxy?.url ?? null;
      if (!url) await sleep(25);
    }
    if (!url) throw new Error('the proxy did not start');
    const key = (await c.call(methods.proxyKeyCreate, { label: 'bench' })).key;
    c.close();
    const proxyPort = Number(new URL(url).port);
    const direct = { port: upstream.port, path: '/v1/messages' };
    const viaProxy = { port: proxyPort, path: '/anthropic/v1/messages' };
    const viaBare = { port: bare.port, path: '/anthropic/v1/messages' };
    let proxied = 0;

    // Latency: one keep-alive connection per side, sequential, interleaved in rounds.
    const agentD = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const agentP = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const agentB = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < 200; i++) {
      await timedRequest(agentD, direct.port, direct.path, ASK, key);
      await timedRequest(agentP, viaProxy.port, viaProxy.path, ASK, key);
      await timedRequest(agentB, viaBare.port, viaBare.path, ASK, key);
      proxied++;
    }
    const rssWarm = rssMiB(daemonPid);
    const latD: number[] = [];
    const latP: number[] = [];
    const latB: number[] = [];
    for (let round = 0; round < 10; round++) {
      for (let i = 0; i < 200; i++) latD.push(await timedRequest(agentD, direct.port, direct.path, ASK, key));
      for (let i = 0; i < 200; i++) latP.push(await timedRequest(agentP, viaProxy.port, viaProxy.path, ASK, key));
      for (let i = 0; i < 200; i++) latB.push(await timedRequest(agentB, viaBare.port, viaBare.path, ASK, key));
      proxied += 200;
    }
    agentD.destroy();
    agentP.destroy();
    agentB.destroy();
    const added50 = pct(latP, 50) - pct(latD, 50);
    const added99 = pct(latP, 99) - pct(latD, 99);
    out('local proxy vs the fake upstream called directly (non-streaming, sequential, one keep-alive connection each)');
    out(`  direct  p50 ${fmt(pct(latD, 50), 2)} ms   p99 ${fmt(pct(latD, 99), 2)} ms`);
    out(`  proxy   p50 ${fmt(pct(latP, 50), 2)} ms   p99 ${fmt(pct(latP, 99), 2)} ms`);
    out(`  added   p50 ${fmt(added50, 2)} ms   p99 ${fmt(added99, 2)} ms   (goal ≤ 1 ms p50) ${added50 <= 1 ? 'ok' : 'MISSED'}`);
    out(`  a bare Node pass-through proxy, same load: p50 ${fmt(pct(latB, 50), 2)} ms   p99 ${fmt(pct(latB, 99), 2)} ms (Node's own cost of a hop)`);

    // Throughput: 64 concurrent streaming clients, median of 3 interleaved runs. First unpaced:
    // the upstream answers each stream whole at once, so the three Node processes (clients,
    // proxy, upstream) saturate the machine's cores and the ratio is the proxy's CPU cost per
    // request against the upstream's (a hop costs more than an answer).
    const perRun = 2048;
    const tD: number[] = [];
    const tP: number[] = [];
    const tB: number[] = [];
    for (let i = 0; i < 3; i++) {
      tD.push(await streamingThroughput(direct.port, direct.path, key, perRun));
      tP.push(await streamingThroughput(viaProxy.port, viaProxy.path, key, perRun));
      tB.push(await streamingThroughput(viaBare.port, viaBare.path, key, perRun));
      proxied += perRun;
    }
    const ratio = median(tP) / median(tD);
    out(
      `  64 streaming clients, unpaced upstream (saturated: CPU-bound)   direct ${fmt(median(tD), 0)} req/s   proxy ${fmt(median(tP), 0)} req/s   ` +
        `${fmt(ratio, 2)}×   (goal ≥ 0.8×) ${ratio >= 0.8 ? 'ok' : 'MISSED'}`,
    );
    out(
      `    a bare Node pass-through proxy, same load: ${fmt(median(tB), 0)} req/s   ${fmt(median(tB) / median(tD), 2)}× direct; ` +
        `ours is ${fmt(median(tP) / median(tB), 2)}× of it`,
    );
    // Then paced (PACE_MS between events, as a provider streams): each stream takes ~60 ms and
    // the ratio is what a tool sees through the proxy, per-event costs included.
    const paced = 1024;
    const qD: number[] = [];
    const qP: number[] = [];
    const qB: number[] = [];
    for (let i = 0; i < 3; i++) {
      qD.push(await streamingThroughput(direct.port, direct.path, key, paced, true));
      qP.push(await streamingThroughput(viaProxy.port, viaProxy.path, key, paced, true));
      qB.push(await streamingThroughput(viaBare.port, viaBare.path, key, paced, true));
      proxied += paced;
    }
    const pacedRatio = median(qP) / median(qD);
    out(
      `  64 streaming clients, paced upstream (12 events ${PACE_MS} ms apart)   direct ${fmt(median(qD), 0)} req/s   proxy ${fmt(median(qP), 0)} req/s   ` +
        `${fmt(pacedRatio, 2)}×   (goal ≥ 0.8×) ${pacedRatio >= 0.8 ? 'ok' : 'MISSED'}`,
    );
    out(
      `    a bare Node pass-through proxy, same load: ${fmt(median(qB), 0)} req/s   ${fmt(median(qB) / median(qD), 2)}× direct; ` +
        `ours is ${fmt(median(qP) / median(qB), 2)}× of it`,
    );
    out(
      `  goal ≥ 0.8× direct: unpaced (saturated) ${fmt(ratio, 2)}× ${ratio >= 0.8 ? 'ok' : 'MISSED'};   ` +
        `paced ${fmt(pacedRatio, 2)}× ${pacedRatio >= 0.8 ? 'ok' : 'MISSED'}`,
    );

    // Memory: the rest of 10,000 proxied requests, then RSS.
    const rest = Math.max(0, 10_000 - proxied);
    if (rest > 0) await streamingThroughput(viaProxy.port, viaProxy.path, key, rest);
    proxied += rest;
    await sleep(1000);
    const rssAfter = rssMiB(daemonPid);
    // 10,000 more: the figure must stay where it is (the working set of 64 connections), not grow.
    await streamingThroughput(viaProxy.port, viaProxy.path, key, 10_000);
    await sleep(1000);
    const rssAfter20k = rssMiB(daemonPid);
    const flat = rssAfter20k - rssAfter < 5;
    out(
      `  daemon RSS   after warm-up ${fmt(rssWarm)} MiB   after ${proxied} proxied requests ${fmt(rssAfter)} MiB   ` +
        `after ${proxied + 10_000} ${fmt(rssAfter20k)} MiB   (flat) ${flat ? 'ok' : 'MISSED'}`,
    );
    // OPENSOUL_BENCH_ONLY=proxy: three more rounds of 10,000, to tell a leak (steady growth) from
    // a heap still growing to its working size.
    const further: number[] = [];
    for (let i = 0; process.env.OPENSOUL_BENCH_ONLY === 'proxy' && i < 3; i++) {
      await streamingThroughput(viaProxy.port, viaProxy.path, key, 10_000);
      await sleep(1000);
      further.push(rssMiB(daemonPid));
    }
    if (further.length) out(`  then after each further 10,000: ${further.map((m) => `${fmt(m)} MiB`).join('   ')}`);
    return {
      latency: {
        directP50: pct(latD, 50),
        directP99: pct(latD, 99),
        proxyP50: pct(latP, 50),
        proxyP99: pct(latP, 99),
        addedP50: added50,
        addedP99: added99,
        bareP50: pct(latB, 50),
        bareP99: pct(latB, 99),
      },
      streaming64: { direct: median(tD), proxy: median(tP), ratio, bare: median(tB) },
      streaming64Paced: { paceMs: PACE_MS, direct: median(qD), proxy: median(qP), ratio: pacedRatio, bare: median(qB) },
      rss: { warmMiB: rssWarm, afterMiB: rssAfter, requests: proxied, after20kMiB: rssAfter20k },
    };
  } finally {
    upstream.child.kill();
    bare.child.kill();
  }
}

function writeStore(profiles: number): void {
  const p: Record<string, unknown> = {};
  for (let i = 0; i < profiles / 2; i++)
    p[`anthropic:p${i}`] = { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'b'.repeat(80)}${i}`, expires: Date.now() + 86_400_000 * (i + 1) };
  for (let i = 0; i < profiles / 2; i++) p[`openai:p${i}`] = { type: 'api_key', provider: 'openai', key: `sk-proj-${'c'.repeat(40)}${i}` };
  writeFileSync(storeFile, JSON.stringify({ version: 1, profiles: p }), { mode: 0o600 });
}

/**
 * One store's throughput, in interleaved rounds: the daemon, the echo server, and a bare server
 * answering the daemon's own answer as fixed text (what an answer of that size costs the socket
 * and the client, with nothing computed).
 */
async function throughput(label: string, socketPath: string, echoPath: string): Promise<Record<string, unknown>> {
  const c = await connect({ socketPath, tokenPath: path.join(stateDir, 'run', 'gateway.token') });
  const answer = JSON.stringify(await c.call(methods.modelsStatus, {}));
  c.close();
  const resultFile = path.join(root, 'fixed-result.json');
  writeFileSync(resultFile, answer);
  const fixedPath = path.join(root, 'fixed.sock');
  rmSync(fixedPath, { force: true });
  const fixedServer = await startEcho(fixedPath, resultFile);
  const d = await rawRpc(socketPath, true);
  const e = await rawRpc(echoPath, false);
  const f = await rawRpc(fixedPath, false);
  await d.sequential(2000);
  await e.sequential(2000);
  await f.sequential(2000);
  const seqD: number[] = [];
  const seqE: number[] = [];
  const seqF: number[] = [];
  const pipD: number[] = [];
  const pipE: number[] = [];
  const pipF: number[] = [];
  for (let i = 0; i < 3; i++) {
    seqE.push(await e.sequential(5000));
    seqD.push(await d.sequential(5000));
    seqF.push(await f.sequential(5000));
    pipE.push(await e.pipelined(20000));
    pipD.push(await d.pipelined(20000));
    pipF.push(await f.pipelined(20000));
  }
  d.close();
  e.close();
  f.close();
  fixedServer.kill();
  const seq = median(seqD) / median(seqE);
  const pip = median(pipD) / median(pipE);
  const kb = fmt(Buffer.byteLength(answer) / 1024);
  out(`  ${label} (${kb} KB answers)`);
  out(`    sequential   ${fmt(median(seqD), 0)} req/s vs ${fmt(median(seqE), 0)} req/s   ${fmt(seq, 2)}×   (goal ≥ 0.5×) ${seq >= 0.5 ? 'ok' : 'MISSED'}`);
  out(`    pipelined    ${fmt(median(pipD), 0)} req/s vs ${fmt(median(pipE), 0)} req/s   ${fmt(pip, 2)}×`);
  out(
    `    a bare server answering the same ${kb} KB as fixed text: sequential ${fmt(median(seqF) / median(seqE), 2)}×, ` +
      `pipelined ${fmt(median(pipF) / median(pipE), 2)}× (the floor of an answer that size)`,
  );
  return {
    answerBytes: Buffer.byteLength(answer),
    sequential: { daemon: median(seqD), echo: median(seqE), ratio: seq, fixedAnswer: median(seqF) },
    pipelined: { daemon: median(pipD), echo: median(pipE), ratio: pip, fixedAnswer: median(pipF) },
  };
}

/** Section 3: throughput with the 12-profile store, then with the default state; leaves the 12-profile store in place. */
async function throughputBench(socketPath: string, echoPath: string): Promise<Record<string, unknown>> {
  out('RPC throughput, models.status vs a bare NDJSON echo server (median of 3)');
  const full = await throughput('12 profiles', socketPath, echoPath);
  writeStore(0);
  await sleep(300);
  const small = await throughput('default state', socketPath, echoPath);
  writeStore(12);
  return { profiles12: full, defaultState: small };
}

async function main(): Promise<void> {
  out(
    `OpenSoul bench — node ${process.version}, ${os.cpus().length} CPUs, load ${os
      .loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
  );
  out('(NODE_EXTRA_CA_CERTS unset for every child process, on both sides of each ratio)');
  out();

  // A realistic state: a config, a .env, and a store of 12 profiles.
  mkdirSync(path.dirname(storeFile), { recursive: true, mode: 0o700 });
  writeFileSync(path.join(stateDir, '.env'), 'ANTHROPIC_API_KEY=sk-ant-api03-benchbenchbenchbench0000\n', { mode: 0o600 });
  writeFileSync(
    path.join(stateDir, 'opensoul.json'),
    '{ "agents": { "defaults": { "model": { "primary": "anthropic/claude-sonnet-4-5", "fallbacks": ["openai/gpt-5"] } } } }\n',
  );
  writeStore(12);

  // With the flags the service files and `gateway start` use (units/daemon-flags.ts): what a user runs.
  const daemon = spawn(process.execPath, [...DAEMON_NODE_FLAGS, CLI, 'gateway'], { env, stdio: 'ignore' });
  const socketPath = path.join(stateDir, 'run', 'gateway.sock');
  const tokenPath = path.join(stateDir, 'run', 'gateway.token');
  for (let i = 0; ; i++) {
    try {
      (await connect({ socketPath, tokenPath, connectTimeoutMs: 500 })).close();
      break;
    } catch {
      if (i > 400) throw new Error('the daemon did not start');
      await sleep(25);
    }
  }
  const echoPath = path.join(root, 'echo.sock');
  const echo = await startEcho(echoPath);
  try {
    const pid = daemon.pid as number;
    // OPENSOUL_BENCH_ONLY=proxy: section 5 alone, on a fresh daemon (a quicker run while working on the proxy).
    if (process.env.OPENSOUL_BENCH_ONLY === 'proxy') {
      results.proxy = await proxyBench(pid);
      out();
      out(JSON.stringify(results));
      return;
    }
    // OPENSOUL_BENCH_ONLY=startup: section 2 alone (a quicker run while working on the CLI).
    if (process.env.OPENSOUL_BENCH_ONLY === 'startup') {
      results.startup = startupBench();
      out();
      out(JSON.stringify(results));
      return;
    }
    // OPENSOUL_BENCH_ONLY=throughput: section 3 alone (a quicker run while working on the RPC path).
    if (process.env.OPENSOUL_BENCH_ONLY === 'throughput') {
      results.throughput = await throughputBench(socketPath, echoPath);
      out();
      out(JSON.stringify(results));
      return;
    }
    // 1. Memory, first, on the fresh daemon.
    await sleep(1000);
    const idle = rssMiB(pid);
    const bareIdle = rssMiB(echo.pid as number);
    const idleSplit = `daemon ${rssSplit(pid)}, bare ${rssSplit(echo.pid as number)}`;
    const load = await rawRpc(socketPath, true);
    const bareLoad = await rawRpc(echoPath, false);
    await load.sequential(100_000);
    await bareLoad.sequential(100_000);
    await sleep(1000);
    const after100k = rssMiB(pid);
    const bare100k = rssMiB(echo.pid as number);
    await load.sequential(100_000);
    await sleep(1000);
    const after200k = rssMiB(pid);
    // OPENSOUL_BENCH_ONLY=rss: two more rounds of 100k, to tell steady growth (a leak) from heap headroom.
    const rssOnly = process.env.OPENSOUL_BENCH_ONLY === 'rss';
    const further: number[] = [];
    for (let i = 0; rssOnly && i < 2; i++) {
      await load.sequential(100_000);
      await sleep(1000);
      further.push(rssMiB(pid));
    }
    await load.pipelined(100_000);
    await sleep(1000);
    const afterFlood = rssMiB(pid);
    load.close();
    bareLoad.close();
    const verdict = (ok: boolean) => (ok ? 'ok' : 'MISSED');
    out('daemon RSS (models.status on one connection; 12 profiles)');
    out(
      `  idle ${fmt(idle)} MiB (goal ≤ 50) ${verdict(idle <= 50)}   after 100k sequential ${fmt(after100k)} MiB (goal ≤ 60) ${verdict(after100k <= 60)}   ` +
        `after 200k ${fmt(after200k)} MiB (no growth) ${verdict(after200k - after100k < 5)}`,
    );
    if (further.length) out(`  after 300k ${fmt(further[0] as number)} MiB   after 400k ${fmt(further[1] as number)} MiB`);
    out(`  bare Node NDJSON server, same socket and load: idle ${fmt(bareIdle)} MiB, after 100k ${fmt(bare100k)} MiB (Node's own floor)`);
    out(`  idle split: ${idleSplit}`);
    out(`  after a further 100k pipelined in one burst: ${fmt(afterFlood)} MiB`);
    out();
    results.rss = {
      idleMiB: idle,
      after100kMiB: after100k,
      after200kMiB: after200k,
      afterPipelinedFloodMiB: afterFlood,
      bareIdleMiB: bareIdle,
      bareAfter100kMiB: bare100k,
      ...(further.length ? { after300kMiB: further[0], after400kMiB: further[1] } : {}),
    };
    if (rssOnly) {
      out(JSON.stringify(results));
      return;
    }

    // 2. Start-up of every kind of command, interleaved with `node -e 0`.
    results.startup = startupBench();
    out();

    // 3. Throughput, with the 12-profile store and then the default state.
    results.throughput = await throughputBench(socketPath, echoPath);
    out();

    // 4. Save → visible over RPC.
    await sleep(300);
    const c = await connect({ socketPath, tokenPath });
    const lat: number[] = [];
    for (let i = 0; i < 60; i++) {
      const key = `sk-ant-api03-latency${String(i).padStart(4, '0')}${'z'.repeat(10)}${String(1000 + i)}`;
      const want = `${key.slice(0, 8)}...${key.slice(-4)}`;
      writeFileSync(path.join(stateDir, '.env'), `ANTHROPIC_API_KEY=${key}\n`);
      const t0 = performance.now();
      for (;;) {
        const s = await c.call(methods.modelsStatus, {});
        if (s.providers.find((p) => p.provider === 'anthropic')?.env?.masked === want) break;
        if (performance.now() - t0 > 5000) throw new Error('a save never became visible');
      }
      lat.push(performance.now() - t0);
      await sleep(30 + Math.random() * 120);
    }
    c.close();
    const p99 = pct(lat, 99);
    out(`file save → visible over RPC (${lat.length} saves of .env)`);
    out(`  p50 ${fmt(pct(lat, 50))} ms   p99 ${fmt(p99)} ms   max ${fmt(Math.max(...lat))} ms   (goal p99 ≤ 100 ms) ${p99 <= 100 ? 'ok' : 'MISSED'}`);
    results.reloadLatency = { p50: pct(lat, 50), p99, max: Math.max(...lat) };
    out();

    // 5. The local proxy.
    results.proxy = await proxyBench(pid);
    out();
    out(JSON.stringify(results));
  } finally {
    echo.kill();
    daemon.kill('SIGTERM');
    await new Promise((r) => daemon.once('exit', r));
    rmSync(root, { recursive: true, force: true });
  }
}

await main();
