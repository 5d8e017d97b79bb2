/**
 * Crash loops (SPEC §3 "Writes", §14: a crash at any instant leaves every file old or new, never
 * torn; no acknowledged write is lost). Each round starts the real daemon on the same state dir,
 * runs at once: a stream of RPC `auth.upsert` replacing one profile, a stream of `env.set`
 * replacing one key, real CLI `paste-token` processes adding profiles, and a person saving
 * another agent's store like an editor (temp file + rename) followed by `gateway.reload` — then
 * SIGKILLs the daemon at a random instant. After every kill every file parses, every write that
 * was acknowledged is there (a write in flight may have landed or not), and the next round
 * starts on what the kill left.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseDotenv } from 'dotenv';
import { parse as parseJsonc } from 'jsonc-parser';
import type { ParseError } from 'jsonc-parser';
import { originalOfAside } from '../../daemon/fs/replace-unless-changed.js';
import { methods } from '../../ipc/protocol.js';
import { CLI, startDaemon, tempDir, track } from '../support/harness.js';
import { readLeftByKill } from '../support/left-by-kill.js';
import { budgetMs, count, procStats, progress, report, sleep } from '../support/hardening.js';
import type { ProcStats } from '../support/hardening.js';

const GATEWAY = path.join(path.dirname(CLI), 'gateway.mjs');

/** Every file under the state dir whose name says it holds JSON, recursively. */
function jsonFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...jsonFiles(p));
    else if (entry.isFile() && entry.name.endsWith('.json')) out.push(p);
  }
  return out;
}

/** Asserts that every JSON file parses (opensoul.json as JSONC, as the daemon reads it). */
function assertAllParse(stateDir: string, round: string): void {
  for (const file of jsonFiles(stateDir)) {
    const text = readFileSync(file, 'utf8');
    if (path.basename(file) === 'opensoul.json') {
      const errors: ParseError[] = [];
      parseJsonc(text, errors, { allowTrailingComma: true });
      assert.deepEqual(errors, [], `${round}: ${path.relative(stateDir, file)} parses`);
    } else {
      assert.doesNotThrow(() => JSON.parse(text), `${round}: ${path.relative(stateDir, file)} parses`);
    }
  }
}

type Store = { profiles?: Record<string, { key?: string; token?: string }> };
function readStore(file: string): Store {
  const text = readLeftByKill(file);
  return text === null ? {} : (JSON.parse(text) as Store);
}

