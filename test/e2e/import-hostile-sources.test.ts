/**
 * `opensoul import openclaw` from a ~/.openclaw that fights back: a FIFO, a device and an
 * oversize file where OpenClaw's files should be, files another user owns or can write to, and a
 * `.env` value OpenSoul's `.env` cannot hold. Real daemon, real CLI; every case must end with a
 * report (never a hang, never an import aborted halfway), and the daemon must keep serving.
 */
import assert from 'node:assert/strict';
import { chmodSync, chownSync, existsSync, readFileSync, symlinkSync, truncateSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import type { ImportOpenClawResult } from '../../ipc/protocol.js';
import { assertNoSecrets, startDaemon } from '../support/harness.js';
import { agentDir, fakeSecrets, openclawDir, writeEnvFile, writeLegacyAuthJson, writeOpenClawConfig, writeSplit } from '../support/openclaw-fixtures.js';

const NOBODY = 65534;
const result = (stdout: string) => JSON.parse(stdout) as ImportOpenClawResult;

describe('import openclaw from a hostile or careless source (real daemon, real CLI)', function () {
  it('a FIFO, a link to /dev/zero and a 20 MiB file are skipped with a warning each; the daemon keeps reading and writing files', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    writeSplit(root, 'good', { version: 1, profiles: { 'openai:good': { type: 'api_key', provider: 'openai', key: s.openaiKey } } }, { order: {} });
    // Before the fix, opening the FIFO blocked one of libuv's four threads for good; four such
    // imports stalled every reload and write of the daemon. One is enough to hang the import.
    execFileSync('mkfifo', ['-m', '600', path.join(agentDir(root, 'main'), 'auth-profiles.json')]);
    symlinkSync('/dev/zero', path.join(root, '.env'));
    const big = writeLegacyAuthJson(root, 'big', '{}');
    truncateSync(big, 20 * 1024 * 1024);
    const d = await startDaemon();

    const r = await d.cli(['import', 'openclaw', '--from', root, '--json'], { timeoutMs: 20_000 });
    assert.equal(r.code, 1, `incomplete, so exit 1: ${r.stderr}`);
    const doc = result(r.stdout);
    const warning = (file: string) => doc.warnings.find((w) => w.startsWith(file)) ?? '';
    assert.match(warning(path.join(root, 'agents/main/agent/auth-profiles.json')), /is not a regular file \(a FIFO, socket or device\)/);
    assert.match(warning(path.join(root, '.env')), /is not a regular file/);
    assert.match(warning(big), /is 20\.0 MiB, over the 16\.0 MiB limit/);
    assert.deepEqual(
      doc.items.filter((i) => i.kind === 'profile').map((i) => `${i.agent} ${i.id} ${i.action}`),
      ['good openai:good added'],
      'the rest of the source is imported',
    );

    // The daemon's file I/O still works: a write and a reload answer.
    const paste = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:after'], {
      input: fakeSecrets().openaiKey,
      timeoutMs: 20_000,
    });
    assert.equal(paste.code, 0, paste.stderr);
    const reload = await d.cli(['gateway', 'reload'], { timeoutMs: 20_000 });
    assert.equal(reload.code, 0, reload.stderr);
    assertNoSecrets(Object.values(s), { out: r.stdout + r.stderr, log: d.log() });
  });

  it('files another user owns or can write to are not imported: no planted exec provider, no planted key; the report says why', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    // openclaw.json writable by everyone: anyone could have added this exec provider, which
    // the daemon would run as the person (a root-owned /bin/sh passes the command's own checks).
    const config = writeOpenClawConfig(root, {
      secrets: { providers: { planted: { source: 'exec', command: '/bin/sh', args: ['-c', 'touch /tmp/opensoul-planted'] } } },
    });
    chmodSync(config, 0o666);
    // Another user's auth-profiles.json (and auth-state.json) in agent main.
    const planted = writeSplit(
      root,
      'main',
      { version: 1, profiles: { 'anthropic:planted': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey } } },
      { order: {} },
    );
    chownSync(planted.store, NOBODY, NOBODY);
    // Group-writable with our own primary group (user-private groups, umask 002) is fine.
    writeSplit(root, 'work', { version: 1, profiles: { 'openai:work': { type: 'api_key', provider: 'openai', key: s.openaiKey } } }, { order: {} });
    chmodSync(path.join(agentDir(root, 'work'), 'auth-profiles.json'), 0o660);
    const d = await startDaemon();

    const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(r.code, 1, r.stderr);
    const doc = result(r.stdout);
    assert.ok(
      doc.warnings.some((w) => w.startsWith(config) && /is writable by other users \(mode 0666\): not trusted/.test(w)),
      doc.warnings.join('\n'),
    );
    assert.ok(
      doc.warnings.some((w) => w.startsWith(planted.store) && new RegExp(`belongs to uid ${NOBODY}, not to the gateway's user`).test(w)),
      doc.warnings.join('\n'),
    );
    assert.deepEqual(
      doc.items.map((i) => `${i.agent} ${i.kind} ${i.id} ${i.action}`),
      ['work profile openai:work added'],
      'only the trusted file is imported',
    );
    const opensoulJson = existsSync(d.paths.config) ? readFileSync(d.paths.config, 'utf8') : '';
    assert.ok(!opensoulJson.includes('planted'), 'no secrets.providers entry was copied');
    assert.ok(!existsSync(d.paths.authProfiles('main')), 'no profile of main was written');
  });

  it('a .env value OpenSoul cannot write (a quoted \\n) is a skipped item in the dry run and the real run; the import still reports the rest', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    writeSplit(root, 'main', { version: 1, profiles: { 'openai:work': { type: 'api_key', provider: 'openai', key: s.openaiKey } } }, { order: {} });
    writeEnvFile(root, `ANTHROPIC_API_KEY="${s.anthropicKey}\\nmore"\nGROQ_API_KEY=${s.groqKey}\n`);
    const d = await startDaemon();

    const items = (stdout: string) => result(stdout).items.map((i) => `${i.kind} ${i.id} ${i.action}${i.note ? `: ${i.note}` : ''}`);
    const expected = [
      'profile openai:work added',
      'env ANTHROPIC_API_KEY skipped: Refused: the value of ANTHROPIC_API_KEY contains a line break or NUL',
      'env GROQ_API_KEY added',
    ];
    const dry = await d.cli(['import', 'openclaw', '--from', root, '--dry-run', '--json']);
    assert.equal(dry.code, 1, 'a dry run exits as the real run will');
    assert.deepEqual(items(dry.stdout), expected);

    const real = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(real.code, 1, real.stderr);
    assert.deepEqual(items(real.stdout), expected);
    assert.ok(existsSync(d.paths.authProfiles('main')));
    const dotenv = readFileSync(d.paths.dotenv, 'utf8');
    assert.ok(dotenv.includes(`GROQ_API_KEY=${s.groqKey}`), 'the keys after the refused one are imported too');
    assert.ok(!dotenv.includes('ANTHROPIC_API_KEY'));
    assertNoSecrets(Object.values(s), { dry: dry.stdout + dry.stderr, real: real.stdout + real.stderr, log: d.log() });
  });
});
