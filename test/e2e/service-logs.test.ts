/** `gateway logs [-n N] [-f]`: the end of the daemon's log, and following it across rotation. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { CLI, assertNoSecrets, cleanEnv, cli, fakeSecret, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
import path from 'node:path';

const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe('gateway logs', function () {
  it('-n N prints the last N lines of logs/gateway.log (default 50); -n 0 prints none; a bad -n is a usage error', async () => {
    const d = await startDaemon();
    // The daemon answers before it logs "listening": wait for that line so ours come last.
    await waitFor(() => d.log().includes('listening'), 'the daemon to log that it listens');
    // Lines of our own after the daemon's: the tail must be exactly these, in order.
    const extra = Array.from({ length: 60 }, (_, i) => JSON.stringify({ level: 'info', message: `marker ${i}` }));
    appendFileSync(d.paths.log, `${extra.join('\n')}\n`);
    const three = await d.cli(['gateway', 'logs', '-n', '3']);
    assert.equal(three.code, 0, three.stderr);
    assert.deepEqual(lines(three.stdout), extra.slice(-3));
    const all = await d.cli(['gateway', 'logs']);
    assert.deepEqual(lines(all.stdout), lines(readFileSync(d.paths.log, 'utf8')).slice(-50));
    const many = await d.cli(['gateway', 'logs', '--lines', '100000']);
    assert.deepEqual(lines(many.stdout), lines(readFileSync(d.paths.log, 'utf8')));
    const none = await d.cli(['gateway', 'logs', '-n', '0']);
    assert.equal(none.stdout, '');
    for (const bad of ['abc', '-1', '2.5']) {
      const r = await d.cli(['gateway', 'logs', '-n', bad]);
      assert.equal(r.code, 64, `${bad}: ${r.stderr}`);
    }
  });

  it('exits 1 with a clear message when there is no log yet', async () => {
    const r = await cli(['gateway', 'logs'], { stateDir: path.join(tempDir(), 'state') });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no log at .*gateway\.log yet/);
  });

  it('-f prints new lines as the daemon writes them (driven by `gateway reload`), follows the file across rotation, and stops on SIGINT', async () => {
    const d = await startDaemon();
    const secret = fakeSecret('sk-ant-api03-', 70);
    const follower = track(
      spawn(process.execPath, [CLI, 'gateway', 'logs', '-f', '-n', '1'], { env: cleanEnv({ ...d.env }), stdio: ['ignore', 'pipe', 'pipe'] }),
    );
    let out = '';
    let err = '';
    follower.stdout?.setEncoding('utf8').on('data', (t: string) => (out += t));
    follower.stderr?.setEncoding('utf8').on('data', (t: string) => (err += t));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      follower.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await waitFor(() => lines(out).length >= 1, 'the last line');
    assert.equal(lines(out).length, 1, '-n 1: one line of history');

    // A change and a reload: the daemon logs "reloaded" (with a secret now loaded, and redacted).
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${secret}\n`);
    assert.equal((await d.cli(['gateway', 'reload'])).code, 0);
    await waitFor(() => /"message":"reloaded"/.test(out), 'the reload line in the follower');

    // Rotation as the daemon does it: rename to .1; the next line goes into a new gateway.log.
    renameSync(d.paths.log, `${d.paths.log}.1`);
    writeFileSync(d.paths.dotenv, 'OPENAI_API_KEY=sk-proj-rotation-marker-not-a-secret-0000000000\n');
    assert.equal((await d.cli(['gateway', 'reload'])).code, 0);
    await waitFor(() => readFileSync(d.paths.log, 'utf8').includes('reloaded'), 'the daemon to write into the new file');
    const fresh = lines(readFileSync(d.paths.log, 'utf8'));
    await waitFor(() => fresh.every((l) => out.includes(l)), 'the lines of the new file in the follower');

    follower.kill('SIGINT');
    const { code, signal } = await exited;
    assert.deepEqual([code, signal], [0, null], err);
    assertNoSecrets([secret], { follower: out + err, log: readFileSync(`${d.paths.log}.1`, 'utf8') + readFileSync(d.paths.log, 'utf8') });
  });
});
