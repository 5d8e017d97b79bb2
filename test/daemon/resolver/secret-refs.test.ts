/**
 * SecretRef resolution (daemon/resolver/secret-refs.ts) against OpenClaw's contract: provider
 * lookup and defaults, env allowlists, file providers (RFC 6901 pointers, singleValue, modes),
 * exec providers (the JSON protocol, jsonOnly, timeouts, output bounds, path checks). Real
 * files and real child processes; errors are checked to name no secret.
 */
import assert from 'node:assert/strict';
import { chmodSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SecretRef } from '../../../ipc/protocol.js';
import { readConfig } from '../../../daemon/config/config.js';
import { resolveEnvironment } from '../../../daemon/env/environment.js';
import { SecretRefError, probeSecretRef, readJsonPointer, resolveSecretRef } from '../../../daemon/resolver/secret-refs.js';
import { fakeSecret, tempDir } from '../../support/harness.js';

function ctx(secrets: unknown, env: Record<string, string> = {}) {
  const r = readConfig({ secrets });
  assert.deepEqual(r.warnings, []);
  return {
    env: resolveEnvironment({ process: env, dotenv: { values: {}, path: '/s/.env' }, config: { values: {}, path: '/s/opensoul.json' } }),
    secrets: r.config.secrets,
    providerEnvVars: new Set(['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']),
    home: '/nonexistent-home',
    processEnv: { PATH: process.env.PATH, ANTHROPIC_API_KEY: 'sk-ant-api03-NOT-FOR-RESOLVERS' },
  };
}

async function rejectsWith(ref: SecretRef, c: ReturnType<typeof ctx>, pattern: RegExp, secret?: string): Promise<void> {
  let caught: unknown;
  try {
    await resolveSecretRef(ref, c);
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof SecretRefError, `expected a SecretRefError, got ${String(caught)}`);
  assert.match(caught.message, pattern);
  if (secret) assert.ok(!caught.message.includes(secret));
}

function file(name: string, text: string, mode = 0o600): string {
  const f = path.join(tempDir(), name);
  writeFileSync(f, text, { mode });
  chmodSync(f, mode);
  return f;
}

