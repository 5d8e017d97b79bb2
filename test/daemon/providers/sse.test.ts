/** daemon/providers/sse: the incremental event-stream parser, fed in arbitrary pieces. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SseLimitError, SseParser } from '../../../daemon/providers/sse.js';
import type { SseEvent } from '../../../daemon/providers/sse.js';

function parseAll(chunks: readonly (Uint8Array | string)[]): SseEvent[] {
  const p = new SseParser();
  return [...chunks.flatMap((c) => p.push(c)), ...p.end()];
}

describe('SseParser', () => {
  it('reads event and data fields, joins multi-line data, skips comments, defaults the type to message', () => {
    const events = parseAll(['event: a\ndata: one\ndata:two\n\n: a comment\ndata:  lead\n\nid: 7\ndata\n\n']);
    assert.deepEqual(events, [
      { event: 'a', data: 'one\ntwo' },
      { event: 'message', data: ' lead' },
      { event: 'message', data: '', id: '7' },
    ]);
  });

  it('accepts LF, CRLF and CR line endings, also split between CR and LF', () => {
    assert.deepEqual(
      parseAll(['data: x\r\n\r\ndata: y\r\rdata: z\n\n']).map((e) => e.data),
      ['x', 'y', 'z'],
    );
    assert.deepEqual(
      parseAll(['data: x\r', '\n', '\r', '\ndata: y\r', '\r']).map((e) => e.data),
      ['x', 'y'],
    );
  });

  it('drops an event whose blank line never came, and a block with no data', () => {
    assert.deepEqual(parseAll(['event: x\n\ndata: cut']), []);
  });

  it('decodes a multi-byte character split across chunks', () => {
    const bytes = new TextEncoder().encode('data: €🦀\n\n');
    assert.deepEqual(parseAll([...bytes].map((b) => Uint8Array.of(b))), [{ event: 'message', data: '€🦀' }]);
  });

  it('refuses a line longer than its bound instead of growing without limit', () => {
    const p = new SseParser(1000);
    assert.throws(() => p.push('data: ' + 'x'.repeat(2000)), SseLimitError);
    const q = new SseParser(1000);
    assert.throws(() => {
      for (let i = 0; i < 50; i++) q.push('data: ' + 'y'.repeat(100) + '\n');
    }, SseLimitError);
  });

  it('any split of a valid stream into byte chunks gives the same events (property)', () => {
    const text = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ':', 'é', '€', '🦀', '{', '"', '}'), maxLength: 12 });
    const event = fc.record({
      event: fc.option(fc.stringMatching(/^[a-z_]{1,10}$/), { nil: undefined }),
      data: fc.array(text, { minLength: 1, maxLength: 3 }),
      comment: fc.boolean(),
    });
    const stream = fc.record({ events: fc.array(event, { maxLength: 6 }), eol: fc.constantFrom('\n', '\r\n', '\r') });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), ({ events, eol }, cuts) => {
        const body = events
          .map((e) => [...(e.comment ? [': ping'] : []), ...(e.event ? [`event: ${e.event}`] : []), ...e.data.map((d) => `data: ${d}`), ''].join(eol) + eol)
          .join('');
        const expected = events.map((e) => ({ event: e.event ?? 'message', data: e.data.join('\n') }));
        const bytes = new TextEncoder().encode(body);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Uint8Array[] = [];
        let from = 0;
        for (const p of [...points, bytes.length]) {
          chunks.push(bytes.subarray(from, p));
          from = p;
        }
        assert.deepEqual(parseAll(chunks), expected);
        assert.deepEqual(parseAll([bytes]), expected);
      }),
      { numRuns: 300 },
    );
  });
});
