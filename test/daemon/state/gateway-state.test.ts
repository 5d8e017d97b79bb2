/** daemon/state/gateway-state: what the log redactor is told about after a load. */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REDACTED, RETIRED_GRACE_MS, SecretRegistry } from '../../../daemon/logging/secret-registry.js';
import { GatewayState } from '../../../daemon/state/gateway-state.js';
import { statePaths } from '../../../ipc/paths.js';
import { tempDir } from '../../support/harness.js';
import { plain } from '../../support/plain.js';

describe('GatewayState secret registration', () => {
  it('registers every credential-like or long .env value, profile secrets, and credentials in base URLs', async () => {
    const dir = path.join(tempDir(), 'state');
    const paths = statePaths(dir);
    mkdirSync(paths.agentDir('main'), { recursive: true });
    writeFileSync(
      paths.dotenv,
      [
        'MY_DB_PASSWORD=hunter2hunter2-not-a-pattern',
        'DATABASE_URL=postgres://u:zebra9zebra9-dburl@h/db',
        'MY_DB_PWD=pwd-value-1',
        'SLACK_WEBHOOK=hooky-value',
        'NODE_ENV=production',
        'LONG_ONE=0123456789abcdefXYZ',
      ].join('\n'),
    );
    writeFileSync(paths.config, JSON.stringify({ models: { providers: { openai: { baseUrl: 'https://u:proxy-pass-1@p.example/v1' } } } }));
    writeFileSync(paths.authProfiles('main'), JSON.stringify({ version: 1, profiles: { 'openai:a': { type: 'api_key', key: 'sk-proj-profile-key-123' } } }));
    const registered = new Set<string>();
    const state = new GatewayState({ paths, processEnv: {}, retainSecrets: (values) => values.forEach((v) => registered.add(v)) });
    await state.reload('start');
    for (const v of [
      'hunter2hunter2-not-a-pattern',
      'postgres://u:zebra9zebra9-dburl@h/db',
      'pwd-value-1',
      'hooky-value',
      '0123456789abcdefXYZ',
      'proxy-pass-1',
      'sk-proj-profile-key-123',
    ]) {
      assert.ok(registered.has(v), `registered: ${v}`);
    }
    assert.ok(!registered.has('production'), 'a short value under a plain name is left alone');
  });
});

describe('GatewayState agent views (§3 inheritance)', () => {
  it(
    "every agent but the default reads the default agent's profiles and their usage through; " + 'its own win; the provider table includes stored providers',
    async () => {
      const dir = path.join(tempDir(), 'state');
      const paths = statePaths(dir);
      for (const a of ['main', 'work']) mkdirSync(paths.agentDir(a), { recursive: true });
      writeFileSync(
        paths.authProfiles('main'),
        JSON.stringify({
          version: 1,
          profiles: {
            'anthropic:shared': { type: 'api_key', key: 'sk-ant-api03-main-shared' },
            'openai:both': { type: 'api_key', key: 'sk-proj-main-version' },
            'minimax:default': { type: 'api_key', key: 'mm-main-key', idToken: 'id-token-value-123' },
          },
        }),
      );
      writeFileSync(
        paths.authState('main'),
        JSON.stringify({ version: 1, lastGood: {}, usageStats: { 'anthropic:shared': { disabledUntil: 9e15, disabledReason: 'billing' } } }),
      );
      writeFileSync(
        paths.authProfiles('work'),
        JSON.stringify({ version: 1, profiles: { 'openai:both': { type: 'api_key', key: 'sk-proj-work-version' } }, order: { openai: ['openai:both'] } }),
      );
      const registered = new Set<string>();
      const state = new GatewayState({ paths, processEnv: {}, retainSecrets: (values) => values.forEach((v) => registered.add(v)) });
      await state.reload('start');
      const work = state.agentView('work');
      assert.ok(work);
      assert.deepEqual(plain(Object.keys(work.store.profiles).sort()), ['anthropic:shared', 'minimax:default', 'openai:both']);
      assert.equal(work.store.profiles['openai:both']?.type === 'api_key' && work.store.profiles['openai:both'].key, 'sk-proj-work-version', 'its own wins');
      assert.deepEqual(plain(work.inherited), { 'anthropic:shared': 'main', 'minimax:default': 'main' });
      assert.equal(work.usage.usageStats['anthropic:shared']?.disabledReason, 'billing');
      assert.deepEqual(plain(work.store.order), { openai: ['openai:both'] });
      const main = state.agentView('main');
      assert.deepEqual(plain(main?.inherited), {});
      assert.ok(!('openai:both' in (main?.inherited ?? {})));
      assert.ok(state.providers.get('minimax'), 'a provider a store holds is known');
      assert.throws(() => state.providers.require('minimx'), /did you mean "minimax"\?/);
      assert.ok(registered.has('id-token-value-123'), 'kept extra fields go to the redactor');
    },
  );
});

