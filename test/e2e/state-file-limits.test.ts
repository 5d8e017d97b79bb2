/**
 * Files the daemon reads, against a real daemon: a `.env` or store over 1 MiB is refused as a
 * file error (its last good state kept, status and doctor name it, writes refused) instead of
 * being loaded into memory; a key set twice in `.env` warns (log, gateway status, doctor); and a
 * `.env` value that equals a word the log uses as a key (`ANTHROPIC_API_KEY=changed`) leaves
 * the log's keys alone.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { DoctorCheck } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, waitFor } from '../support/harness.js';

const MIB = 1024 * 1024;

describe('state files: size limit, duplicate keys, log keys (real daemon)', function () {
  it('a .env over 1 MiB is not loaded: last good key kept, the error in gateway status and doctor', async () => {
    const d = await startDaemon();
    const good = fakeSecret('sk-ant-api03-', 70);
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${good}\n`);
    await waitFor(async () => (await d.call(methods.modelsStatus, {})).providers.find((p) => p.provider === 'anthropic')?.env !== null, 'the key to load');
    const huge = fakeSecret('sk-ant-api03-', 70);
    writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${huge}\n#${'x'.repeat(2 * MIB)}\n`);
    // The daemon may catch the file mid-write (1.0 MiB of it, say): the error it shows must follow the file to its final size.
    const file = await waitFor(async () => {
      const s = await d.call(methods.gatewayStatus, {});
      const f = s.files.find((x) => x.kind === 'dotenv');
      return f && !f.ok && /2\.0 MiB/.test(f.error ?? '') ? f : null;
    }, 'the .env error, at the final size');
    assert.match(file.error ?? '', /2\.0 MiB, over the 1 MiB limit: not loaded/);
    const status = await d.cli(['models', 'status', '--json']);
    const anthropic = (JSON.parse(status.stdout) as { providers: { provider: string; env: { masked: string } | null }[] }).providers.find(
      (p) => p.provider === 'anthropic',
    );
    assert.equal(anthropic?.env?.masked, `${good.slice(0, 8)}...${good.slice(-4)}`, 'the last good key is still served');
    const gw = await d.cli(['gateway', 'status']);
    assert.match(gw.stdout, /over the 1 MiB limit/);
    const doctor = await d.cli(['doctor', '--json']);
    const checks = (JSON.parse(doctor.stdout) as { checks: DoctorCheck[] }).checks;
    assert.ok(
      checks.some((c) => c.status === 'error' && c.message.includes(d.paths.dotenv) && c.message.includes('over the 1 MiB limit')),
      JSON.stringify(checks),
    );
    assert.match(d.log(), /file not loaded.*over the 1 MiB limit/);
    assertNoSecrets([good, huge], { status: status.stdout, gw: gw.stdout, doctor: doctor.stdout, log: d.log() });
  });

  it('a store over 1 MiB is not loaded and not written: a paste is refused and the file stays byte-identical', async () => {
    const d = await startDaemon();
    const store = d.paths.authProfiles('main');
    mkdirSync(path.dirname(store), { recursive: true });
    const key = fakeSecret('sk-proj-', 60);
    const bytes = JSON.stringify({ version: 1, profiles: { 'openai:big': { type: 'api_key', provider: 'openai', key } }, padding: 'p'.repeat(MIB + 10) });
    writeFileSync(store, bytes);
    await waitFor(async () => (await d.call(methods.gatewayStatus, {})).files.find((f) => f.path === store && !f.ok), 'the store error');
    const list = await d.call(methods.authList, {});
    assert.equal(list.profiles.length, 0, 'nothing from the over-size store is loaded');
    const paste = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:other'], {
      input: fakeSecret('sk-proj-', 60),
    });
    assert.equal(paste.code, 1, paste.stdout + paste.stderr);
    assert.match(paste.stderr, /1 MiB/);
    assert.equal(readFileSync(store, 'utf8'), bytes);
    assertNoSecrets([key], { paste: paste.stdout + paste.stderr, log: d.log() });
  });

  it('a key set twice in .env warns in the log, gateway status and doctor, naming the lines (never the values)', async () => {
    const d = await startDaemon();
    const first = fakeSecret('sk-ant-api03-', 70);
    const second = fakeSecret('sk-ant-api03-', 70);
    writeFileSync(d.paths.dotenv, `# keys\nANTHROPIC_API_KEY=${first}\nOPENAI_API_KEY=${fakeSecret('sk-proj-', 50)}\nANTHROPIC_API_KEY=${second}\n`);
    const expected = 'line 4: ANTHROPIC_API_KEY is set again (first on line 2); the last one is used';
    await waitFor(async () => (await d.call(methods.gatewayStatus, {})).files.find((f) => f.kind === 'dotenv')?.warnings.includes(expected), 'the warning');
    const gw = await d.cli(['gateway', 'status']);
    assert.ok(gw.stdout.includes(expected), gw.stdout);
    const doctor = await d.cli(['doctor', '--json']);
    assert.ok((JSON.parse(doctor.stdout) as { checks: DoctorCheck[] }).checks.some((c) => c.status === 'warn' && c.message.includes(expected)));
    await waitFor(() => d.log().includes(expected), 'the log line');
    assertNoSecrets([first, second], { gw: gw.stdout, doctor: doctor.stdout, log: d.log() });
  });

  it('ANTHROPIC_API_KEY=changed in .env does not turn the log key "changed" into "[REDACTED]"', async () => {
    const d = await startDaemon();
    writeFileSync(d.paths.dotenv, 'ANTHROPIC_API_KEY=changed\n');
    await waitFor(() => d.log().includes('"changed":['), 'a reload line');
    writeFileSync(d.paths.dotenv, 'ANTHROPIC_API_KEY=changed\nOPENAI_API_KEY=watch\n');
    await waitFor(
      () =>
        d
          .log()
          .split('\n')
          .filter((l) => l.includes('"reloaded"')).length >= 2,
      'a second reload line',
    );
    const lines = d
      .log()
      .split('\n')
      .filter((l) => l !== '');
    for (const line of lines) {
      const record = JSON.parse(line) as Record<string, unknown>;
      assert.ok(!Object.keys(record).includes('[REDACTED]'), line);
    }
    assert.ok(!d.log().includes('[REDACTED]'), 'ordinary words are not secrets');
  });
});
