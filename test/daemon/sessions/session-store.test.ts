/** daemon/sessions/session-store: sessions.json on a real temp dir — OpenClaw's fields, unknown keys kept, lenient reads, safe concurrent writes. */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { PRUNE_BUDGET_BYTES, PRUNE_TARGET_BYTES, sessionsText } from '../../../daemon/sessions/session-retention.js';
import type { PruneOutcome } from '../../../daemon/sessions/session-retention.js';
import { parseSessionsText, recordOf, SessionStore, sessionIdProblem } from '../../../daemon/sessions/session-store.js';
import { MAX_STATE_FILE_BYTES } from '../../../ipc/file-checks.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import { tempDir } from '../../support/harness.js';
import { plain } from '../../support/plain.js';

const T = 1_760_000_000_000;

function sessionsFile(): string {
  return path.join(tempDir('opensoul-sessions-'), 'agents', 'main', 'sessions', 'sessions.json');
}

const onDisk = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, Record<string, unknown>>;
const DAY = 86_400_000;

/** A picker list as `/model` stores it: 100 refs, about 4 KiB in the file. */
const LIST = Array.from({ length: 100 }, (_, i) => `openrouter/vendor-${i}/some-model-name-${i}`);

/**
 * Adds `make(i)`'s entries to `doc`, i = 0, 1, …, while the file's text stays at or under `bytes`
 * (measured member by member: the text is 3 bytes plus, per entry, its lines and 2); returns the count added.
 */
function fillTo(doc: Record<string, unknown>, bytes: number, make: (i: number) => [string, Record<string, unknown>]): number {
  let size = Buffer.byteLength(sessionsText(doc));
  for (let i = 0; ; i++) {
    const [id, entry] = make(i);
    const add = Buffer.byteLength(JSON.stringify({ [id]: entry }, null, 2)) - 2;
    if (size + add > bytes) return i;
    doc[id] = entry;
    size += add;
  }
}

function writeDoc(file: string, doc: Record<string, unknown>): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, sessionsText(doc), { mode: 0o600 });
}

const pinned = (id: string, updatedAt: number) => ({ sessionId: id, updatedAt, authProfileOverride: 'openai:x', authProfileOverrideSource: 'user' });
const withModel = (id: string, updatedAt: number) => ({
  sessionId: id,
  updatedAt,
  providerOverride: 'openai',
  modelOverride: 'gpt-5',
  modelOverrideSource: 'user',
});

