/**
 * The §3 write path for one file (daemon/stores/file-updater.ts), on real files in a temp dir:
 * the read it starts from, and what a save made while it works does to the write.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileUpdater } from '../../../daemon/stores/file-updater.js';
import type { Change, UpdaterOptions } from '../../../daemon/stores/file-updater.js';
import { tempDir } from '../../support/harness.js';

/** A JSON object file: validate counts its parses, so a test can tell how often the file was read as a whole. */
function jsonFile(initial: Record<string, unknown> | null, opts: Partial<UpdaterOptions> = {}) {
  const file = path.join(tempDir(), 'store.json');
  if (initial) writeFileSync(file, `${JSON.stringify(initial)}\n`, { mode: 0o600 });
  const seen = { validations: 0 };
  const updater = new FileUpdater(file, {
    ...opts,
    validate: (text) => {
      seen.validations++;
      try {
        JSON.parse(text);
        return null;
      } catch {
        return { position: 'somewhere' };
      }
    },
  });
  return { file, updater, seen, read: () => JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown> };
}

/** Sets `key` to `value` in the JSON object. */
const setKey =
  (key: string, value: string): Change<string> =>
  (current) => {
    const doc = current === null ? {} : (JSON.parse(current) as Record<string, unknown>);
    if (doc[key] === value) return { next: null, result: 'unchanged' };
    doc[key] = value;
    return { next: `${JSON.stringify(doc)}\n`, result: 'set' };
  };

describe('FileUpdater (real files)', function () {
  it('a write validates the file once: the locked attempt starts from the read made before the lock', async () => {
    const f = jsonFile({ a: '1' });
    assert.equal(await f.updater.update(setKey('b', '2')), 'set');
    assert.deepEqual(f.read(), { a: '1', b: '2' });
    assert.equal(f.seen.validations, 1);
    assert.equal(existsSync(`${f.file}.lock`), false, 'the lock is released');
  });

  it('a change that changes nothing takes no lock and writes nothing', async () => {
    const f = jsonFile({ a: '1' });
    const before = readFileSync(f.file, 'utf8');
    writeFileSync(`${f.file}.lock`, JSON.stringify({ pid: process.pid, createdAt: Date.now() })); // a held lock would make a write wait
    assert.equal(await f.updater.update(setKey('a', '1')), 'unchanged');
    assert.equal(readFileSync(f.file, 'utf8'), before);
  });

  it('a save made between that first read and the lock is kept: the write goes round again from it', async () => {
    const f = jsonFile({ a: '1' });
    let calls = 0;
    const change: Change<string> = (current) => {
      // The first call is the lock-free look; a person saves right after it, before the lock.
      if (calls++ === 0) writeFileSync(f.file, `${JSON.stringify({ a: '1', edited: 'by hand' })}\n`);
      return setKey('b', '2')(current);
    };
    assert.equal(await f.updater.update(change), 'set');
    assert.deepEqual(f.read(), { a: '1', edited: 'by hand', b: '2' });
    assert.equal(calls, 3, 'the look, the attempt from it (refused at the final step), the attempt from the saved version');
  });

  it('a file created between that first read (absent) and the lock is kept', async () => {
    const f = jsonFile(null);
    let calls = 0;
    const change: Change<string> = (current) => {
      if (calls++ === 0) writeFileSync(f.file, `${JSON.stringify({ made: 'meanwhile' })}\n`);
      return setKey('b', '2')(current);
    };
    await f.updater.update(change);
    assert.deepEqual(f.read(), { made: 'meanwhile', b: '2' });
  });

  it("a file whose dir does not exist yet (a new agent's): the dir is made 0700 and the write lands", async () => {
    const file = path.join(tempDir(), 'agents', 'new', 'agent', 'store.json');
    const updater = new FileUpdater(file, { validate: () => null });
    assert.equal(await updater.update(setKey('b', '2')), 'set');
    assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), { b: '2' });
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.deepEqual(readdirSync(path.dirname(file)), ['store.json']);
  });

  it('a file that does not parse is not written, and the call says STORE_INVALID', async () => {
    const f = jsonFile(null);
    writeFileSync(f.file, '{ "a": ');
    await assert.rejects(f.updater.update(setKey('b', '2')), (err: unknown) => (err as { kind?: string }).kind === 'STORE_INVALID');
    assert.equal(readFileSync(f.file, 'utf8'), '{ "a": ');
  });

  it('a holding update runs its first step with the lock held, on the file as it is then; writes queued meanwhile land after it', async () => {
    const { file, updater, read } = jsonFile({ a: '1' });
    const order: string[] = [];
    let release!: () => void;
    const step = new Promise<void>((r) => (release = r));
    const holding = updater.updateHolding(async (current) => {
      order.push(`prepare saw ${current?.trim() ?? 'null'}, lock ${existsSync(`${file}.lock`) ? 'held' : 'free'}`);
      await step;
      return setKey('b', '2');
    });
    const plain = updater.update(setKey('c', '3')).then((r) => order.push(`plain ${r}`));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(order, ['prepare saw {"a":"1"}, lock held'], 'the plain write waits for the holding one');
    release();
    assert.equal(await holding, 'set');
    await plain;
    assert.deepEqual(read(), { a: '1', b: '2', c: '3' });
    assert.equal(existsSync(`${file}.lock`), false);
  });

  it('a write that cannot get the lock is LOCKED: the file is untouched and the temp file written meanwhile is gone', async () => {
    const f = jsonFile({ a: '1' }, { lockTimeoutMs: 150 });
    const before = readFileSync(f.file, 'utf8');
    writeFileSync(`${f.file}.lock`, JSON.stringify({ pid: process.pid, createdAt: Date.now() })); // a live holder (this process)
    await assert.rejects(f.updater.update(setKey('b', 'sk-ant-api03-new')), (err: unknown) => (err as { kind?: string }).kind === 'LOCKED');
    assert.equal(readFileSync(f.file, 'utf8'), before);
    assert.deepEqual(readdirSync(path.dirname(f.file)).sort(), ['store.json', 'store.json.lock'], 'no temp file holds the new text');
  });

  it('a call hears back once the state took its write in, with the lock released and the file in place', async () => {
    const seen: string[] = [];
    let file = '';
    const f = jsonFile(
      { a: '1' },
      {
        onWritten: async (_, written) => {
          await new Promise((r) => setTimeout(r, 30));
          seen.push(`state took ${written.bytes.toString('utf8').trim()}`);
        },
      },
    );
    file = f.file;
    const answered = (r: string) => seen.push(`${r}, lock ${existsSync(`${file}.lock`) ? 'held' : 'free'}, file ${readFileSync(file, 'utf8').trim()}`);
    await Promise.all([f.updater.update(setKey('b', '2')).then(answered), f.updater.update(setKey('c', '3')).then(answered)]);
    assert.deepEqual(seen, [
      'state took {"a":"1","b":"2"}',
      'set, lock free, file {"a":"1","b":"2"}',
      'state took {"a":"1","b":"2","c":"3"}',
      'set, lock free, file {"a":"1","b":"2","c":"3"}',
    ]);
  });
});