describe('GatewayState after its own write', () => {
  it('re-reads only the file written (another changed file waits for its own event); a usage write recomputes nothing', async () => {
    const dir = path.join(tempDir(), 'state');
    const paths = statePaths(dir);
    for (const a of ['main', 'work']) mkdirSync(paths.agentDir(a), { recursive: true });
    const store = (key: string) => JSON.stringify({ version: 1, profiles: { 'openai:a': { type: 'api_key', key } } });
    writeFileSync(paths.authProfiles('main'), store('sk-proj-main-one'));
    writeFileSync(paths.authProfiles('work'), store('sk-proj-work-one'));
    let recomputes = 0;
    const state = new GatewayState({ paths, processEnv: {}, retainSecrets: () => recomputes++ });
    await state.reload('start');
    const keyOf = (agent: string) => {
      const c = state.agentFiles(agent)?.profiles.value.profiles['openai:a'];
      return c?.type === 'api_key' ? c.key : undefined;
    };
    writeFileSync(paths.authProfiles('main'), store('sk-proj-main-two'));
    writeFileSync(paths.authProfiles('work'), store('sk-proj-work-two'));
    const before = recomputes;
    const outcome = await state.refreshWritten(paths.authProfiles('main'));
    assert.deepEqual(outcome.changed, [paths.authProfiles('main')]);
    assert.equal(keyOf('main'), 'sk-proj-main-two');
    assert.equal(keyOf('work'), 'sk-proj-work-one', "work's file was not read");
    assert.equal(recomputes, before + 1, 'a secrets file recomputes once');
    writeFileSync(paths.authState('main'), JSON.stringify({ version: 1, lastGood: {}, usageStats: { 'openai:a': { lastUsed: 1_800_000_000_000 } } }));
    await state.refreshWritten(paths.authState('main'));
    assert.equal(state.agentView('main')?.usage.usageStats['openai:a']?.lastUsed, 1_800_000_000_000);
    assert.equal(recomputes, before + 1, 'usage state recomputes nothing');
    // A file the state does not hold yet (a new agent) takes a full pass.
    mkdirSync(paths.agentDir('new'), { recursive: true });
    writeFileSync(paths.authProfiles('new'), store('sk-proj-new-one'));
    await state.refreshWritten(paths.authProfiles('new'));
    assert.equal(keyOf('new'), 'sk-proj-new-one');
    assert.equal(keyOf('work'), 'sk-proj-work-two');
  });
});

describe('GatewayState and the secret registry over time', () => {
  it('a replaced key stays scrubbed for the grace period, then leaves the registry: many replacements keep it bounded', async () => {
    const dir = path.join(tempDir(), 'state');
    const paths = statePaths(dir);
    mkdirSync(paths.agentDir('main'), { recursive: true });
    let now = 1_800_000_000_000;
    const secrets = new SecretRegistry({ now: () => now });
    const state = new GatewayState({ paths, processEnv: {}, retainSecrets: (values) => secrets.retain(values), now: () => now });
    // No built-in pattern matches these: only the registry can scrub them.
    const keyAt = (n: number) => `tok_FAKE_rotated_${String(n).padStart(4, '0')}_key`;
    const store = (key: string) => JSON.stringify({ version: 1, profiles: { 'openai:a': { type: 'api_key', key } } });
    const scrubbed = (value: string) => secrets.redact(`x ${value} y`) === `x ${REDACTED} y`;
    writeFileSync(paths.authProfiles('main'), store(keyAt(0)));
    await state.reload('start');
    const hour = 3_600_000;
    const replacements = 60;
    for (let n = 1; n <= replacements; n++) {
      now += hour;
      writeFileSync(paths.authProfiles('main'), store(keyAt(n)));
      await state.refreshWritten(paths.authProfiles('main'));
    }
    // A reload that changes nothing keeps the current key held.
    now += hour;
    await state.reload('periodic');
    assert.ok(scrubbed(keyAt(replacements)), 'the current key');
    assert.ok(scrubbed(keyAt(replacements - 1)), 'replaced an hour ago: still scrubbed');
    assert.ok(!secrets.has(keyAt(0)), 'replaced long ago: dropped');
    assert.ok(!scrubbed(keyAt(0)));
    assert.ok(secrets.size <= 1 + RETIRED_GRACE_MS / hour, `size ${secrets.size} after ${replacements} replacements`);
  });
});
