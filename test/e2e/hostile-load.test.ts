/**
 * Peers that hold slots and memory on the real daemon with its default limits (SPEC §5, §14;
 * STYLE test layer d): every connection slot taken by idle or half-written clients must not
 * lock the CLI out, and unfinished lines must not hold the daemon's memory without bound.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { rawClient, readToken } from '../support/raw-client.js';
import type { RawClient } from '../support/raw-client.js';
import { onCleanup, startDaemon, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

type Msg = { id?: unknown; result?: unknown; error?: { code: number; data?: { code?: string } } };

/** The daemon's resident memory, in MiB. */
function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0) / 1024;
}

async function authedPeers(d: Daemon, n: number): Promise<RawClient[]> {
  const token = readToken(d.paths.token);
  const peers: RawClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await rawClient(d.socketPath);
    onCleanup(() => c.close());
    const hello = (await c.hello(token)) as Msg;
    assert.ok(hello.result, `peer ${i} is admitted`);
    peers.push(c);
  }
  return peers;
}

describe('peers that hold slots and memory (real daemon, default limits)', function () {
  it('256 idle authenticated connections do not lock the CLI out: the longest-idle one makes room', async () => {
    const d = await startDaemon();
    const peers = await authedPeers(d, 256);
    const r = await d.cli(['gateway', 'status', '--json']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { daemon: { reachable: boolean } }).daemon.reachable, true);
    await waitFor(() => peers[0]!.closed.then(() => true), 'the oldest idle peer to be closed');
    assert.match(d.log(), /too many connections/);
  });

  it('256 authenticated connections each holding half a request do not lock the CLI out', async () => {
    const d = await startDaemon();
    const peers = await authedPeers(d, 256);
    for (const p of peers) p.send('{"jsonrpc":"2.0","id":1,"method":"gateway.sta');
    const r = await d.cli(['gateway', 'status']);
    assert.equal(r.code, 0, r.stderr);
  });

  it('150 unfinished 1 MiB lines are not all held: the total is bounded, the stalest go, the CLI still gets in', async () => {
    const d = await startDaemon();
    const pid = d.proc.pid!;
    const before = rssMiB(pid);
    const peers = await authedPeers(d, 150);
    const almost = `{"jsonrpc":"2.0","id":1,"method":"gateway.status","params":{"pad":"${'x'.repeat(1024 * 1024 - 80)}`;
    let peak = 0;
    for (const p of peers) {
      p.send(almost);
      peak = Math.max(peak, rssMiB(pid));
    }
    await waitFor(() => /too many request bytes buffered/.test(d.log()), 'the total to be enforced');
    for (let i = 0; i < 20; i++) {
      peak = Math.max(peak, rssMiB(pid));
      await new Promise((r) => setTimeout(r, 50));
    }
    // 16 MiB of requests may be held, plus what the garbage collector has not returned yet;
    // without the bound, 150 MiB of lines took ~1.5 times that.
    assert.ok(peak - before < 200, `the daemon grew by ${Math.round(peak - before)} MiB`);
    const r = await d.cli(['gateway', 'status']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(d.proc.exitCode, null);
  });
});
