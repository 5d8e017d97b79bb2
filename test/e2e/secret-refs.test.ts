/**
 * SecretRefs against a real password manager: Debian's `pass`, with a throwaway GPG key (no
 * passphrase) made by the test in a temp GNUPGHOME and PASSWORD_STORE_DIR (`.ci/run` installs
 * `pass` and `gnupg`). The exec provider runs `pass` itself (jsonOnly false) and through a
 * resolver speaking OpenClaw's JSON protocol; our provider keys never reach it; `models status`
 * never runs it; a hanging or chatty resolver is stopped. Every test greps outputs and the log.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, onCleanup, run, startDaemon, tempDir } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

interface PassStore {
  env: Record<string, string>;
  insert(name: string, secret: string): Promise<void>;
}

/** A password store with a fresh passphrase-less GPG key, both in a temp dir. */
async function passStore(): Promise<PassStore> {
  const dir = tempDir('opensoul-pass-');
  const gnupg = path.join(dir, 'g');
  mkdirSync(gnupg, { mode: 0o700 });
  const env = { GNUPGHOME: gnupg, PASSWORD_STORE_DIR: path.join(dir, 'store'), HOME: dir, PATH: process.env.PATH ?? '/usr/bin:/bin' };
  onCleanup(async () => {
    await run('gpgconf', ['--kill', 'all'], { env });
  });
  const params = [
    '%no-protection',
    'Key-Type: EDDSA',
    'Key-Curve: ed25519',
    'Subkey-Type: ECDH',
    'Subkey-Curve: cv25519',
    'Name-Real: OpenSoul Test',
    'Name-Email: test@opensoul.invalid',
    'Expire-Date: 0',
    '%commit',
    '',
  ].join('\n');
  const gen = await run('gpg', ['--batch', '--gen-key'], { env, input: params });
  assert.equal(gen.code, 0, gen.stderr);
  const init = await run('pass', ['init', 'test@opensoul.invalid'], { env });
  assert.equal(init.code, 0, init.stderr);
  return {
    env,
    async insert(name, secret) {
      const r = await run('pass', ['insert', '--multiline', name], { env, input: `${secret}\n` });
      assert.equal(r.code, 0, r.stderr);
    },
  };
}

const PASS = '/usr/bin/pass';

/** Writes opensoul.json and makes the daemon read it now. */
async function configure(d: Daemon, config: unknown): Promise<void> {
  writeFileSync(d.paths.config, JSON.stringify(config, null, 2), { mode: 0o600 });
  await d.call(methods.gatewayReload, {});
}

function script(name: string, body: string): string {
  const file = path.join(tempDir('opensoul-resolver-'), name);
  writeFileSync(file, body, { mode: 0o700 });
  return file;
}

