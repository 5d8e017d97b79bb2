/**
 * Load and hot reload on one daemon (SPEC §4 hot reload, §5): four connections pipeline calls
 * whose answers are checked one by one, while a person saves `.env` and three agents' stores
 * over and over — in place or like an editor (temp file + rename) — and each save must be served
 * (status shows the new key; now and then `auth.resolve` returns it) before that file's next
 * save. The daemon's RSS and open fds before and after go to the report; fds must come back to
 * where they were and RSS stay within a bound.
 */
import assert from 'node:assert/strict';
import net from 'node:net';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { maskSecret } from '../../daemon/status/masking.js';
import { methods } from '../../ipc/protocol.js';
import { connect } from '../../ipc/client.js';
import { createLineReader } from '../../ipc/framing.js';
import { startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { budgetMs, count, procStats, progress, report, sleep } from '../support/hardening.js';
import { readToken } from '../support/raw-client.js';

/** Requests in flight per connection: enough to keep the daemon busy, within its 1000-line queue. */
const WINDOW = 64;
/**
 * RSS may grow this much: measured at soak counts, RSS went 60 → 205 MiB (→ 110 MiB in another
 * run) while the JS heap in use stayed ~22–24 MiB (V8 keeps the larger young generation and heap reserve a flood asks for,
 * and malloc keeps freed pages). What would be a leak is the heap in use growing: bounded apart.
 */
const RSS_GROWTH_BOUND_KIB = 192 * 1024;
/**
 * Right after the flood the heap in use counts garbage not yet collected: 22–24 MiB in the first
 * soak, 65 and 377 MiB in two soaks after the hardening fixes were merged (1,000,000 RPCs,
 * 10,000 saves, each save a new secret that the log redactor's matcher is rebuilt for). So it is
 * read again once the daemon has been quiet; a leak stays past any fixed bound.
 */
const HEAP_USED_BOUND_BYTES = 96 * 1024 * 1024;

type Reply = { id?: unknown; result?: Record<string, unknown>; error?: { code: number; message: string } };

/**
 * One connection that pipelines `total` calls (a mix of auth.resolve, auth.list, models.status
 * and gateway.status) and checks every answer; resolves with how many were wrong or missing.
 */
async function pipeline(d: Daemon, token: string, connNo: number, total: number): Promise<number> {
  const socket = net.connect(d.socketPath);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let sent = 0;
  let answered = 0;
  let wrong = 0;
  let helloDone = false;
  // Read-only calls: auth.resolve records lastUsed (a file write per call), so it paces the
  // reload loop instead, where each save is checked once.
  const kinds = [
    {
      method: methods.authOrderGet.name,
      params: { provider: 'anthropic' },
      ok: (r: Record<string, unknown>) => Array.isArray(r.effective) && r.effective[0] === 'anthropic:seed',
    },
    {
      method: methods.authList.name,
      params: { provider: 'anthropic' },
      ok: (r: Record<string, unknown>) => Array.isArray(r.profiles) && r.profiles.length === 1,
    },
    { method: methods.modelsStatus.name, params: {}, ok: (r: Record<string, unknown>) => r.agent === 'main' && Array.isArray(r.providers) },
    { method: methods.gatewayStatus.name, params: {}, ok: (r: Record<string, unknown>) => r.pid === d.proc.pid },
  ];
  // Mostly the cheap calls a client makes per request; status now and then.
  const pick = (n: number) => kinds[n % 16 === 0 ? 2 : n % 16 === 8 ? 3 : n % 2]!;
  const send = () => {
    let out = '';
    while (sent < total && sent - answered < WINDOW) {
      const k = pick(sent);
      out += `${JSON.stringify({ jsonrpc: '2.0', id: sent, method: k.method, params: k.params })}\n`;
      sent++;
    }
    if (out) socket.write(out);
  };
  return new Promise<number>((resolve, reject) => {
    const reader = createLineReader(
      64 * 1024 * 1024,
      (line) => {
        const msg = JSON.parse(line) as Reply;
        if (!helloDone) {
          helloDone = true;
          if (!msg.result) reject(new Error('hello refused'));
          send();
          return;
        }
        const k = typeof msg.id === 'number' ? pick(msg.id) : undefined;
        if (!k || !msg.result || !k.ok(msg.result)) wrong++;
        answered++;
        if (answered === total) {
          socket.end();
          resolve(wrong);
        } else send();
      },
      () => reject(new Error('reply over size')),
    );
    socket.on('data', (chunk: Buffer) => reader.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      if (answered < total) reject(new Error(`connection ${connNo} closed after ${answered} of ${total} answers`));
    });
    socket.write(`${JSON.stringify({ jsonrpc: '2.0', id: 'hello', method: 'gateway.hello', params: { token, clientVersion: 'load' } })}\n`);
  });
}

