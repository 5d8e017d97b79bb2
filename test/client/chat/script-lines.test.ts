/** `opensoul chat` reading a script's stdin (client/chat/repl.ts scriptLines): the lines readline would give, however the input is chunked. */
import assert from 'node:assert/strict';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import fc from 'fast-check';
import { scriptLines } from '../../../client/chat/repl.js';

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const line of it) out.push(line);
  return out;
}

/** What readline (terminal: false, the REPL's former reader of a pipe) makes of the same chunks. */
function readlineLines(chunks: string[]): Promise<string[]> {
  return collect(readline.createInterface({ input: Readable.from(chunks), terminal: false, crlfDelay: Number.POSITIVE_INFINITY }));
}

describe('chat: lines of a script on stdin', function () {
  it('splits on \\n, \\r\\n and a lone \\r, and keeps a last line without a newline', async function () {
    assert.deepEqual(await collect(scriptLines(Readable.from(['/model status\n', 'hi\r\nthere\rlast']))), ['/model status', 'hi', 'there', 'last']);
    assert.deepEqual(await collect(scriptLines(Readable.from(['a\r', '\nb\n']))), ['a', 'b'], 'a \\r\\n split across two chunks is one line end');
    assert.deepEqual(await collect(scriptLines(Readable.from(['\n\nx\n']))), ['', '', 'x'], 'empty lines are lines');
    assert.deepEqual(await collect(scriptLines(Readable.from([]))), []);
    assert.deepEqual(await collect(scriptLines(Readable.from([Buffer.from('é\n')]))), ['é'], 'bytes are read as UTF-8');
  });

  it('gives what readline gives, for any text cut into any chunks', async function () {
    const text = fc.array(fc.constantFrom('a', 'b', ' ', '/', '\n', '\r', 'é'), { maxLength: 40 }).map((cs) => cs.join(''));
    await fc.assert(
      fc.asyncProperty(text, fc.array(fc.nat(40), { maxLength: 6 }), async (s, cuts) => {
        const at = [...new Set(cuts.filter((c) => c < s.length))].sort((a, b) => a - b);
        const chunks = [0, ...at].map((from, i) => s.slice(from, at[i] ?? s.length)).filter((c) => c !== '');
        assert.deepEqual(await collect(scriptLines(Readable.from(chunks))), await readlineLines(chunks));
      }),
      { numRuns: 300 },
    );
  });
});
