/** Lenient reading of the stores (§3): OpenSoul's layout and OpenClaw's, aliases, legacy auth.json. */
import assert from 'node:assert/strict';
import { parseJsonc } from '../../../ipc/jsonc.js';
import { readAuthProfilesFile, readAuthStateFile, readLegacyAuthFile, readTime } from '../../../daemon/stores/read-stores.js';
import { plain } from '../../support/plain.js';

describe('store reading (lenient)', () => {
  it("reads OpenSoul's auth-profiles.json: profiles and the agent's order override", () => {
    const r = readAuthProfilesFile({
      version: 1,
      profiles: {
        'anthropic:default': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-x', expires: 1_900_000_000_000 },
        'openai:work': { type: 'api_key', provider: 'openai', keyRef: { source: 'env', id: 'WORK_KEY' } },
        'anthropic:max': { type: 'oauth', provider: 'anthropic', access: 'a', refresh: 'r', expires: 1_900_000_000_000, email: 'x@y' },
      },
      order: { anthropic: ['anthropic:max', 'anthropic:default'] },
    });
    assert.deepEqual(plain(r.warnings), []);
    assert.equal(r.value.profiles['anthropic:default']?.type, 'token');
    assert.deepEqual(plain(r.value.profiles['openai:work']), { type: 'api_key', provider: 'openai', keyRef: { source: 'env', id: 'WORK_KEY' } });
    assert.deepEqual(plain(r.value.order), { anthropic: ['anthropic:max', 'anthropic:default'] });
    assert.equal(r.value.embeddedUsage, null);
  });

  it("reads OpenClaw's aliases (mode → type, apiKey → key, accessToken/refreshToken/expiresAt) and infers a missing provider from the id", () => {
    const r = readAuthProfilesFile({
      profiles: {
        'openai:a': { mode: 'api_key', apiKey: 'sk-1' },
        'anthropic:b': { type: 'oauth', accessToken: 'a', refreshToken: 'r', expiresAt: '2030-01-01T00:00:00Z' },
        'groq:c': { key: 'gsk-1' },
      },
    });
    assert.deepEqual(plain(r.value.profiles['openai:a']), { type: 'api_key', provider: 'openai', key: 'sk-1' });
    assert.equal(r.value.profiles['anthropic:b']?.type, 'oauth');
    assert.equal((r.value.profiles['anthropic:b'] as { expires: number }).expires, Date.parse('2030-01-01T00:00:00Z'));
    assert.equal(r.value.profiles['groq:c']?.type, 'api_key');
  });

  it("reads OpenClaw's single-file layout with lastGood and usageStats inside", () => {
    const r = readAuthProfilesFile({
      version: 1,
      profiles: { 'anthropic:a': { type: 'api_key', provider: 'anthropic', key: 'k' } },
      lastGood: { anthropic: 'anthropic:a' },
      usageStats: { 'anthropic:a': { lastUsed: 1_800_000_000_000, cooldownUntil: 1_800_000_060_000, errorCount: 2, failureCounts: { rate_limit: 2 } } },
    });
    assert.deepEqual(plain(r.value.embeddedUsage?.lastGood), { anthropic: 'anthropic:a' });
    assert.equal(r.value.embeddedUsage?.usageStats['anthropic:a']?.errorCount, 2);
  });

  it("reads auth-state.json, including OpenClaw's split layout with order in it", () => {
    const r = readAuthStateFile({
      version: 1,
      order: { openai: ['openai:a'] },
      lastGood: { openai: 'openai:a' },
      usageStats: { 'openai:a': { disabledUntil: 5, disabledReason: 'billing' } },
    });
    assert.deepEqual(plain(r.value.order), { openai: ['openai:a'] });
    assert.equal(r.value.usageStats['openai:a']?.disabledReason, 'billing');
  });

  it('reads a flat legacy auth.json as <provider>:default profiles', () => {
    const r = readLegacyAuthFile({ anthropic: { type: 'api_key', key: 'sk-ant-1' }, openai: 'sk-plain', bad: 42 });
    assert.deepEqual(plain(r.value['anthropic:default']), { type: 'api_key', provider: 'anthropic', key: 'sk-ant-1' });
    assert.deepEqual(plain(r.value['openai:default']), { type: 'api_key', provider: 'openai', key: 'sk-plain' });
    assert.equal(r.value['bad:default'], undefined);
    assert.equal(r.warnings.length, 1);
  });

  it('skips a profile it cannot read, naming its id and never its content', () => {
    const r = readAuthProfilesFile({
      profiles: {
        'anthropic:x': { type: 'oauth', access: 'sk-ant-SECRET-ACCESS' },
        'anthropic:y': { type: 'weird' },
        'anthropic:z': { type: 'api_key', key: 'k' },
      },
    });
    assert.deepEqual(plain(Object.keys(r.value.profiles)), ['anthropic:z']);
    assert.equal(r.warnings.length, 2);
    assert.ok(r.warnings.every((w) => !w.includes('SECRET')));
    assert.match(r.warnings[0] ?? '', /anthropic:x/);
  });

  it('names a wrong version by its type, never its value', () => {
    const r = readAuthProfilesFile({ version: 'sk-ant-api03-MISPLACED-SECRET', profiles: {} });
    assert.deepEqual(plain(r.warnings), ['version is not 1 (its type is string); read as version 1']);
  });

  it('reads times in ms, seconds or ISO strings', () => {
    assert.equal(readTime(1_800_000_000_000), 1_800_000_000_000);
    assert.equal(readTime(1_800_000_000), 1_800_000_000_000);
    assert.equal(readTime('2030-01-01T00:00:00.000Z'), Date.parse('2030-01-01T00:00:00.000Z'));
    assert.equal(readTime('soon'), undefined);
    assert.equal(readTime(-1), undefined);
  });
});

describe('JSONC parsing', () => {
  it('takes comments and trailing commas', () => {
    const r = parseJsonc('// c\n{ "a": [1, 2,], /* x */ "b": { "c": true, }, }');
    assert.deepEqual(plain(r), { ok: true, value: { a: [1, 2], b: { c: true } }, warnings: [] });
  });
  it('reports a position and never the content', () => {
    const r = parseJsonc('{\n  "key": "sk-ant-api03-SECRETSECRET"\n  "x": 1\n}');
    assert.equal(r.ok, false);
    if (!r.ok) {
      assert.equal(r.error.line, 3);
      assert.match(r.error.message, /^line 3, column 3: comma expected$/);
    }
    const empty = parseJsonc('  \n');
    assert.equal(empty.ok, false, 'an empty file does not parse (a truncating editor must not read as "no profiles")');
  });
  it('drops __proto__ keys so a file cannot change an object prototype', () => {
    const r = parseJsonc('{"profiles": {"__proto__": {"polluted": true}, "a:b": {}}}');
    assert.equal(r.ok, true);
    if (r.ok) {
      const profiles = (r.value as { profiles: Record<string, unknown> }).profiles;
      assert.equal((profiles as { polluted?: boolean }).polluted, undefined);
      assert.deepEqual(plain(Object.keys(profiles)), ['a:b']);
      assert.equal(r.warnings.length, 1);
    }
  });
});
