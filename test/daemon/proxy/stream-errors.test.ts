/** daemon/proxy/stream-errors: an error event inside a relayed 200 stream is seen, once, wherever the chunks split. */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { watchStreamErrors } from '../../../daemon/proxy/stream-errors.js';
import type { Classification } from '../../../daemon/providers/classify.js';

const ANTHROPIC_OVERLOAD = [
  'event: message_start\ndata: {"type":"message_start","message":{"id":"m","content":[]}}\n\n',
  'event: content_block_delta\ndata: {"type":"content_block_delta","delta":{"type":"text_delta","text":"Hel — lo"}}\n\n',
  'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
].join('');
const OPENAI_RATE_LIMIT = [
  'data: {"choices":[{"delta":{"content":"Hi"}}]}\n\n',
  'data: {"error":{"code":429,"message":"Rate limit reached for requests"}}\n\n',
].join('');
const HEALTHY = 'data: {"choices":[{"delta":{"content":"the word error in a reply is fine"}}]}\n\ndata: [DONE]\n\n';

function run(text: string, cuts: number[]): Classification[] {
  const seen: Classification[] = [];
  const watch = watchStreamErrors('claude-sonnet-4-5', (c) => seen.push(c));
  const bytes = Buffer.from(text, 'utf8');
  let at = 0;
  for (const cut of [...cuts.filter((c) => c > 0 && c < bytes.length)].sort((a, b) => a - b).concat(bytes.length)) {
    if (cut > at) watch(bytes.subarray(at, cut));
    at = cut;
  }
  return seen;
}

describe('daemon/proxy/stream-errors', () => {
  it("classifies Anthropic's error event and an OpenAI-compatible error chunk; a healthy stream says nothing", () => {
    assert.deepEqual(
      run(ANTHROPIC_OVERLOAD, []).map((c) => c.outcome),
      ['overloaded'],
    );
    assert.deepEqual(
      run(OPENAI_RATE_LIMIT, []).map((c) => c.outcome),
      ['rate_limit'],
    );
    assert.deepEqual(run(HEALTHY, []), []);
  });

  it('sees the error once however the stream is cut into chunks (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: ANTHROPIC_OVERLOAD.length + 4 }), { maxLength: 12 }), (cuts) => {
        assert.deepEqual(
          run(ANTHROPIC_OVERLOAD, cuts).map((c) => c.outcome),
          ['overloaded'],
        );
        assert.deepEqual(run(HEALTHY, cuts), []);
      }),
      { numRuns: 300 },
    );
  });
});
