/** daemon/proxy/secret-scrubber: a secret is masked however the body is cut into chunks, and the length never changes. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { secretScrubber } from '../../../daemon/proxy/secret-scrubber.js';

const SECRET = 'sk-ant-api03-secretsecret';
const MASK = '*'.repeat(SECRET.length);

function through(secret: string, chunks: string[]): string {
  const s = secretScrubber(secret);
  return [...chunks.map((c) => s.push(Buffer.from(c))), s.end()].map((b) => b.toString()).join('');
}

describe('daemon/proxy/secret-scrubber', () => {
  it('masks every whole occurrence, also one split across chunks, and keeps the length', () => {
    assert.equal(through(SECRET, [`a ${SECRET} b ${SECRET}`]), `a ${MASK} b ${MASK}`);
    assert.equal(through(SECRET, ['data: sk-ant', '-api03-secret', 'secret\n\n']), `data: ${MASK}\n\n`);
    assert.equal(through(SECRET, ['ends in sk-', 'but is not the key']), 'ends in sk-but is not the key');
    assert.equal(through(SECRET, ['ends in sk-']), 'ends in sk-', 'what was held back comes out at the end');
  });

  it('holds nothing back when a chunk cannot end in the beginning of the secret (an event ends in a blank line)', () => {
    const s = secretScrubber(SECRET);
    assert.equal(s.push(Buffer.from('data: {"a":1}\n\n')).toString(), 'data: {"a":1}\n\n');
    assert.equal(s.end().length, 0);
  });

  it('whatever the chunks: the output is the input with each occurrence masked', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom('sk-', 'ant-', SECRET, 'x', 's', SECRET.slice(0, 9), SECRET.slice(9), '\n')), fc.array(fc.nat()), (parts, cuts) => {
        const text = parts.join('');
        const at = [...new Set(cuts.map((c) => c % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...at, text.length].slice(1).map((end, i, ends) => text.slice(i === 0 ? 0 : ends[i - 1], end));
        assert.equal(through(SECRET, chunks), text.split(SECRET).join(MASK));
      }),
    );
  });
});
