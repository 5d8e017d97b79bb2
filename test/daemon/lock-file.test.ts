/** daemon/fs/lock-file: OpenClaw's sidecar lock protocol — exclusion, stale takeover, interop with ISO times. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { acquireLock, lockPathOf, parseLockInfo } from '../../daemon/fs/lock-file.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { tempDir, track } from '../support/harness.js';

describe('sidecar lock file (§3)', () => {
  it('is a file holding {pid, createdAt}, exclusive while held, removed on release', async () => {
    const file = path.join(tempDir(), 'auth-profiles.json');
    const held = await acquireLock(file);
    const info = parseLockInfo(readFileSync(lockPathOf(file), 'utf8'));
    assert.equal(info?.pid, process.pid);
    await assert.rejects(acquireLock(file, { timeoutMs: 100 }), (err: unknown) => err instanceof OpenSoulError && err.kind === 'LOCKED' && err.details.pid === process.pid);
    await held.release();
    assert.ok(!existsSync(lockPathOf(file)));
  });

  it('takes over a lock of a dead process and one older than 30 s (with an ISO createdAt, as OpenClaw may write)', async () => {
    const dir = tempDir();
    const file = path.join(dir, 'a.json');
    const dead = track(spawn(process.execPath, ['-e', '0']));
    await new Promise((r) => dead.once('exit', r));
    writeFileSync(lockPathOf(file), JSON.stringify({ pid: dead.pid, createdAt: Date.now() }));
    const a = await acquireLock(file, { timeoutMs: 1000 });
    await a.release();
    writeFileSync(lockPathOf(file), JSON.stringify({ pid: process.ppid, createdAt: new Date(Date.now() - 31_000).toISOString() }));
    const b = await acquireLock(file, { timeoutMs: 1000 });
    assert.equal(parseLockInfo(readFileSync(lockPathOf(file), 'utf8'))?.pid, process.pid);
    await b.release();
  });

  it('never takes a fresh lock of a live process', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(lockPathOf(file), JSON.stringify({ pid: process.ppid, createdAt: Date.now() }));
    await assert.rejects(acquireLock(file, { timeoutMs: 200 }), /locked by process/);
    assert.equal(parseLockInfo(readFileSync(lockPathOf(file), 'utf8'))?.pid, process.ppid);
  });

  it('lets exactly one of many concurrent acquirers in at a time', async () => {
    const file = path.join(tempDir(), 'counter.json');
    writeFileSync(file, '0');
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        const l = await acquireLock(file, { timeoutMs: 10_000 });
        const n = Number(readFileSync(file, 'utf8'));
        await new Promise((r) => setTimeout(r, 2));
        writeFileSync(file, String(n + 1));
        await l.release();
      }),
    );
    assert.equal(readFileSync(file, 'utf8'), '20');
  });
});
