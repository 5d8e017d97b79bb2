/**
 * Reading a secret from stdin (client/secret-input.ts) in a real child process: a pipe that
 * delivers in pieces, a descriptor left non-blocking, too much input, and a stdin that cannot
 * be read.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO, repoTempDir, track } from '../support/harness.js';

/** A child that prints what readStdin() gave (or its error), after `prelude` ran. */
function child(prelude: string): ReturnType<typeof spawn> {
  const file = path.join(repoTempDir(), 'read-stdin.mts');
  writeFileSync(
    file,
    `import { readSync } from 'node:fs';
import { readStdin } from ${JSON.stringify(path.join(REPO, 'client', 'secret-input.ts'))};
${prelude}
readStdin().then(
  (text) => process.stdout.write(JSON.stringify({ text })),
  (err) => process.stdout.write(JSON.stringify({ error: err.message })),
);
`,
  );
  return track(spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO, stdio: ['pipe', 'pipe', 'inherit'] }));
}

function output(c: ReturnType<typeof spawn>): Promise<string> {
  let out = '';
  c.stdout?.on('data', (d) => (out += String(d)));
  return new Promise((resolve) => c.on('close', () => resolve(out)));
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('client/secret-input: readStdin', () => {
  it('reads a pipe that delivers its secret in pieces, up to its end', async () => {
    const c = child('');
    const out = output(c);
    c.stdin?.write('sk-ant-oat01-first-');
    await sleep(200);
    c.stdin?.write('second\n');
    await sleep(100);
    c.stdin?.end('third');
    assert.deepEqual(JSON.parse(await out), { text: 'sk-ant-oat01-first-second\nthird' });
  });

  it('a descriptor left non-blocking (EAGAIN) is read through the stream, nothing lost', async () => {
    // Node's own stdin stream makes a pipe non-blocking; reading it directly then answers EAGAIN.
    const c = child(`process.stdin;
let probe = 'no EAGAIN';
try { readSync(0, Buffer.alloc(1)); } catch (err) { probe = err.code; }
process.stdout.write(probe + '\\n');`);
    let first = '';
    await new Promise<void>((resolve) =>
      c.stdout?.on('data', function onData(d) {
        first += String(d);
        if (first.includes('\n')) {
          c.stdout?.off('data', onData);
          resolve();
        }
      }),
    );
    assert.equal(first.split('\n')[0], 'EAGAIN', 'the test did not make stdin non-blocking');
    const rest = output(c);
    c.stdin?.write('sk-proj-abc');
    await sleep(100);
    c.stdin?.end('def');
    assert.deepEqual(JSON.parse(first.slice(first.indexOf('\n') + 1) + (await rest)), { text: 'sk-proj-abcdef' });
  });

  it('more than 64 KiB is refused', async () => {
    const c = child('');
    const out = output(c);
    c.stdin?.on('error', () => undefined);
    c.stdin?.end('x'.repeat(64 * 1024 + 1));
    assert.match((JSON.parse(await out) as { error: string }).error, /more than 64 KiB/);
  });

  it('a stdin that cannot be read (a directory) is a clear refusal, not an unexpected error', async () => {
    const file = path.join(repoTempDir(), 'dir-stdin.mts');
    writeFileSync(
      file,
      `import { readStdin } from ${JSON.stringify(path.join(REPO, 'client', 'secret-input.ts'))};
readStdin().then((t) => process.stdout.write('read ' + t), (e) => process.stdout.write(e.message));
`,
    );
    const dir = openSync(REPO, 'r');
    const c = track(spawn(process.execPath, ['--import', 'tsx', file], { cwd: REPO, stdio: [dir, 'pipe', 'inherit'] }));
    closeSync(dir);
    assert.match(await output(c), /stdin cannot be read \(EISDIR\)/);
  });
});