describe('session store', () => {
  it("writes OpenClaw's fields, 0600 in 0700 dirs, and reads them back", async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    const rec = await store.update(file, 'chat:1', { model: 'openrouter/meta/llama-4', pin: 'openrouter:work', modelList: ['a/b', 'c/d'] }, T);
    assert.deepEqual(rec, { model: 'openrouter/meta/llama-4', pin: 'openrouter:work', updatedAt: T, modelList: ['a/b', 'c/d'] });
    assert.deepEqual(onDisk(file)['chat:1'], {
      providerOverride: 'openrouter',
      modelOverride: 'meta/llama-4',
      modelOverrideSource: 'user',
      authProfileOverride: 'openrouter:work',
      authProfileOverrideSource: 'user',
      modelPickerList: ['a/b', 'c/d'],
      sessionId: 'chat:1',
      updatedAt: T,
    });
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(statSync(path.dirname(file)).mode & 0o777, 0o700);
    assert.equal(statSync(path.dirname(path.dirname(file))).mode & 0o777, 0o700);
    // A fresh store (a restarted daemon) reads the same.
    assert.deepEqual(plain(new SessionStore().get(file, 'chat:1')), plain(rec));
  });

  it('keeps keys and entries it does not know, and clears only its own fields', async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    await store.update(file, 'x', { model: 'anthropic/claude-opus-4-5' }, T);
    const doc = onDisk(file);
    doc.x!.thinkingLevel = 'high';
    doc.x!.totalTokens = 1234;
    doc['agent:main:telegram:1'] = { sessionId: 'uuid-1', updatedAt: 5, channel: 'telegram' };
    doc.weird = 'not an object' as never;
    writeFileSync(file, JSON.stringify(doc));
    await store.update(file, 'x', { model: null, pin: 'anthropic:work' }, T + 1);
    const after = onDisk(file);
    assert.deepEqual(after.x, {
      sessionId: 'x',
      updatedAt: T + 1,
      thinkingLevel: 'high',
      totalTokens: 1234,
      authProfileOverride: 'anthropic:work',
      authProfileOverrideSource: 'user',
    });
    assert.deepEqual(after['agent:main:telegram:1'], { sessionId: 'uuid-1', updatedAt: 5, channel: 'telegram' });
    assert.equal(after.weird, 'not an object');
  });

  it("reads OpenClaw's entries: a source-less override is a pin, an auto one is not; a wrapped model ref is read whole", () => {
    assert.equal(recordOf({ authProfileOverride: 'anthropic:a' }).pin, 'anthropic:a');
    assert.equal(recordOf({ authProfileOverride: 'anthropic:a', authProfileOverrideSource: 'auto' }).pin, null);
    assert.equal(recordOf({ authProfileOverride: 'anthropic:a', authProfileOverrideCompactionCount: 2 }).pin, null);
    assert.equal(recordOf({ modelOverride: 'ollama/qwen' }).model, 'ollama/qwen');
    assert.equal(recordOf({ modelOverride: 'qwen' }).model, null);
  });

  it('reads a bad file leniently: the last good sessions (none at first) and one warning per change', () => {
    const file = sessionsFile();
    const warnings: string[] = [];
    const store = new SessionStore({ warn: (_f, m) => warnings.push(m) });
    assert.deepEqual(Object.keys(store.read(file).sessions), []); // absent: no sessions, no warning
    assert.deepEqual(warnings, []);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{ "a": { "authProfileOverride": "anthropic:w" ');
    const bad = store.read(file);
    assert.deepEqual(Object.keys(bad.sessions), []);
    assert.equal(warnings.length, 1);
    assert.match(warnings[0]!, /does not parse \(line 1, column \d+: .*\): no session pins are read from it until it is fixed by hand/);
    store.read(file);
    assert.equal(warnings.length, 1, 'the same bad file is not reported again on every read');
    writeFileSync(file, '{ "a": { "authProfileOverride": "anthropic:w" } }');
    assert.equal(store.get(file, 'a')?.pin, 'anthropic:w');
    writeFileSync(file, '[1, 2]');
    assert.equal(store.get(file, 'a')?.pin, 'anthropic:w', 'the last good sessions are kept while the file is bad');
    assert.equal(warnings.length, 2);
    assert.match(warnings[1]!, /is not a JSON object: the sessions read from it before are kept/);
  });

  it('a file that cannot be reached (a file where its dir should be) is reported once, not on every read, and again once it changes', () => {
    const file = sessionsFile();
    const warnings: string[] = [];
    const store = new SessionStore({ warn: (_f, m) => warnings.push(m) });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, '{ "a": { "authProfileOverride": "anthropic:w" } }');
    assert.equal(store.get(file, 'a')?.pin, 'anthropic:w');
    const dir = path.dirname(file);
    renameSync(dir, `${dir}.moved`);
    writeFileSync(dir, 'not a dir');
    for (let i = 0; i < 5; i++) assert.equal(store.get(file, 'a')?.pin, 'anthropic:w', 'the last good sessions are kept');
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(warnings[0]!, /sessions\.json cannot be read \(ENOTDIR\): the sessions read from it before are kept until it is fixed by hand$/);
    rmSync(dir);
    renameSync(`${dir}.moved`, dir);
    assert.equal(store.get(file, 'a')?.pin, 'anthropic:w');
    renameSync(dir, `${dir}.moved`);
    writeFileSync(dir, 'not a dir');
    store.read(file);
    assert.equal(warnings.length, 2, 'unreadable again after it was fixed: said again');
  });

  it('refuses to overwrite a file that does not parse (STORE_INVALID), and leaves it as it was', async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    await store.update(file, 'a', { model: 'openai/gpt-5' }, T);
    writeFileSync(file, '{ oops');
    await assert.rejects(store.update(file, 'a', { pin: 'openai:x' }, T), (err: unknown) => err instanceof OpenSoulError && err.kind === 'STORE_INVALID');
    assert.equal(readFileSync(file, 'utf8'), '{ oops');
  });

  it('a file over 1 MiB is not read (warning), and not written either', async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    await store.update(file, 'a', { model: 'openai/gpt-5' }, T);
    writeFileSync(file, `{"a": {"modelOverride": "x/y"}, "pad": "${'x'.repeat(1024 * 1024)}"}`);
    const snap = new SessionStore().read(file);
    assert.deepEqual(Object.keys(snap.sessions), []);
    assert.match(snap.warnings[0]!, /over the 1 MiB limit/);
    await assert.rejects(store.update(file, 'a', { pin: 'openai:x' }, T), (err: unknown) => err instanceof OpenSoulError && err.kind === 'STORE_INVALID');
  });

  it('refuses a write that would take the file past 1 MiB, so the sessions in it stay readable (INVALID_INPUT)', async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    await store.update(file, 'pinned', { model: 'openai/gpt-5', pin: 'openai:x' }, T);
    const doc = onDisk(file);
    // Filled to within one entry of the limit; the new session's id (200 characters) does not fit.
    let n = 0;
    for (const step of [256, 16, 1]) {
      for (;;) {
        const ids = Array.from({ length: step }, (_, i) => `telegram:${1e9 + n + i}`);
        for (const id of ids) doc[id] = { ...doc.pinned, sessionId: id };
        if (JSON.stringify(doc, null, 2).length > 1024 * 1024 - 100) {
          for (const id of ids) delete doc[id];
          break;
        }
        n += step;
      }
    }
    writeFileSync(file, `${JSON.stringify(doc, null, 2)}\n`);
    const before = readFileSync(file, 'utf8');
    await assert.rejects(store.update(file, 'x'.repeat(200), { model: 'openai/gpt-5', pin: 'openai:x' }, T), (err: unknown) => {
      assert.ok(err instanceof OpenSoulError && err.kind === 'INVALID_INPUT', String(err));
      assert.match(
        err.message,
        /would grow past its 1 MiB limit \(\d+ sessions\) even with every unpinned session pruned: remove the pinned sessions no longer used/,
      );
      return true;
    });
    assert.equal(readFileSync(file, 'utf8'), before, 'the file is left as it was');
    assert.equal(new SessionStore().get(file, 'pinned')?.pin, 'openai:x', 'and read as before');
    // A change that does not grow it past the limit still lands.
    assert.equal((await store.update(file, 'pinned', { pin: null }, T)).pin, null);
  });

  it('loses no entry when many writes race, from one store and from two (two processes)', async () => {
    const file = sessionsFile();
    const one = new SessionStore();
    const two = new SessionStore();
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 === 0 ? one : two).update(file, `s${i}`, { model: `openai/m-${i}`, pin: i % 3 === 0 ? `openai:p${i}` : null }, T + i),
      ),
    );
    const snap = new SessionStore().read(file);
    assert.equal(Object.keys(snap.sessions).length, 40);
    for (let i = 0; i < 40; i++) {
      assert.equal(snap.sessions[`s${i}`]?.model, `openai/m-${i}`);
      assert.equal(snap.sessions[`s${i}`]?.pin, i % 3 === 0 ? `openai:p${i}` : null);
    }
  });

  it('validates session ids: 1-200 characters, no control characters, not __proto__', async () => {
    assert.equal(sessionIdProblem('agent:main:telegram:12345'), null);
    assert.equal(sessionIdProblem('x'.repeat(200)), null);
    assert.notEqual(sessionIdProblem(''), null);
    assert.notEqual(sessionIdProblem('x'.repeat(201)), null);
    assert.notEqual(sessionIdProblem('a\nb'), null);
    assert.notEqual(sessionIdProblem('a\u0000b'), null);
    assert.notEqual(sessionIdProblem('__proto__'), null);
    await assert.rejects(
      new SessionStore().update(sessionsFile(), 'a\nb', { model: null }, T),
      (err: unknown) => err instanceof OpenSoulError && err.kind === 'INVALID_INPUT',
    );
    // Entries under ids we refuse are skipped on read, not fatal.
    const parsed = parseSessionsText('{"ok": {"modelOverride": "a/b"}, "bad\\u0001id": {}, "n": 3}');
    assert.ok(parsed.ok);
    assert.deepEqual(Object.keys(parsed.snapshot.sessions), ['ok']);
    assert.match(parsed.snapshot.warnings[0]!, /2 entries .* skipped \(kept in the file\)/);
  });

  it('session ids named like Object.prototype members are ordinary ids', async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    await store.update(file, 'constructor', { model: 'openai/gpt-5' }, T);
    await store.update(file, 'toString', { pin: 'openai:x' }, T);
    assert.equal(store.get(file, 'constructor')?.model, 'openai/gpt-5');
    assert.equal(store.get(file, 'toString')?.pin, 'openai:x');
    assert.equal(store.get(file, 'hasOwnProperty'), null);
  });

  it('past its budget, a write first drops the picker lists of the least recently used sessions; entries, pins and unknown keys stay', async () => {
    const file = sessionsFile();
    const pruned: PruneOutcome[] = [];
    const store = new SessionStore({ pruned: (_f, o) => pruned.push(o) });
    const doc: Record<string, unknown> = { old: { ...pinned('old', T - 400 * DAY), modelPickerList: LIST } };
    const n = fillTo(doc, PRUNE_BUDGET_BYTES - 2048, (i) => [
      `s${i}`,
      { sessionId: `s${i}`, updatedAt: T - DAY + i, thinkingLevel: 'high', modelPickerList: LIST },
    ]);
    writeDoc(file, doc);
    // Under the budget, a write lands as it always did: nothing pruned.
    await store.update(file, 'under', { model: 'openai/gpt-5' }, T);
    assert.equal(pruned.length, 0);
    assert.equal(Object.values(onDisk(file)).filter((e) => e.modelPickerList).length, n + 1);
    // This one takes it past the budget: lists go, oldest first, until the file is under the target.
    await store.update(file, 'new', { modelList: LIST }, T + 1);
    assert.equal(pruned.length, 1, 'one pass, reported once');
    const { lists, empty, models, bytesAfter } = pruned[0]!;
    assert.deepEqual({ empty, models }, { empty: 0, models: 0 });
    assert.ok(statSync(file).size <= PRUNE_TARGET_BYTES);
    assert.equal(bytesAfter, statSync(file).size);
    const after = onDisk(file);
    assert.equal(Object.keys(after).length, n + 3, 'every entry stays');
    assert.equal(after.old!.authProfileOverride, 'openai:x');
    assert.equal(after.old!.modelPickerList, undefined, 'the oldest list went first');
    for (let i = 0; i < n; i++) {
      assert.equal(after[`s${i}`]!.thinkingLevel, 'high');
      assert.equal(after[`s${i}`]!.modelPickerList === undefined, i < lists - 1, `s${i}'s list`);
    }
    assert.deepEqual(after.new!.modelPickerList, LIST);
    assert.equal(after.under!.modelOverride, 'gpt-5');
  });

  it('a new pin in a file near 1 MiB lands: sessions with nothing of ours go first, then unpinned models, oldest first; no pin goes', async () => {
    const file = sessionsFile();
    const pruned: PruneOutcome[] = [];
    const store = new SessionStore({ pruned: (_f, o) => pruned.push(o) });
    const doc: Record<string, unknown> = {};
    for (let i = 0; i < 10; i++) doc[`p${i}`] = pinned(`p${i}`, T - 1000 * DAY + i);
    // Entries with nothing of ours are the most recent here: still they go before any model.
    const e = fillTo(doc, 64 * 1024, (i) => [`e${i}`, { sessionId: `e${i}`, updatedAt: T - i, channel: 'telegram' }]);
    const m = fillTo(doc, MAX_STATE_FILE_BYTES - 300, (i) => [`m${i}`, withModel(`m${i}`, T - 100 * DAY + i)]);
    writeDoc(file, doc);
    const id = 'x'.repeat(200);
    const rec = await store.update(file, id, { model: 'openai/gpt-5', pin: 'openai:x' }, T);
    assert.equal(rec.pin, 'openai:x');
    assert.equal(pruned.length, 1);
    assert.equal(pruned[0]!.lists, 0);
    assert.equal(pruned[0]!.empty, e);
    const after = onDisk(file);
    assert.equal(after[id]!.authProfileOverride, 'openai:x');
    for (let i = 0; i < 10; i++) assert.equal(after[`p${i}`]!.authProfileOverride, 'openai:x', `pin p${i} stays, though it is the oldest`);
    assert.equal(Object.keys(after).filter((k) => k.startsWith('e')).length, 0);
    const gone = pruned[0]!.models;
    assert.ok(gone > 0 && gone < m);
    for (let i = 0; i < m; i++) assert.equal(after[`m${i}`] === undefined, i < gone, `m${i}`);
    assert.ok(statSync(file).size <= PRUNE_TARGET_BYTES);
    assert.equal(new SessionStore().get(file, 'p0')?.pin, 'openai:x', 'and a restarted daemon reads the pins');
  });

  it('a session read for a message counts as used: pruning keeps it over sessions written after it,', async () => {
    const file = sessionsFile();
    const store = new SessionStore();
    const doc: Record<string, unknown> = {};
    const m = fillTo(doc, PRUNE_BUDGET_BYTES - 1024, (i) => [`m${i}`, withModel(`m${i}`, T - 10 * DAY + i)]);
    writeDoc(file, doc);
    assert.equal(store.get(file, 'm0', T)?.model, 'openai/gpt-5');
    assert.equal(store.get(file, 'm1')?.model, 'openai/gpt-5', 'a read with no time is no use');
    assert.equal(store.get(file, 'not-there', T), null);
    await store.update(file, 'new', { modelList: LIST }, T + 1);
    const after = onDisk(file);
    assert.ok(after.m0, 'used a moment ago: kept');
    assert.equal(after.m1, undefined, 'the least recently used went');
    assert.ok(Object.keys(after).length < m);
  });

  it('after any sequence of writes to a file near its limit, every write lands, the file stays under its budget, and every pin stays', async () => {
    const kinds = fc.array(fc.record({ model: fc.boolean(), list: fc.boolean(), age: fc.nat(400) }), { minLength: 1, maxLength: 12 });
    const ids = fc.constantFrom('p0', 'p7', 'm0', 'm3', 'new-a', 'new-b', 'y'.repeat(200));
    const patch = fc.record(
      {
        model: fc.constantFrom(null, 'openai/gpt-5', 'anthropic/claude-opus-4-5'),
        pin: fc.constantFrom(null, 'openai:x', 'openai:y'),
        modelList: fc.constantFrom(null, LIST, LIST.slice(0, 3)),
      },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(kinds, fc.array(fc.tuple(ids, patch), { minLength: 1, maxLength: 10 }), async (pattern, writes) => {
        const file = sessionsFile();
        const doc: Record<string, unknown> = {};
        fillTo(doc, 200 * 1024, (i) => [`p${i}`, pinned(`p${i}`, T - 500 * DAY + i)]);
        fillTo(doc, MAX_STATE_FILE_BYTES - 1024, (i) => {
          const k = pattern[i % pattern.length]!;
          const entry = {
            ...(k.model ? withModel(`m${i}`, 0) : { sessionId: `m${i}` }),
            updatedAt: T - k.age * DAY,
            ...(k.list ? { modelPickerList: LIST } : {}),
          };
          return [`m${i}`, entry];
        });
        writeDoc(file, doc);
        const pins = new Map<string, string>(Object.keys(doc).flatMap((id) => (id.startsWith('p') ? [[id, 'openai:x'] as const] : [])));
        const store = new SessionStore();
        for (const [step, [id, change]] of writes.entries()) {
          const rec = await store.update(file, id, change, T + step);
          if (change.pin !== undefined) {
            if (change.pin === null) pins.delete(id);
            else pins.set(id, change.pin);
          }
          assert.ok(statSync(file).size <= PRUNE_BUDGET_BYTES, `write ${step} left ${statSync(file).size} bytes`);
          const after = onDisk(file);
          assert.ok(after[id], `the session written (${id}) is there`);
          assert.equal(rec.pin, pins.get(id) ?? null);
          for (const [pinnedId, pin] of pins) assert.equal(after[pinnedId]?.authProfileOverride, pin, `the pin of ${pinnedId}`);
        }
      }),
      { numRuns: 6 },
    );
  });
});