describe('SecretRefs: exec providers against a real password manager (pass + gpg)', function () {
  this.timeout(60_000);

  it('an exec provider running `pass show` (jsonOnly false) gives the secret to auth.resolve; our provider keys stay out of its environment', async () => {
    const store = await passStore();
    const secret = fakeSecret('sk-proj-', 60);
    await store.insert('opensoul/openai', secret);
    const ours = fakeSecret('sk-ant-api03-', 60);
    const d = await startDaemon({ env: { ...store.env, ANTHROPIC_API_KEY: ours } });
    await configure(d, {
      secrets: {
        providers: {
          // ANTHROPIC_API_KEY asked for in vain: a provider key never reaches a resolver.
          passcli: {
            source: 'exec',
            command: PASS,
            args: ['show', 'opensoul/openai'],
            passEnv: ['PATH', 'HOME', 'GNUPGHOME', 'PASSWORD_STORE_DIR', 'ANTHROPIC_API_KEY'],
            jsonOnly: false,
          },
        },
      },
    });
    await d.call(methods.authUpsert, {
      profileId: 'openai:pass',
      credential: { type: 'api_key', keyRef: { source: 'exec', provider: 'passcli', id: 'value' } },
    });
    const r = await d.call(methods.authResolve, { provider: 'openai' });
    assert.equal(r.profileId, 'openai:pass');
    assert.equal(r.secret, secret);
    const list = await d.cli(['models', 'auth', 'list', '--json']);
    assert.match(list.stdout, /"masked": "ref\(exec\)"/);
    // The secret reached the redactor: a log line that carried it would read [REDACTED].
    assertNoSecrets([secret, ours], { list: list.stdout, log: d.log(), stderr: d.stderr() });
  });

  it("a resolver speaking OpenClaw's JSON protocol (protocolVersion 1, provider, ids → values) over pass; errors per id are refused", async () => {
    const store = await passStore();
    const secret = fakeSecret('sk-ant-api03-', 60);
    await store.insert('team/anthropic', secret);
    const seen = path.join(tempDir(), 'seen.json');
    // The shape of OpenClaw's documented pass resolver: ids in, values (or errors) out.
    const resolver = script(
      'pass-resolver.mjs',
      [
        '#!/usr/bin/env node',
        "import { spawnSync } from 'node:child_process';",
        "import { writeFileSync } from 'node:fs';",
        "let input = '';",
        "process.stdin.setEncoding('utf8').on('data', (c) => (input += c)).on('end', () => {",
        '  const req = JSON.parse(input);',
        `  writeFileSync(${JSON.stringify(seen)}, JSON.stringify({ req, env: Object.keys(process.env).sort() }));`,
        '  const values = {}; const errors = {};',
        '  for (const id of req.ids) {',
        "    const r = spawnSync('pass', ['show', id], { encoding: 'utf8' });",
        "    if (r.status === 0) values[id] = r.stdout.split(/\\r?\\n/, 1)[0]; else errors[id] = { message: 'not found' };",
        '  }',
        '  process.stdout.write(JSON.stringify({ protocolVersion: 1, values, errors }));',
        '});',
        '',
      ].join('\n'),
    );
    const ours = fakeSecret('sk-proj-', 60);
    const d = await startDaemon({ env: { ...store.env, OPENAI_API_KEY: ours } });
    await configure(d, {
      secrets: { providers: { team: { source: 'exec', command: resolver, passEnv: ['PATH', 'HOME', 'GNUPGHOME', 'PASSWORD_STORE_DIR', 'OPENAI_API_KEY'] } } },
    });
    await d.call(methods.authUpsert, {
      profileId: 'anthropic:team',
      credential: { type: 'api_key', keyRef: { source: 'exec', provider: 'team', id: 'team/anthropic' } },
    });
    const r = await d.call(methods.authResolve, { provider: 'anthropic' });
    assert.equal(r.secret, secret);
    const got = JSON.parse(readFileSync(seen, 'utf8')) as { req: unknown; env: string[] };
    assert.deepEqual(got.req, { protocolVersion: 1, provider: 'team', ids: ['team/anthropic'] });
    assert.deepEqual(got.env, ['GNUPGHOME', 'HOME', 'PASSWORD_STORE_DIR', 'PATH'], 'only passEnv, and never a provider key');
    // An id pass does not have: the resolver answers with errors[id]; no credential, nothing leaks.
    await d.call(methods.authUpsert, {
      profileId: 'groq:none',
      credential: { type: 'api_key', keyRef: { source: 'exec', provider: 'team', id: 'team/missing' } },
    });
    await assert.rejects(d.call(methods.authResolve, { provider: 'groq' }), /No credentials found for provider "groq"/);
    assertNoSecrets([secret, ours], { log: d.log(), stderr: d.stderr() });
  });

  it('models status never runs an exec ref; auth.resolve does', async () => {
    const marker = path.join(tempDir(), 'ran');
    const resolver = script('touch.sh', `#!/bin/sh\n: > ${marker}\nprintf '{"protocolVersion":1,"values":{"k":"${fakeSecret('sk-', 40)}"}}'\n`);
    const d = await startDaemon();
    await configure(d, { secrets: { providers: { v: { source: 'exec', command: resolver } } } });
    await d.call(methods.authUpsert, { profileId: 'openai:v', credential: { type: 'api_key', keyRef: { source: 'exec', provider: 'v', id: 'k' } } });
    for (const args of [
      ['models', 'status'],
      ['models', 'status', '--json'],
      ['models', 'status', '--check'],
      ['models', 'auth', 'list'],
    ]) {
      await d.cli(args);
      assert.ok(!existsSync(marker), `${args.join(' ')} ran the exec ref`);
    }
    await d.call(methods.authResolve, { provider: 'openai' });
    assert.ok(existsSync(marker));
  });

  it('a resolver that hangs is killed after timeoutMs, one that prints too much after maxOutputBytes; a group-writable command is refused', async () => {
    const d = await startDaemon();
    const hang = script('hang.sh', '#!/bin/sh\nexec /bin/sleep 30\n');
    const chatty = script('chatty.sh', '#!/bin/sh\nexec /usr/bin/yes sk-leak\n');
    const open = script('open.sh', '#!/bin/sh\nprintf x\n');
    await run('chmod', ['0775', open]);
    await configure(d, {
      secrets: {
        providers: {
          hang: { source: 'exec', command: hang, timeoutMs: 300 },
          chatty: { source: 'exec', command: chatty, maxOutputBytes: 4096 },
          open: { source: 'exec', command: open, jsonOnly: false },
        },
      },
    });
    const why = { hang: /timed out after 300 ms/, chatty: /printed more than maxOutputBytes \(4096\)/, open: /permissions are too open \(775\)/ };
    for (const [provider, ref] of [
      ['openai', 'hang'],
      ['groq', 'chatty'],
      ['xai', 'open'],
    ] as const) {
      await d.call(methods.authUpsert, { profileId: `${provider}:x`, credential: { type: 'api_key', keyRef: { source: 'exec', provider: ref, id: 'value' } } });
      await assert.rejects(d.call(methods.authResolve, { provider }), (err: Error) => /No credentials found/.test(err.message) && why[ref].test(err.message));
    }
    assert.ok(!d.log().includes('sk-leak'));
  });
});