describe('SecretRefs (OpenClaw contract)', () => {
  it('RFC 6901 pointers: ~1 is /, ~0 is ~, array indexes; a bad escape or a missing key is an error', () => {
    const doc = { 'a/b': { 'c~d': ['x', 'y'] }, '': 'empty-key' };
    assert.equal(readJsonPointer(doc, '/a~1b/c~0d/1'), 'y');
    assert.equal(readJsonPointer(doc, '/'), 'empty-key');
    assert.throws(() => readJsonPointer(doc, '/a~2b'), /invalid ~ escape/);
    assert.throws(() => readJsonPointer(doc, '/nope'), /nothing at JSON pointer/);
    assert.throws(() => readJsonPointer(doc, 'a'), /must start with \//);
  });

  it('env: no provider means "default" (the plain env); an allowlist is enforced; unknown providers and source mismatches are errors', async () => {
    const c = ctx(
      { providers: { strict: { source: 'env', allowlist: ['OK_KEY'] }, f: { source: 'file', path: '/x' } } },
      { OK_KEY: 'v1-secret', OTHER: 'v2-secret' },
    );
    assert.equal(await resolveSecretRef({ source: 'env', id: 'OTHER' }, c), 'v2-secret');
    assert.equal(await resolveSecretRef({ source: 'env', provider: 'strict', id: 'OK_KEY' }, c), 'v1-secret');
    await rejectsWith({ source: 'env', provider: 'strict', id: 'OTHER' }, c, /not in secrets\.providers\.strict\.allowlist/);
    await rejectsWith({ source: 'env', provider: 'nope', id: 'OK_KEY' }, c, /secret provider "nope" is not configured/);
    await rejectsWith({ source: 'env', provider: 'f', id: 'OK_KEY' }, c, /has source "file" but the ref asks for "env"/);
    await rejectsWith({ source: 'env', id: 'UNSET' }, c, /UNSET is not set/);
  });

  it('file: json mode reads a pointer, singleValue the whole file minus one newline; open permissions are refused unless allowInsecurePath', async () => {
    const secret = fakeSecret('sk-or-v1-', 40);
    const json = file('s.json', JSON.stringify({ openrouter: { key: secret } }));
    const single = file('k.txt', `${secret}\n`);
    const open = file('open.json', JSON.stringify({ k: secret }), 0o644);
    const c = ctx({
      providers: {
        filemain: { source: 'file', path: json, mode: 'json' },
        one: { source: 'file', path: single, mode: 'singleValue' },
        open: { source: 'file', path: open },
        trusted: { source: 'file', path: open, allowInsecurePath: true },
      },
    });
    assert.equal(await resolveSecretRef({ source: 'file', provider: 'filemain', id: '/openrouter/key' }, c), secret);
    assert.equal(await resolveSecretRef({ source: 'file', provider: 'one', id: 'value' }, c), secret);
    assert.equal(await resolveSecretRef({ source: 'file', provider: 'trusted', id: '/k' }, c), secret);
    await rejectsWith({ source: 'file', provider: 'one', id: '/k' }, c, /expects ref id "value"/, secret);
    await rejectsWith({ source: 'file', provider: 'open', id: '/k' }, c, /permissions are too open \(644\)/, secret);
    await rejectsWith({ source: 'file', provider: 'filemain', id: '/openrouter/nokey' }, c, /nothing at JSON pointer/, secret);
    assert.equal(probeSecretRef({ source: 'file', provider: 'filemain', id: '/openrouter/key' }, c), null);
    assert.match(probeSecretRef({ source: 'file', provider: 'filemain', id: '/x' }, c) ?? '', /nothing at JSON pointer/);
  });

  it(
    'exec: the JSON protocol (protocolVersion 1), jsonOnly, per-id errors, exit codes, timeouts, output bounds, path checks; ' + 'status probes never run it',
    async () => {
      const secret = fakeSecret('sk-proj-', 40);
      const sh = (name: string, body: string, mode = 0o700) => file(name, `#!/bin/sh\n${body}\n`, mode);
      const good = sh('good.sh', `cat >/dev/null; printf '{"protocolVersion":1,"values":{"a/b":"${secret}"}}'`);
      const plain = sh('plain.sh', `printf '%s\\n' '${secret}'`);
      const v2 = sh('v2.sh', `printf '{"protocolVersion":2,"values":{"a":"${secret}"}}'`);
      const err = sh('err.sh', `printf '{"protocolVersion":1,"values":{},"errors":{"a":{"message":"${secret}"}}}'`);
      const fail = sh('fail.sh', 'exit 3');
      const hang = sh('hang.sh', 'exec /bin/sleep 30');
      const chatty = sh('chatty.sh', 'exec /usr/bin/yes y');
      const loose = sh('loose.sh', 'printf x', 0o777);
      const link = path.join(tempDir(), 'link.sh');
      symlinkSync(plain, link);
      const c = ctx({
        providers: {
          good: { source: 'exec', command: good },
          plain: { source: 'exec', command: plain, jsonOnly: false },
          plain_strict: { source: 'exec', command: plain },
          v2: { source: 'exec', command: v2 },
          err: { source: 'exec', command: err },
          fail: { source: 'exec', command: fail },
          hang: { source: 'exec', command: hang, timeoutMs: 200 },
          chatty: { source: 'exec', command: chatty, maxOutputBytes: 1000 },
          loose: { source: 'exec', command: loose },
          link: { source: 'exec', command: link, jsonOnly: false },
          linkok: { source: 'exec', command: link, jsonOnly: false, allowSymlinkCommand: true },
          relative: { source: 'exec', command: 'pass' },
        },
      });
      const ex = (provider: string, id = 'a'): SecretRef => ({ source: 'exec', provider, id });
      assert.equal(await resolveSecretRef(ex('good', 'a/b'), c), secret);
      assert.equal(await resolveSecretRef(ex('plain', 'value'), c), secret);
      assert.equal(await resolveSecretRef(ex('linkok', 'value'), c), secret);
      await rejectsWith(ex('plain_strict'), c, /did not print a JSON response/, secret);
      await rejectsWith(ex('good', 'missing'), c, /no value for id "missing"/, secret);
      await rejectsWith(ex('v2'), c, /protocolVersion must be 1/, secret);
      await rejectsWith(ex('err'), c, /reported an error for id "a"/, secret);
      await rejectsWith(ex('fail'), c, /exited with code 3/);
      await rejectsWith(ex('hang'), c, /timed out after 200 ms/);
      await rejectsWith(ex('chatty'), c, /more than maxOutputBytes \(1000\)/);
      await rejectsWith(ex('loose'), c, /permissions are too open \(777\)/);
      await rejectsWith(ex('link'), c, /must not be a symlink/);
      await rejectsWith(ex('relative'), c, /must be an absolute path/);
      await rejectsWith(ex('good', '../etc'), c, /without \. or \.\. segments/);
      assert.equal(probeSecretRef(ex('hang'), c), null, 'a probe never runs a command');
    },
  );
});
