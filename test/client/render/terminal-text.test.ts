/** Text that is not ours on a terminal (client/render/terminal-text.ts), pure: control characters shown, never obeyed. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forTerminal, jsonLine, visibleStrings } from '../../../client/render/terminal-text.js';

describe('text for a terminal', function () {
  it('shows escape sequences, OSC clipboard and title writes, C1 controls and lone carriage returns in caret notation', function () {
    assert.equal(forTerminal('a\u001b[31mred\u001b[0m'), 'a^[[31mred^[[0m');
    assert.equal(forTerminal('\u001b]52;c;ZWNobw==\u0007'), '^[]52;c;ZWNobw==^G');
    assert.equal(forTerminal('\u001b]0;title\u001b\\'), '^[]0;title^[\\');
    assert.equal(forTerminal('\u009b31m \u0090q\u009c'), 'M-^[31m M-^PqM-^\\');
    assert.equal(forTerminal('rm -rf ~\rls'), 'rm -rf ~^Mls');
    assert.equal(forTerminal('\u0000\u0008\u007f'), '^@^H^?');
  });

  it('keeps text, tabs, line feeds and Windows line ends (as line feeds) as they are', function () {
    assert.equal(forTerminal('Hello,\tworld.\nNext — ünïcödé 👋\r\nlast'), 'Hello,\tworld.\nNext — ünïcödé 👋\nlast');
  });

  it('leaves no control character but tab and line feed, whatever the input (property)', function () {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        // eslint-disable-next-line no-control-regex -- what must not remain
        assert.doesNotMatch(forTerminal(s), /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
      }),
    );
  });

  it('a JSON line escapes DEL and C1 too, and still reads back as the same value', function () {
    const value = { reply: 'a\u009b31m\u007f\u001b[0m' };
    const line = jsonLine(value);
    assert.doesNotMatch(line, /[\u0000-\u001f\u007f-\u009f]/); // eslint-disable-line no-control-regex -- what must not remain
    assert.deepEqual(JSON.parse(line), value);
  });

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
