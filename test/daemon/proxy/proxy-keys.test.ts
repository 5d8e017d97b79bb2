/** Proxy keys: stored hashed (0600), scoped, expiring, revocable; verification by hash. */
import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ProxyKeys, generateProxyKey } from '../../../daemon/proxy/proxy-keys.js';
import { OpenSoulError } from '../../../ipc/errors.js';
import { tempDir } from '../../support/harness.js';

describe('proxy keys', () => {
  it('makes keys of 256 random bits in a fixed shape', () => {
    const keys = new Set(Array.from({ length: 200 }, () => generateProxyKey()));
    assert.equal(keys.size, 200);
    for (const k of keys) assert.match(k, /^osk-[0-9A-Za-z]{43}$/);
  });

  it('stores only the hash, 0600, and verifies scope, expiry and revocation', async () => {
    const file = path.join(tempDir(), 'proxy-keys.json');
    const keys = new ProxyKeys(file);
    const now = 1_000_000;
    const all = await keys.create({ agent: 'main', providers: null, label: null, expiresAt: null }, now);
    const scoped = await keys.create({ agent: 'work', providers: ['openai'], label: 'ci', expiresAt: now + 1000 }, now);
    const text = readFileSync(file, 'utf8');
    assert.ok(!text.includes(all.key) && !text.includes(scoped.key), 'no key in the file');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.equal(keys.verify(all.key, 'anthropic', now).ok, true);
    const v = keys.verify(scoped.key, 'openai', now);
    assert.ok(v.ok && v.record.agent === 'work');
    assert.deepEqual(keys.verify(scoped.key, 'anthropic', now), { ok: false, reason: 'provider' });
    assert.deepEqual(keys.verify(scoped.key, 'openai', now + 1000), { ok: false, reason: 'expired' });
    assert.deepEqual(keys.verify(null, 'openai', now), { ok: false, reason: 'missing' });
    assert.deepEqual(keys.verify(generateProxyKey(), 'openai', now), { ok: false, reason: 'unknown' });
    assert.deepEqual(keys.verify(`${all.key}x`, 'openai', now), { ok: false, reason: 'unknown' });
    await keys.revoke(all.record.id);
    assert.deepEqual(keys.verify(all.key, 'anthropic', now), { ok: false, reason: 'unknown' });
    await assert.rejects(keys.revoke(all.record.id), (err: unknown) => err instanceof OpenSoulError && err.kind === 'INVALID_INPUT');
    assert.deepEqual(
      keys.list().map((r) => r.id),
      [scoped.record.id],
    );
  });

  it('follows the file: a key removed by hand is refused after refresh; a file that does not parse keeps the last good keys', async () => {
    const file = path.join(tempDir(), 'proxy-keys.json');
    const keys = new ProxyKeys(file);
    const k = await keys.create({ agent: 'main', providers: null, label: null, expiresAt: null }, 0);
    writeFileSync(file, '{ not json');
    await keys.refresh();
    assert.match(keys.error ?? '', /does not parse/);
    assert.equal(keys.verify(k.key, 'openai', 0).ok, true);
    writeFileSync(file, JSON.stringify({ version: 1, keys: [] }));
    await keys.refresh(true);
    assert.equal(keys.error, null);
    assert.equal(keys.verify(k.key, 'openai', 0).ok, false);
  });

  it('drops keys that expired over a day ago when it writes', async () => {
    const file = path.join(tempDir(), 'proxy-keys.json');
    const keys = new ProxyKeys(file);
    const old = await keys.create({ agent: 'main', providers: null, label: null, expiresAt: 10 }, 0);
    await keys.create({ agent: 'main', providers: null, label: null, expiresAt: null }, 2 * 86_400_000);
    assert.ok(!keys.list().some((r) => r.id === old.record.id));
  });
});