describe('load and hot reload (real daemon)', function () {
  this.timeout(budgetMs(60_000, 1_200_000));

  it(
    'RPCs pipelined over 4 connections while .env and stores are saved again and again: ' +
      'every answer correct, every save served, fds back to where they were',
    async () => {
      const rpcs = count('RPCS', 8_000, 1_000_000);
      const saves = count('RELOADS', 40, 10_000);
      // Four files are saved side by side, each save waited for before that file's next one:
      // .env, and the stores of three agents (present from the start, as a person's would be).
      const stateDir = path.join(tempDir(), 'state');
      const storeOf = (lane: number) => path.join(stateDir, 'agents', `reload-${lane}`, 'agent', 'auth-profiles.json');
      const storeText = (key: string) => JSON.stringify({ version: 1, profiles: { 'openai:reload': { type: 'api_key', provider: 'openai', key } } }, null, 2);
      for (const lane of [1, 2, 3]) {
        mkdirSync(path.dirname(storeOf(lane)), { recursive: true, mode: 0o700 });
        writeFileSync(storeOf(lane), storeText(`sk-proj-initial-${'i'.repeat(30)}init`), { mode: 0o600 });
      }
      const d = await startDaemon({ stateDir });
      const token = readToken(d.paths.token);
      await d.call(methods.authUpsert, { profileId: 'anthropic:seed', credential: { type: 'api_key', key: `sk-ant-api03-LOAD${'s'.repeat(80)}` } });
      // Warm up once (first calls load code and grow the heap), then measure.
      await pipeline(d, token, 0, 200);
      await sleep(100);
      const before = procStats(d.proc.pid!);
      const started = Date.now();

      // Wake the checks on every reload event rather than polling hard: the RPC flood needs the CPU.
      const wakers = new Set<() => void>();
      const conn = await connect({ socketPath: d.socketPath, tokenPath: d.paths.token, onNotification: () => wakers.forEach((w) => w()) });
      await conn.call(methods.eventsSubscribe, { events: ['state.reloaded'] });
      const nextReloadOr = (ms: number) =>
        new Promise<void>((resolve) => {
          const done = () => {
            wakers.delete(done);
            clearTimeout(timer);
            resolve();
          };
          const timer = setTimeout(done, ms);
          wakers.add(done);
        });
      /** Waits until `check` holds; the watcher (or, failing it, the periodic check) must bring the save in. */
      const served = async (check: () => Promise<boolean>): Promise<boolean> => {
        const deadline = Date.now() + 15_000;
        while (Date.now() < deadline) {
          const woken = nextReloadOr(250);
          if (await check()) return true;
          await woken;
        }
        return false;
      };
      let unseen = 0;
      let reloadSeconds = 0;
      const reloadLane = async (lane: number, saves: number) => {
        for (let n = 0; n < saves; n++) {
          // The counter ends the key, so that the masked form (last 4 characters) tells saves apart.
          const key = `sk-proj-RELOAD${lane}${'r'.repeat(40)}${String(n).padStart(6, '0')}`;
          const file = lane === 0 ? d.paths.dotenv : storeOf(lane);
          const text = lane === 0 ? `# saved ${n}\nOPENAI_API_KEY=${key}\n` : storeText(key);
          if (n % 2 === 0) writeFileSync(file, text, { mode: 0o600 });
          else {
            // An editor's save: a temp file renamed over the original.
            writeFileSync(`${file}.swp`, text, { mode: 0o600 });
            renameSync(`${file}.swp`, file);
          }
          const masked = maskSecret(key);
          const ok = await served(async () =>
            lane === 0
              ? (await conn.call(methods.modelsStatus, {})).providers.find((p) => p.provider === 'openai')?.env?.masked === masked
              : (await conn.call(methods.authList, { agent: `reload-${lane}` })).profiles.find((p) => p.id === 'openai:reload')?.masked === masked,
          );
          if (!ok) unseen++;
          if ((n + 1) % 500 === 0) progress(`reload lane ${lane}: ${n + 1} of ${saves} saves served`);
          // Now and then, also that a call gets the new key itself.
          if (n % 50 === 0 && (await conn.call(methods.authResolve, { provider: 'openai', ...(lane === 0 ? {} : { agent: `reload-${lane}` }) })).secret !== key)
            unseen++;
        }
      };
      const reloads = Promise.all([0, 1, 2, 3].map((lane) => reloadLane(lane, Math.floor(saves / 4) + (lane < saves % 4 ? 1 : 0)))).then(() => {
        reloadSeconds = (Date.now() - started) / 1000;
      });
      const perConnection = Math.ceil(rpcs / 4);
      const wrong = await Promise.all([0, 1, 2, 3].map((i) => pipeline(d, token, i, perConnection)));
      const rpcSeconds = (Date.now() - started) / 1000;
      await reloads;
      conn.close();

      // Saves of different files may be taken in by one reload pass; each save was checked above.
      assert.ok((await d.call(methods.gatewayStatus, {})).reloads.count > 0);
      // The connections are closed: give the daemon a moment to notice, then its fds must be back.
      const after = await waitFor(() => {
        const s = procStats(d.proc.pid!);
        return s.fds <= before.fds ? s : false;
      }, 'the fds of closed connections to be released').catch(() => procStats(d.proc.pid!));
      // One daemon ran both at once: the two rows share its before/after figures.
      report({
        what: 'RPCs pipelined over 4 connections, each answer checked',
        times: perConnection * 4,
        before,
        after,
        lost: wrong.reduce((a, b) => a + b, 0),
        seconds: rpcSeconds,
      });
      report({
        what: 'hot reloads: .env and 3 agent stores saved (in place or temp + rename), each save served',
        times: saves,
        before,
        after,
        lost: unseen,
        seconds: reloadSeconds,
      });
      assert.deepEqual(wrong, [0, 0, 0, 0], 'every answer correct');
      assert.equal(unseen, 0, 'every save was served');
      assert.ok(after.fds <= before.fds, `open fds ${before.fds} → ${after.fds}`);
      // Garbage of the flood is not "in use": V8's memory reducer collects it once the daemon is
      // quiet for a few seconds. What is still over the bound after ~30 s quiet is held.
      const memory = async () => (await d.call(methods.gatewayStatus, {})).memory;
      let heap = await memory();
      progress(`heap in use right after the flood ${Math.round(heap.heapUsed / 1048576)} MiB of ${Math.round(heap.heapTotal / 1048576)} MiB`);
      for (let waited = 0; heap.heapUsed >= HEAP_USED_BOUND_BYTES && waited < 30_000; waited += 2_000) {
        await sleep(2_000);
        heap = await memory();
      }
      progress(`heap in use once quiet ${Math.round(heap.heapUsed / 1048576)} MiB of ${Math.round(heap.heapTotal / 1048576)} MiB`);
      assert.ok(heap.heapUsed < HEAP_USED_BOUND_BYTES, `the JS heap in use is ${Math.round(heap.heapUsed / 1048576)} MiB`);
      assert.ok(
        after.rssKiB - before.rssKiB < RSS_GROWTH_BOUND_KIB,
        `RSS ${before.rssKiB} → ${after.rssKiB} KiB ` +
          `(heap used now ${Math.round(heap.heapUsed / 1024)} KiB of ${Math.round(heap.heapTotal / 1024)} KiB, ` +
          `external ${Math.round(heap.external / 1024)} KiB)`,
      );
      assert.equal(d.proc.exitCode, null);
    },
  );
});
