/** ipc/shell-quote: a word printed in advice reaches a real POSIX shell as exactly that word. */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fc from 'fast-check';
import { shellQuote } from '../../ipc/shell-quote.js';

const throughSh = (word: string): string => execFileSync('sh', ['-c', `printf '%s' ${shellQuote(word)}`], { encoding: 'utf8' });

describe('ipc/shell-quote', () => {
  it('leaves a plain path bare and quotes the rest', () => {
    assert.equal(shellQuote('/home/a/.opensoul/.env'), '/home/a/.opensoul/.env');
    assert.equal(shellQuote('/Users/Jane Doe/.opensoul'), "'/Users/Jane Doe/.opensoul'");
    assert.equal(shellQuote("it's"), "'it'\\''s'");
    assert.equal(shellQuote(''), "''");
  });

  it('sh reads back every string (no NUL) as exactly that one word: spaces, quotes, $( ), backticks, newlines, globs', () => {
    const hostile = fc.constantFrom(' ', "'", '"', '$', '(', ')', '`', '\\', '\n', '*', '?', '[', ';', '&', '|', '~', '#', 'é', 'a', '/');
    fc.assert(
      fc.property(fc.string({ unit: hostile, maxLength: 24 }), (word) => {
        assert.equal(throughSh(word), word);
      }),
      { numRuns: 60 },
    );
  });
});
