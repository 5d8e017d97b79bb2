/** ipc/framing: NDJSON line splitting with an exact byte limit. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { createLineReader } from '../../ipc/framing.js';

function collect(max: number) {
  const lines: string[] = [];
  let overflows = 0;
  const r = createLineReader(
    max,
    (l) => lines.push(l),
    () => overflows++,
  );
  return { r, lines, overflows: () => overflows };
}

describe('ipc/framing', () => {
  it('splits on \\n, trims \\r, skips blank lines, and keeps a partial line until it ends', () => {
    const c = collect(100);
    c.r.push(Buffer.from('{"a":1}\r\n\n  \n{"b"'));
    assert.deepEqual(c.lines, ['{"a":1}']);
    assert.equal(c.r.pendingBytes, 4);
    c.r.push(Buffer.from(':2}\n'));
    assert.deepEqual(c.lines, ['{"a":1}', '{"b":2}']);
  });
  it('at the end of input, a last line without its newline counts (\r trimmed, blank skipped); nothing after an overflow', () => {
    const c = collect(100);
    c.r.push(Buffer.from('{"a":1}\n{"b":2}\r'));
    c.r.finish();
    assert.deepEqual(c.lines, ['{"a":1}', '{"b":2}']);
    assert.equal(c.r.pendingBytes, 0);
    const blank = collect(100);
    blank.r.push(Buffer.from('{"a":1}\n  '));
    blank.r.finish();
    assert.deepEqual(blank.lines, ['{"a":1}']);
    const over = collect(4);
    over.r.push(Buffer.from('x'.repeat(5)));
    over.r.finish();
    assert.deepEqual(over.lines, []);
  });
  it('reassembles multi-byte characters split across chunks', () => {
    const c = collect(100);
    const bytes = Buffer.from('{"s":"héllo ✓"}\n');
    for (const b of bytes) c.r.push(Buffer.from([b]));
    assert.deepEqual(c.lines, ['{"s":"héllo ✓"}']);
  });
  it('allows a line of exactly the limit in bytes and overflows at one byte more, once', () => {
    const ok = collect(10);
    ok.r.push(Buffer.from(`${'é'.repeat(5)}\n`)); // 10 bytes
    assert.equal(ok.lines.length, 1);
    const over = collect(10);
    over.r.push(Buffer.from('x'.repeat(6)));
    over.r.push(Buffer.from('x'.repeat(5)));
    over.r.push(Buffer.from('\nmore\n'));
    assert.equal(over.overflows(), 1);
    assert.deepEqual(over.lines, [], 'nothing is delivered after an overflow');
  });
  it('delivers the same lines however the stream is chunked (property)', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string({ maxLength: 30 }).map((s) => s.replace(/[\n\r]/g, '')),
          { maxLength: 20 },
        ),
        fc.array(fc.nat(50), { maxLength: 20 }),
        (lines, cuts) => {
          const text = Buffer.from(lines.map((l) => `${l}\n`).join(''));
          const c = collect(1000);
          let at = 0;
          for (const cut of cuts) {
            const end = Math.min(text.length, at + cut);
            c.r.push(text.subarray(at, end));
            at = end;
          }
          c.r.push(text.subarray(at));
          assert.deepEqual(
            c.lines,
            lines.filter((l) => l.trim() !== ''),
          );
        },
      ),
      { numRuns: 300 },
    );
  });
});