/** Runs the real CLI's paste-token; resolves with its exit code. */
function pasteToken(env: NodeJS.ProcessEnv, profileId: string, token: string): Promise<number | null> {
  const child = track(
    spawn(process.execPath, [CLI, 'models', 'auth', 'paste-token', '--provider', 'openai', '--profile-id', profileId], {
      env,
      stdio: ['pipe', 'ignore', 'ignore'],
    }),
  );
  child.stdin?.on('error', () => undefined);
  child.stdin?.end(token);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** One writer's view of a value it keeps replacing: the last acknowledged and the one in flight. */
class Slot {
  acked: string | null = null;
  inFlight: string | null = null;
  /** After a kill: the file holds the acknowledged value or the one in flight, and that is the new truth. */
  settle(found: string | null, what: string): void {
    assert.ok(
      found === this.acked || (found !== null && found === this.inFlight),
      `${what}: holds ${found === null ? 'nothing' : 'an unknown value'}, not the acknowledged or the in-flight write`,
    );
    this.acked = found;
    this.inFlight = null;
  }
}

interface LaneResult {
  kills: number;
  acknowledged: number;
  first: ProcStats | null;
  last: ProcStats | null;
}

async function lane(laneNo: number, rounds: number): Promise<LaneResult> {
  const stateDir = path.join(tempDir(), 'state');
  const upsert = new Slot();
  const env = new Slot();
  const person = new Slot();
  const cliAcked = new Map<string, string>();
  let acknowledged = 0;
  let first: ProcStats | null = null;
  let last: ProcStats | null = null;
  for (let round = 0; round < rounds; round++) {
    const tag = `lane ${laneNo} round ${round}`;
    const d = await startDaemon({ stateDir, entry: GATEWAY, args: [] });
    const stats = procStats(d.proc.pid!);
    first ??= stats;
    last = stats;
    const conn = await d.connect();
    let stop = false;
    const rpcStream = (async () => {
      for (let n = 0; !stop; n++) {
        const key = `sk-crash-${laneNo}-${round}-${n}-${'u'.repeat(24)}`;
        upsert.inFlight = key;
        try {
          await conn.call(methods.authUpsert, { profileId: 'openai:crash', credential: { type: 'api_key', key }, replace: true });
        } catch {
          return;
        }
        upsert.acked = key;
        upsert.inFlight = null;
        acknowledged++;
      }
    })();
    const envStream = (async () => {
      const c = await d.connect().catch(() => null);
      if (!c) return;
      for (let n = 0; !stop; n++) {
        const value = `v-${laneNo}-${round}-${n}`;
        env.inFlight = value;
        try {
          await c.call(methods.envSet, { key: 'CRASH_SLOT', value, replace: true });
        } catch {
          return;
        }
        env.acked = value;
        env.inFlight = null;
        acknowledged++;
      }
      c.close();
    })();
    const cliStream = (async () => {
      for (let n = 0; !stop; n++) {
        const id = `openai:cli-${laneNo}-${round}-${n}`;
        const token = `tok-${laneNo}-${round}-${n}-${'c'.repeat(32)}`;
        const code = await pasteToken(d.env, id, token);
        if (code !== 0) return;
        cliAcked.set(id, token);
        acknowledged++;
      }
    })();
    // A person saving another agent's store like an editor does, then asking for a reload.
    const personStream = (async () => {
      const store = d.paths.authProfiles('person');
      mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
      for (let n = 0; !stop; n++) {
        const key = `sk-person-${laneNo}-${round}-${n}-${'p'.repeat(24)}`;
        person.inFlight = key;
        const tmp = `${store}.editor-tmp`;
        writeFileSync(tmp, JSON.stringify({ version: 1, profiles: { 'openai:by-hand': { type: 'api_key', provider: 'openai', key } } }, null, 2), {
          mode: 0o600,
        });
        renameSync(tmp, store);
        person.acked = key;
        person.inFlight = null;
        acknowledged++;
        try {
          await conn.call(methods.gatewayReload, {});
        } catch {
          return;
        }
      }
    })();
    await sleep(30 + Math.random() * 400);
    d.proc.kill('SIGKILL');
    await d.exited;
    stop = true;
    conn.close();
    await Promise.all([rpcStream, envStream, cliStream, personStream]);

    assertAllParse(stateDir, tag);
    const main = readStore(d.paths.authProfiles('main'));
    upsert.settle(main.profiles?.['openai:crash']?.key ?? null, `${tag}: the RPC-written profile`);
    for (const [id, token] of cliAcked) assert.equal(main.profiles?.[id]?.token, token, `${tag}: ${id}, acknowledged to the CLI, is in the store`);
    const dotenvText = readLeftByKill(d.paths.dotenv);
    const dotenv: Record<string, string> = dotenvText === null ? {} : parseDotenv(dotenvText);
    env.settle(dotenv.CRASH_SLOT ?? null, `${tag}: .env`);
    const byHand = readStore(d.paths.authProfiles('person')).profiles?.['openai:by-hand']?.key ?? null;
    person.settle(byHand, `${tag}: the store saved by hand`);
    if (statSync(d.paths.dotenv, { throwIfNoEntry: false })) assert.equal(statSync(d.paths.dotenv).mode & 0o077, 0, `${tag}: .env stays private`);
    if ((round + 1) % 25 === 0) progress(`lane ${laneNo}: ${round + 1} of ${rounds} kills, ${acknowledged} acknowledged writes checked`);
  }
  // After the last kill: a daemon starts on what is left, serves every acknowledged write and leaves no debris.
  const d = await startDaemon({ stateDir, entry: GATEWAY, args: [] });
  const listed = await d.call(methods.authList, { provider: 'openai' });
  const ids = new Set(listed.profiles.map((p) => p.id));
  for (const id of cliAcked.keys()) assert.ok(ids.has(id), `${id} is served after the last kill`);
  if (upsert.acked) assert.ok(ids.has('openai:crash'));
  const person2 = await d.call(methods.authList, { agent: 'person' });
  if (person.acked)
    assert.ok(
      person2.profiles.some((p) => p.id === 'openai:by-hand'),
      'the hand-saved store is served',
    );
  const agentDir = path.dirname(d.paths.authProfiles('main'));
  assert.deepEqual(
    readdirSync(agentDir).filter((n) => n.includes('.opensoul-tmp-') || originalOfAside(n) !== null || n.endsWith('.lock')),
    [],
    'no temp, aside or lock file left after a start',
  );
  await d.stop();
  return { kills: rounds, acknowledged, first, last };
}

describe('crash loops (real daemon, SIGKILL at random instants)', function () {
  this.timeout(budgetMs(60_000, 1_500_000));

  it('SIGKILL during RPC writes, env.set, CLI paste-token and hand saves with reloads: every file parses, every acknowledged write survives', async () => {
    const kills = count('CRASH_KILLS', 6, 500);
    // Lanes run side by side on their own state dirs: more kills per minute on two cores.
    const lanes = Math.min(count('CRASH_LANES', 2, 3), kills);
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: lanes }, (_, i) => lane(i, Math.floor(kills / lanes) + (i < kills % lanes ? 1 : 0))));
    const total = results.reduce((n, r) => n + r.kills, 0);
    assert.equal(total, kills);
    const first = results[0]?.first;
    const last = results[0]?.last;
    if (first && last) {
      report({
        what: `SIGKILL crash loop (${results.reduce((n, r) => n + r.acknowledged, 0)} acknowledged writes)`,
        times: total,
        before: first,
        after: last,
        lost: 0,
        seconds: (Date.now() - started) / 1000,
      });
    }
  });
});
