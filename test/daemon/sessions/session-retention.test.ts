/** daemon/sessions/session-retention: what a sessions file past its budget prunes, in which order, and what it never touches. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { dict } from '../../../ipc/dict.js';
import type { Dict } from '../../../ipc/dict.js';
import { describePrune, pruneSessions, sessionsText } from '../../../daemon/sessions/session-retention.js';
import type { EntryKind, PruneOptions } from '../../../daemon/sessions/session-retention.js';

const kindOf = (e: Readonly<Record<string, unknown>>): EntryKind => (e.pin ? 'pinned' : e.model ? 'model' : 'nothing');
const bytes = (doc: Dict<unknown>) => Buffer.byteLength(sessionsText(doc));

function options(keep: string, budget: number, target: number): PruneOptions {
  return { keep, prunable: (id) => id !== 'bad id', kind: kindOf, lastUsed: (_id, e) => (typeof e.updatedAt === 'number' ? e.updatedAt : 0), budget, target };
}

interface Spec {
  kind: EntryKind;
  list: boolean;
  used: number;
}

const entryOf = (s: Spec): Record<string, unknown> => ({
  updatedAt: s.used,
  extra: 'kept',
  ...(s.kind === 'pinned' ? { pin: 'p' } : s.kind === 'model' ? { model: 'm' } : {}),
  ...(s.list ? { modelPickerList: ['a/b', 'c/d', 'e/f'] } : {}),
});

const specs = fc.array(
  fc.record({ kind: fc.constantFrom<EntryKind>('pinned', 'model', 'nothing'), list: fc.boolean(), used: fc.integer({ min: 0, max: 50 }) }),
  { maxLength: 40 },
);

describe('session retention', () => {
  it('prunes nothing at or under the budget', () => {
    const doc = dict<unknown>(Array.from({ length: 20 }, (_, i) => [`s${i}`, entryOf({ kind: 'nothing', list: true, used: i })] as const));
    const before = sessionsText(doc);
    assert.equal(pruneSessions(doc, options('s0', bytes(doc), 0)), null);
    assert.equal(sessionsText(doc), before);
  });

  it('lists first, then entries with nothing of ours, then unpinned models, oldest first; never a pin, the kept session or an id it cannot read', () => {
    fc.assert(
      fc.property(specs, fc.nat(39), fc.integer({ min: 0, max: 5000 }), fc.integer({ min: 0, max: 1500 }), (all, keepAt, budget, gap) => {
        const doc = dict<unknown>(all.map((s, i) => [`s${i}`, entryOf(s)] as const));
        doc['bad id'] = entryOf({ kind: 'nothing', list: true, used: 0 });
        doc.foreign = 'not an entry';
        const keep = `s${keepAt}`;
        const original = structuredClone(doc);
        const target = Math.max(0, budget - gap);
        const size = bytes(doc);
        const outcome = pruneSessions(doc, options(keep, budget, target));
        assert.deepEqual(doc[keep], original[keep], 'the session written is untouched');
        assert.deepEqual(doc['bad id'], original['bad id']);
        assert.equal(doc.foreign, 'not an entry');
        if (size <= budget) {
          assert.equal(outcome, null);
          return;
        }
        const gone = Object.keys(original).filter((id) => !(id in doc));
        const stayed = Object.keys(doc).filter((id) => id !== keep && id.startsWith('s'));
        const spec = (id: string) => all[Number(id.slice(1))]!;
        for (const id of Object.keys(original).filter((k) => k.startsWith('s') && spec(k).kind === 'pinned')) assert.ok(id in doc, `pinned ${id} is kept`);
        for (const id of stayed) {
          const { modelPickerList: _list, ...rest } = original[id] as Record<string, unknown>;
          const now = doc[id] as Record<string, unknown>;
          assert.deepEqual({ ...now, modelPickerList: undefined }, { ...rest, modelPickerList: undefined }, 'an entry that stays keeps every other key');
        }
        const listsLeft = stayed.filter((id) => Object.hasOwn(doc[id] as object, 'modelPickerList'));
        const listsGone = stayed.filter((id) => spec(id).list && !listsLeft.includes(id));
        // Each step starts only once the one before has nothing left, and goes oldest first.
        if (gone.length > 0) assert.deepEqual(listsLeft, [], 'entries go only once every list is gone');
        if (gone.some((id) => spec(id).kind === 'model'))
          assert.ok(
            stayed.every((id) => spec(id).kind !== 'nothing'),
            'models go only once the entries with nothing are gone',
          );
        for (const [goneIds, keptIds] of [
          [listsGone, listsLeft],
          [gone.filter((id) => spec(id).kind === 'nothing'), stayed.filter((id) => spec(id).kind === 'nothing')],
          [gone.filter((id) => spec(id).kind === 'model'), stayed.filter((id) => spec(id).kind === 'model')],
        ] as const) {
          for (const g of goneIds) for (const k of keptIds) assert.ok(spec(g).used <= spec(k).used, `${g} pruned before the older ${k}`);
        }
        const after = bytes(doc);
        if (outcome === null) {
          assert.equal(after, size, 'nothing pruned: nothing changed');
          return;
        }
        const goneOf = (kind: EntryKind) => gone.filter((id) => spec(id).kind === kind).length;
        assert.deepEqual([outcome.lists, outcome.empty, outcome.models], [listsGone.length, goneOf('nothing'), goneOf('model')]);
        assert.deepEqual([outcome.bytesBefore, outcome.bytesAfter], [size, after]);
        // It stops at the target; short of it only when nothing prunable is left.
        const prunableLeft = listsLeft.length > 0 || stayed.some((id) => spec(id).kind !== 'pinned');
        if (after > target) assert.ok(!prunableLeft, 'over the target with something still prunable');
      }),
    );
  });

  it('words what it pruned for the log', () => {
    assert.equal(
      describePrune({ lists: 3, empty: 1, models: 2, bytesBefore: 0, bytesAfter: 0 }),
      '3 /model picker lists, 1 session without a model or pin, 2 unpinned sessions with a model',
    );
    assert.equal(describePrune({ lists: 1, empty: 0, models: 0, bytesBefore: 0, bytesAfter: 0 }), '1 /model picker list');
  });
});
