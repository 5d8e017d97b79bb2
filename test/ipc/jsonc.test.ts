/** ipc/jsonc: the depth bound that runs before any recursive parser (valid JSON 5,000 deep overflowed the stack). */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { MAX_JSON_DEPTH, parseJsonc, tooDeepAt } from '../../ipc/jsonc.js';

const nested = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;

describe('parseJsonc depth bound', () => {
  it('refuses valid JSON nested 5,000 and 100,000 deep with a position, never a stack overflow', () => {
    for (const n of [5_000, 100_000]) {
      const r = parseJsonc(`{"version": 1, "profiles": {}, "x": ${nested(n)}}`);
      assert.equal(r.ok, false);
      if (!r.ok) assert.match(r.error.message, /^line 1, column \d+: nested deeper than 64 levels$/);
    }
  });

  it('accepts exactly 64 levels and refuses 65', () => {
    assert.equal(parseJsonc(nested(MAX_JSON_DEPTH)).ok, true);
    assert.equal(parseJsonc(nested(MAX_JSON_DEPTH + 1)).ok, false);
  });

  it('does not count brackets inside strings or comments', () => {
    const text = `{\n  // ${'['.repeat(100)}\n  /* ${'{'.repeat(100)} */\n  "a": "${'['.repeat(100)}\\" ${'{'.repeat(100)}"\n}`;
    const r = parseJsonc(text);
    assert.equal(r.ok, true, r.ok ? '' : r.error.message);
  });

  it('agrees with a recursive count on random nestings of arrays, objects and strings', () => {
    type Tree = string | Tree[] | { [k: string]: Tree };
    const depthOf = (t: Tree): number => (typeof t === 'string' ? 0 : 1 + Math.max(0, ...(Array.isArray(t) ? t : Object.values(t)).map(depthOf)));
    const { tree } = fc.letrec<{ tree: Tree }>((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: fc.constantFrom('[', ']', '{', '}', '"', '\\', 'a') }),
        fc.array(tie('tree'), { maxLength: 3 }),
        fc.dictionary(fc.string({ maxLength: 3 }), tie('tree'), { maxKeys: 2 }),
      ),
    }));
    fc.assert(
      fc.property(tree, fc.integer({ min: 0, max: 6 }), (t, limit) => {
        const text = JSON.stringify(t);
        assert.equal(tooDeepAt(text, limit) !== -1, depthOf(t) > limit);
      }),
    );
  });
});
