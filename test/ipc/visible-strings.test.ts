/** Control characters in every string of a value made visible (ipc/visible-strings.ts), pure: the CLI's views and the daemon's replies. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { visibleStrings } from '../../ipc/visible-strings.js';

describe('visible strings', function () {
  it('shows every control character of every string in a value, keys and line feeds too, and leaves the rest as it is', function () {
    const value = { 'a\nb': ['x\u001b[2J', 1, null, true, { id: 'p:\t\u009b' }], plain: 'ünïcödé 👋' };
    assert.deepEqual(visibleStrings(value), { 'a^Jb': ['x^[[2J', 1, null, true, { id: 'p:^IM-^[' }], plain: 'ünïcödé 👋' });
  });

  it('copies only what changes: the same result as a full copy, the value untouched, a clean value returned as it is', function () {
    const fullCopy = (v: unknown): unknown =>
      typeof v === 'string'
        ? v.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => visibleStrings(c)) // eslint-disable-line no-control-regex -- the oracle
        : Array.isArray(v)
          ? v.map(fullCopy)
          : v !== null && typeof v === 'object'
            ? Object.fromEntries(Object.entries(v).map(([k, x]) => [fullCopy(k), fullCopy(x)]))
            : v;
    const text = fc.string({ unit: fc.constantFrom('a', 'b', '\n', '\u001b', '\u009b', '__proto__', 'é') });
    fc.assert(
      fc.property(fc.jsonValue(), fc.dictionary(text, fc.oneof(text, fc.array(text), fc.integer())), (json, dict) => {
        for (const value of [json, dict, { nested: [dict, json] }]) {
          const before = JSON.stringify(value);
          const shown = visibleStrings(value);
          assert.equal(JSON.stringify(shown), JSON.stringify(fullCopy(value)));
          assert.equal(JSON.stringify(value), before);
          if (JSON.stringify(fullCopy(value)) === before) assert.equal(shown, value);
        }
      }),
    );
    const proto = JSON.parse('{"__proto__": "x\\u001b", "a": 1}') as Record<string, unknown>;
    assert.deepEqual(Object.keys(visibleStrings(proto)), ['__proto__', 'a']);
    assert.equal(Object.getPrototypeOf(visibleStrings(proto)), Object.prototype);
  });
});
