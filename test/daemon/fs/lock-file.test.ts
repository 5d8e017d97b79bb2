/** daemon/fs/lock-file: OpenClaw's sidecar lock protocol — exclusion, stale takeover, interop with ISO times. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { EMPTY_LOCK_STALE_MS, acquireLock, lockPathOf, parseLockInfo, staleReason } from '../../../daemon/fs/lock-file.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import { tempDir, track } from '../../support/harness.js';

describe('sidecar lock file (§3)', () => {
  it('is a file holding {pid, createdAt}, exclusive while held, removed on release', async () => {
    const file = path.join(tempDir(), 'auth-profiles.json');
    const held = await acquireLock(file);
    const info = parseLockInfo(readFileSync(lockPathOf(file), 'utf8'));
    assert.equal(info?.pid, process.pid);
    await assert.rejects(
      acquireLock(file, { timeoutMs: 100 }),
      (err: unknown) => err instanceof OpenSoulError && err.kind === 'LOCKED' && err.details.pid === process.pid,
    );
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

describe('stale locks, judged by what we observe (issue: empty and future-dated locks)', () => {
  const NOW = 1_800_000_000_000;
  const alive = () => true;
  const lock = (createdAt: number | string, pid = 1) => JSON.stringify({ pid, createdAt });

  it('an empty lock is stale 2 s after its own mtime, not before', () => {
    assert.equal(staleReason({ text: '', mtimeMs: NOW - 1_000 }, NOW, alive), null);
    assert.equal(staleReason({ text: '', mtimeMs: NOW - EMPTY_LOCK_STALE_MS - 1 }, NOW, alive), 'empty');
  });

  it('an unreadable (non-empty) lock is stale 30 s after its mtime', () => {
    assert.equal(staleReason({ text: '{"pid":', mtimeMs: NOW - 29_000 }, NOW, alive), null);
    assert.equal(staleReason({ text: '{"pid":', mtimeMs: NOW - 31_000 }, NOW, alive), 'unreadable');
  });

  it("a createdAt in the future is not trusted: a live pid's lock is stale once its mtime is 30 s old", () => {
    const yearAhead = NOW + 365 * 86_400_000;
    assert.equal(staleReason({ text: lock(yearAhead), mtimeMs: NOW - 5_000 }, NOW, alive), null);
    assert.equal(staleReason({ text: lock(yearAhead), mtimeMs: NOW - 31_000 }, NOW, alive), 'old');
    assert.equal(staleReason({ text: lock('2099-01-01T00:00:00.000Z'), mtimeMs: NOW - 31_000 }, NOW, alive), 'old');
  });

  it("a claimed createdAt older than 30 s still makes it stale (OpenClaw's rule), and a dead pid at once", () => {
    assert.equal(staleReason({ text: lock(NOW - 31_000), mtimeMs: NOW }, NOW, alive), 'old');
    assert.equal(
      staleReason({ text: lock(NOW), mtimeMs: NOW }, NOW, () => false),
      'dead-pid',
    );
    assert.equal(staleReason({ text: lock(NOW - 1_000), mtimeMs: NOW - 1_000 }, NOW, alive), null);
  });

  it('a lock whose mtime is in the future ages by how long we have been seeing it', () => {
    const future = NOW + 365 * 86_400_000;
    assert.equal(staleReason({ text: lock(future), mtimeMs: future, firstSeenAt: NOW - 1_000 }, NOW, alive), null);
    assert.equal(staleReason({ text: lock(future), mtimeMs: future, firstSeenAt: NOW - 31_000 }, NOW, alive), 'old');
    assert.equal(staleReason({ text: '', mtimeMs: future, firstSeenAt: NOW - 3_000 }, NOW, alive), 'empty');
  });

  it('an abandoned empty lock file is taken over (it no longer blocks every write)', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(lockPathOf(file), '');
    const past = new Date(Date.now() - 3_000);
    utimesSync(lockPathOf(file), past, past);
    const held = await acquireLock(file, { timeoutMs: 1000 });
    assert.equal(parseLockInfo(readFileSync(lockPathOf(file), 'utf8'))?.pid, process.pid);
    await held.release();
  });

  it('a fresh empty lock is waited for, then taken over once its mtime is 2 s old — across calls, not per call', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(lockPathOf(file), '');
    await assert.rejects(acquireLock(file, { timeoutMs: 100 }), (err: unknown) => err instanceof OpenSoulError && err.kind === 'LOCKED');
    const held = await acquireLock(file, { timeoutMs: 5000 });
    await held.release();
  });

  it('takes over a lock of a live pid dated 2099 whose file is 31 s old', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(lockPathOf(file), lock('2099-01-01T00:00:00.000Z', process.ppid));
    const past = new Date(Date.now() - 31_000);
    utimesSync(lockPathOf(file), past, past);
    const held = await acquireLock(file, { timeoutMs: 1000 });
    assert.equal(parseLockInfo(readFileSync(lockPathOf(file), 'utf8'))?.pid, process.pid);
    await held.release();
  });

  it('never takes a fresh lock of a live process even when it claims a future date', async () => {
    const file = path.join(tempDir(), 'a.json');
    writeFileSync(lockPathOf(file), lock(Date.now() + 365 * 86_400_000, process.ppid));
    await assert.rejects(acquireLock(file, { timeoutMs: 200 }), /locked by process/);
    assert.equal(parseLockInfo(readFileSync(lockPathOf(file), 'utf8'))?.pid, process.ppid);
  });
});
