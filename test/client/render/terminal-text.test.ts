/** Text that is not ours on a terminal (client/render/terminal-text.ts), pure: control characters shown, never obeyed. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { forTerminal, jsonLine } from '../../../client/render/terminal-text.js';

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
});
