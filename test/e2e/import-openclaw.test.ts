/**
 * `opensoul import openclaw` end to end: a fake ~/.openclaw in every layout of SPEC §3 (the
 * early single file, the split files, the flat auth.json, and the current SQLite stores built
 * with sql.js), imported by the real CLI through the real daemon. A conflict is reported and
 * not overwritten without --force; --dry-run writes nothing; the source is never modified.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseJsonc } from '../../ipc/jsonc.js';
import { methods } from '../../ipc/protocol.js';
import type { ImportOpenClawResult } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon } from '../support/harness.js';
import { plain } from '../support/plain.js';
import {
  backdateTree,
  fakeSecrets,
  openclawDir,
  snapshotTree,
  writeAgentSqlite,
  writeAgentWorkFixture,
  writeEnvFile,
  writeLegacyAuthJson,
  writeOpenClawConfig,
  writeSharedSqlite,
  writeSingleFile,
  writeSplit,
} from '../support/openclaw-fixtures.js';

const profilesOf = (file: string) =>
  JSON.parse(readFileSync(file, 'utf8')) as { profiles: Record<string, Record<string, unknown>>; order?: Record<string, string[]> };

async function fixtureOfEveryLayout() {
  const root = openclawDir();
  const s = fakeSecrets();
  const exp = Date.now() + 200 * 86_400_000;
  // (c) SQLite: the shared store for main, and a per-agent database for "coder".
  await writeSharedSqlite(root, {
    store: { version: 1, profiles: { 'anthropic:max': { type: 'token', provider: 'anthropic', token: s.setupToken, expires: exp } } },
    state: { order: { anthropic: ['anthropic:max'] }, lastGood: {}, usageStats: {} },
  });
  await writeAgentSqlite(root, 'coder', {
    store: { version: 1, profiles: { 'openai:coder': { type: 'api_key', provider: 'openai', key: s.openaiKey } } },
    state: { order: {} },
  });
  // (a) the early single file, with usage state inside.
  writeSingleFile(root, 'early', {
    version: 1,
    profiles: { 'groq:default': { mode: 'api_key', apiKey: s.groqKey } },
    order: { groq: ['groq:default'] },
    lastGood: { groq: 'groq:default' },
    usageStats: {},
  });
  // (b) the split files, with order in auth-state.json.
  writeSplit(
    root,
    'split',
    { version: 1, profiles: { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey } } },
    { order: { anthropic: ['anthropic:key'] }, lastGood: {}, usageStats: {} },
  );
  // (d) the flat legacy auth.json.
  writeLegacyAuthJson(root, 'old', { openai: { type: 'api_key', key: s.openaiKey } });
  writeEnvFile(root, `ANTHROPIC_API_KEY=${s.anthropicKey}\nUNRELATED=x\n`);
  backdateTree(root);
  return { root, s, exp };
}

describe('import openclaw (real daemon, real CLI, fixtures of every OpenClaw layout)', function () {
  it('imports every layout: profiles, order and .env provider keys; the source is never modified', async () => {
    const { root, s } = await fixtureOfEveryLayout();
    const before = snapshotTree(root);
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const result = JSON.parse(r.stdout) as ImportOpenClawResult;
    const added = result.items
      .filter((i) => i.action === 'added')
      .map((i) => `${i.agent} ${i.kind} ${i.id}`)
      .sort();
    assert.deepEqual(added, [
      '- env ANTHROPIC_API_KEY',
      'coder profile openai:coder',
      'early order groq',
      'early profile groq:default',
      'early usage auth-state.json',
      'main order anthropic',
      'main profile anthropic:max',
      'old profile openai:default',
      'split order anthropic',
      'split profile anthropic:key',
    ]);
    assert.equal(profilesOf(d.paths.authProfiles('main')).profiles['anthropic:max']?.token, s.setupToken);
    assert.deepEqual(profilesOf(d.paths.authProfiles('main')).order, { anthropic: ['anthropic:max'] });
    assert.deepEqual(
      profilesOf(d.paths.authProfiles('early')).profiles['groq:default'],
      { type: 'api_key', provider: 'groq', key: s.groqKey },
      'written in the strict shape',
    );
    assert.deepEqual(profilesOf(d.paths.authProfiles('old')).profiles['openai:default'], { type: 'api_key', provider: 'openai', key: s.openaiKey });
    assert.match(readFileSync(d.paths.dotenv, 'utf8'), new RegExp(`^ANTHROPIC_API_KEY=${s.anthropicKey}$`, 'm'));
    assert.ok(!readFileSync(d.paths.dotenv, 'utf8').includes('UNRELATED'), 'only provider keys are imported');
    assert.deepEqual(snapshotTree(root), before, 'the source is byte-for-byte and mtime unchanged');

    const again = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(again.code, 0);
    assert.ok(
      (JSON.parse(again.stdout) as ImportOpenClawResult).items.every((i) => i.action === 'unchanged'),
      'a second import changes nothing',
    );
    const human = await d.cli(['import', 'openclaw', '--from', root]);
    assertNoSecrets(Object.values(s), {
      json: r.stdout + r.stderr,
      again: again.stdout,
      human: human.stdout + human.stderr,
      log: d.log(),
      daemonStderr: d.stderr(),
    });
  });

  it('--dry-run reports what would happen and writes nothing', async () => {
    const { root } = await fixtureOfEveryLayout();
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', root, '--dry-run']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Would import from/);
    assert.match(r.stdout, /main\s+profile\s+anthropic:max\s+added/);
    assert.ok(!existsSync(d.paths.authProfiles('main')));
    assert.ok(!existsSync(d.paths.dotenv));
    assert.ok(!existsSync(d.paths.agentDir('coder')));
  });

  it("reports a profile that differs as a conflict (exit 1) and keeps OpenSoul's; --force replaces it", async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    writeSplit(root, 'main', { version: 1, profiles: { 'openai:work': { type: 'api_key', provider: 'openai', key: s.openaiKey } } }, { order: {} });
    const d = await startDaemon();
    const mine = fakeSecrets().openaiKey;
    mkdirSync(path.dirname(d.paths.authProfiles('main')), { recursive: true });
    const setup = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:work'], { input: mine });
    assert.equal(setup.code, 0, setup.stderr);
    const r = await d.cli(['import', 'openclaw', '--from', root]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /openai:work\s+conflict/);
    assert.match(r.stderr, /re-run with --force/);
    assert.equal(profilesOf(d.paths.authProfiles('main')).profiles['openai:work']?.key, mine, 'never overwritten silently');
    const forced = await d.cli(['import', 'openclaw', '--from', root, '--force']);
    assert.equal(forced.code, 0, forced.stderr);
    assert.match(forced.stdout, /openai:work\s+replaced/);
    assert.equal(profilesOf(d.paths.authProfiles('main')).profiles['openai:work']?.key, s.openaiKey);
    assertNoSecrets([mine, s.openaiKey], { r: r.stdout + r.stderr, forced: forced.stdout, log: d.log() });
  });

  it('refuses a SQLite source with unsaved changes in its -wal (OpenClaw still running), writing nothing', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    const db = await writeAgentSqlite(
      root,
      'main',
      { store: { version: 1, profiles: { 'openai:x': { type: 'api_key', key: s.openaiKey } } } },
      { walMode: true },
    );
    writeFileSync(`${db}-wal`, Buffer.alloc(4096, 1));
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', root]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /OpenClaw must be stopped first/);
    assert.ok(!existsSync(d.paths.authProfiles('main')));
  });

  it('says clearly when there is no OpenClaw state at the given path', async () => {
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', path.join(d.stateDir, 'nowhere')]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /no OpenClaw state found/);
  });
});

describe('import openclaw loses nothing (real daemon, real CLI)', function () {
  const json = <T>(r: { stdout: string }): T => JSON.parse(r.stdout) as T;

  it("agent work (OpenClaw 2026.9.6) keeps its whole order [agentwork, work]: main's profile is read through, never copied", async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    await writeAgentWorkFixture(root, s);
    // An agent whose OpenClaw store holds only an order, of main's profile.
    writeSplit(root, 'ops', { version: 1, profiles: {} }, { order: { anthropic: ['anthropic:work'] } });
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const items = json<ImportOpenClawResult>(r).items;
    assert.deepEqual(
      items.find((i) => i.agent === 'work' && i.kind === 'order'),
      { agent: 'work', kind: 'order', id: 'anthropic', action: 'added' },
    );
    assert.deepEqual(profilesOf(d.paths.authProfiles('work')).order, { anthropic: ['anthropic:agentwork', 'anthropic:work'] });
    assert.deepEqual(Object.keys(profilesOf(d.paths.authProfiles('work')).profiles), ['anthropic:agentwork'], "main's profile is not copied into work");
    assert.deepEqual(profilesOf(d.paths.authProfiles('ops')), { version: 1, profiles: {}, order: { anthropic: ['anthropic:work'] } });
    const list = await d.cli(['models', 'auth', 'list', '--agent', 'work', '--json']);
    assert.equal(list.code, 0, list.stderr);
    const profiles = json<{ profiles: { id: string; inheritedFrom?: string }[] }>(list).profiles;
    assert.deepEqual(profiles.map((p) => [p.id, p.inheritedFrom ?? null]).sort(), [
      ['anthropic:agentwork', null],
      ['anthropic:work', 'main'],
    ]);
    const order = await d.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--agent', 'work', '--json']);
    assert.deepEqual(json<{ effective: string[] }>(order).effective, ['anthropic:agentwork', 'anthropic:work']);
    // order set on work may name the inherited id.
    const set = await d.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', '--agent', 'work', 'anthropic:work', 'anthropic:agentwork']);
    assert.equal(set.code, 0, set.stderr);
    assert.deepEqual(profilesOf(d.paths.authProfiles('work')).order, { anthropic: ['anthropic:work', 'anthropic:agentwork'] });
    const resolved = await d.call(methods.authResolve, { agent: 'work', provider: 'anthropic' });
    assert.equal(resolved.profileId, 'anthropic:work');
    const status = await d.cli(['models', 'status', '--agent', 'work']);
    assert.match(status.stdout, /anthropic:work .*\(from agent main\)/);
    const human = await d.cli(['models', 'auth', 'list', '--agent', 'work']);
    assert.match(human.stdout, /anthropic:work .*\(from agent main\)/);
    assert.doesNotMatch(human.stdout, /anthropic:agentwork .*from agent/);
    assertNoSecrets(Object.values(s), { r: r.stdout + r.stderr, list: list.stdout, order: order.stdout, status: status.stdout + status.stderr, log: d.log() });
  });

  it("a copy of main's profile in another agent's OpenClaw store is read through, not copied again", async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    const shared = { type: 'api_key', provider: 'openai', key: s.openaiKey };
    writeSplit(
      root,
      'work',
      { version: 1, profiles: { 'openai:shared': shared, 'groq:own': { type: 'api_key', key: s.groqKey } } },
      { order: { openai: ['openai:shared'] } },
    );
    writeSplit(root, 'main', { version: 1, profiles: { 'openai:shared': shared } }, { order: {} });
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    const items = json<ImportOpenClawResult>(r).items;
    assert.deepEqual(
      items.find((i) => i.agent === 'work' && i.id === 'openai:shared'),
      { agent: 'work', kind: 'profile', id: 'openai:shared', action: 'unchanged', note: 'read through from agent main' },
    );
    assert.deepEqual(Object.keys(profilesOf(d.paths.authProfiles('work')).profiles), ['groq:own']);
    assert.deepEqual(profilesOf(d.paths.authProfiles('work')).order, { openai: ['openai:shared'] });
    assertNoSecrets(Object.values(s), { r: r.stdout, log: d.log() });
  });

  it('auth.order of openclaw.json goes into opensoul.json, comments kept; a different one there is a conflict', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    writeSplit(
      root,
      'main',
      { version: 1, profiles: { 'anthropic:a': { type: 'api_key', key: s.anthropicKey }, 'openai:b': { type: 'api_key', key: s.openaiKey } } },
      { order: {} },
    );
    writeOpenClawConfig(
      root,
      '// OpenClaw config (JSON5: comments, trailing commas)\n{\n  "auth": { "order": { "anthropic": ["anthropic:a"], "openai": ["openai:b"] } },\n}\n',
    );
    const d = await startDaemon();
    writeFileSync(d.paths.config, '{\n  // mine\n  "auth": { "order": { "openai": ["openai:mine"] } },\n}\n', { mode: 0o600 });
    await d.call(methods.gatewayReload, {});
    const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(r.code, 1, 'the different openai order is left behind');
    const items = json<ImportOpenClawResult>(r).items.filter((i) => i.kind === 'config-order');
    assert.deepEqual(
      items.map((i) => [i.id, i.action]),
      [
        ['anthropic', 'added'],
        ['openai', 'conflict'],
      ],
    );
    const text = readFileSync(d.paths.config, 'utf8');
    assert.match(text, /\/\/ mine/, 'comments kept');
    const cfg = parseJsonc(text);
    assert.ok(cfg.ok);
    assert.deepEqual(plain((cfg.value as { auth: { order: unknown } }).auth.order), { openai: ['openai:mine'], anthropic: ['anthropic:a'] });
    const forced = await d.cli(['import', 'openclaw', '--from', root, '--force']);
    assert.equal(forced.code, 0, forced.stdout + forced.stderr);
    assert.match(readFileSync(d.paths.config, 'utf8'), /"openai": \[\s*"openai:b"\s*\]/);
    assertNoSecrets(Object.values(s), { r: r.stdout, forced: forced.stdout + forced.stderr, log: d.log() });
  });

  it('profiles of providers with no built-in client are imported and listed; a hand command with a typo gets "did you mean"', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    const exp = Date.now() + 86_400_000;
    writeSplit(
      root,
      'main',
      {
        version: 1,
        profiles: {
          'openai-codex:default': {
            type: 'oauth',
            provider: 'openai-codex',
            access: s.oauthAccess,
            refresh: s.oauthRefresh,
            expires: exp,
            accountId: 'acct-1',
          },
          'minimax:default': { type: 'api_key', provider: 'minimax', key: s.groqKey },
        },
      },
      { order: { minimax: ['minimax:default'] } },
    );
    const d = await startDaemon();
    const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(
      json<ImportOpenClawResult>(r)
        .items.filter((i) => i.kind === 'profile')
        .map((i) => [i.id, i.action]),
      [
        ['minimax:default', 'added'],
        ['openai-codex:default', 'added'],
      ],
    );
    const list = await d.cli(['models', 'auth', 'list', '--json']);
    assert.deepEqual(
      json<{ profiles: { id: string }[] }>(list)
        .profiles.map((p) => p.id)
        .sort(),
      ['minimax:default', 'openai-codex:default'],
    );
    const typo = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'minimx'], { input: fakeSecret('sk-', 40) });
    assert.equal(typo.code, 1);
    assert.match(typo.stderr, /Unknown provider "minimx"; did you mean "minimax"\?/);
    const typo2 = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'anthropc'], { input: fakeSecret('sk-ant-api03-', 40) });
    assert.match(typo2.stderr, /did you mean "anthropic"\?/);
    for (const args of [
      ['models', 'auth', 'list', '--provider', 'minimx'],
      ['models', 'auth', 'order', 'set', '--provider', 'minimx', 'minimax:default'],
    ]) {
      const r2 = await d.cli(args);
      assert.equal(r2.code, 1, args.join(' '));
      assert.match(r2.stderr, /did you mean "minimax"\?/, args.join(' '));
    }
    assertNoSecrets(Object.values(s), { r: r.stdout, list: list.stdout, log: d.log() });
  });

  it(
    'an imported file SecretRef ({source: file, provider: filemain, id: /openrouter/key}) works: ' +
      'its provider comes along, status is not "missing", resolve reads it',
    async () => {
      const root = openclawDir();
      const secret = fakeSecret('sk-or-v1-', 64);
      const secretsFile = path.join(path.dirname(root), 'secrets.json');
      writeFileSync(secretsFile, JSON.stringify({ openrouter: { key: secret } }), { mode: 0o600 });
      writeOpenClawConfig(root, { secrets: { providers: { filemain: { source: 'file', path: secretsFile, mode: 'json' } } } });
      writeSplit(
        root,
        'main',
        {
          version: 1,
          profiles: {
            'openrouter:default': { type: 'api_key', provider: 'openrouter', keyRef: { source: 'file', provider: 'filemain', id: '/openrouter/key' } },
            'groq:elsewhere': { type: 'api_key', provider: 'groq', keyRef: { source: 'file', provider: 'nowhere', id: '/k' } },
          },
        },
        { order: {} },
      );
      const d = await startDaemon();
      const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const items = json<ImportOpenClawResult>(r).items;
      assert.deepEqual(
        items.map((i) => [i.kind, i.id, i.action]),
        [
          ['profile', 'groq:elsewhere', 'added'],
          ['profile', 'openrouter:default', 'added'],
          ['secret-provider', 'filemain', 'added'],
        ],
      );
      assert.match(items[0]?.note ?? '', /secret provider "nowhere", configured neither in opensoul\.json nor in openclaw\.json/);
      const status = await d.cli(['models', 'status', '--json']);
      const p = json<{ providers: { provider: string; profiles: { id: string; status: string; masked: string }[] }[] }>(status).providers.find(
        (x) => x.provider === 'openrouter',
      );
      assert.equal(p?.profiles[0]?.status, 'static', JSON.stringify(p));
      assert.equal(p?.profiles[0]?.masked, 'ref(file:filemain:/openrouter/key)');
      const groq = json<{ providers: { provider: string; profiles: { status: string; reason: string | null }[] }[] }>(status).providers.find(
        (x) => x.provider === 'groq',
      );
      assert.equal(groq?.profiles[0]?.status, 'missing');
      assert.match(groq?.profiles[0]?.reason ?? '', /secret provider "nowhere" is not configured/);
      assert.equal((await d.call(methods.authResolve, { provider: 'openrouter' })).secret, secret);
      assertNoSecrets([secret], { r: r.stdout, status: status.stdout, log: d.log() });
    },
  );

  it(
    'every field of a profile is kept (idToken, displayName, projectId, unknown keys); ' +
      'usageStats and lastGood move to auth-state.json: a billing-disabled profile stays disabled',
    async () => {
      const root = openclawDir();
      const s = fakeSecrets();
      const idToken = fakeSecret('eyJhbGciOiJSUzI1NiJ9.', 80);
      const until = Date.now() + 5 * 3_600_000;
      writeSingleFile(root, 'main', {
        version: 1,
        profiles: {
          'google-gemini-cli:me': {
            type: 'oauth',
            provider: 'google-gemini-cli',
            access: s.oauthAccess,
            refresh: s.oauthRefresh,
            expires: Date.now() + 86_400_000,
            email: 'me@example.com',
            idToken,
            displayName: 'Me',
            projectId: 'proj-42',
            futureField: { nested: true },
          },
          'openai:billing': { type: 'api_key', provider: 'openai', key: s.openaiKey },
        },
        lastGood: { 'google-gemini-cli': 'google-gemini-cli:me' },
        usageStats: { 'openai:billing': { disabledUntil: until, disabledReason: 'billing', errorCount: 1, failureCounts: { billing: 1 } } },
      });
      const d = await startDaemon();
      const r = await d.cli(['import', 'openclaw', '--from', root, '--json']);
      assert.equal(r.code, 0, r.stdout + r.stderr);
      const stored = profilesOf(d.paths.authProfiles('main')).profiles['google-gemini-cli:me'];
      assert.equal(stored?.idToken, idToken);
      assert.equal(stored?.displayName, 'Me');
      assert.equal(stored?.projectId, 'proj-42');
      assert.deepEqual(stored?.futureField, { nested: true });
      assert.equal(stored?.email, 'me@example.com');
      const state = JSON.parse(readFileSync(d.paths.authState('main'), 'utf8')) as {
        lastGood: Record<string, string>;
        usageStats: Record<string, { disabledUntil?: number; disabledReason?: string }>;
      };
      assert.equal(state.lastGood['google-gemini-cli'], 'google-gemini-cli:me');
      assert.equal(state.usageStats['openai:billing']?.disabledReason, 'billing');
      const status = await d.cli(['models', 'status', '--json']);
      const billing = json<{ providers: { profiles: { id: string; status: string; disabledUntil: number | null }[] }[] }>(status)
        .providers.flatMap((p) => p.profiles)
        .find((p) => p.id === 'openai:billing');
      assert.equal(billing?.status, 'disabled');
      assert.equal(billing?.disabledUntil, until);
      const human = await d.cli(['models', 'status']);
      assertNoSecrets([...Object.values(s), idToken], { r: r.stdout, status: status.stdout, human: human.stdout + human.stderr, log: d.log() });
    },
  );

  it('anything not imported is listed with why and exits 1; --dry-run exits as the real run would and says "would not be replaced"', async () => {
    const root = openclawDir();
    const s = fakeSecrets();
    writeSingleFile(root, 'main', { version: 1, profiles: { 'openai:work': { type: 'api_key', key: s.openaiKey }, 'anthropic:broken': { type: 'weird' } } });
    const d = await startDaemon();
    const dry = await d.cli(['import', 'openclaw', '--from', root, '--dry-run']);
    assert.equal(dry.code, 1, 'the unreadable profile is left behind, so the real run would exit 1');
    assert.match(dry.stderr, /profile "anthropic:broken": unknown or missing "type".*skipped/);
    const real = await d.cli(['import', 'openclaw', '--from', root]);
    assert.equal(real.code, 1);
    assert.match(real.stderr, /profile "anthropic:broken"/);
    assert.ok(existsSync(d.paths.authProfiles('main')), 'what could be imported was');

    // A conflict: the dry run says "would not be replaced" and exits 1, as the real run does.
    const root2 = openclawDir();
    writeSplit(root2, 'main', { version: 1, profiles: { 'openai:work': { type: 'api_key', key: fakeSecrets().openaiKey } } }, { order: {} });
    const dry2 = await d.cli(['import', 'openclaw', '--from', root2, '--dry-run']);
    assert.equal(dry2.code, 1);
    assert.match(dry2.stdout, /openai:work\s+conflict\s+OpenSoul already has this profile with a different secret or expiry; it would not be replaced/);
    assert.match(dry2.stderr, /would not be replaced; re-run with --force/);
    const real2 = await d.cli(['import', 'openclaw', '--from', root2]);
    assert.equal(real2.code, 1);
    assert.match(real2.stdout, /was not replaced/);
    const clean = openclawDir();
    writeSplit(clean, 'main', { version: 1, profiles: { 'openai:work': { type: 'api_key', key: s.openaiKey } } }, { order: {} });
    assert.equal((await d.cli(['import', 'openclaw', '--from', clean, '--dry-run'])).code, 0, 'nothing left behind: 0, in a dry run too');
    assertNoSecrets(Object.values(s), { dry: dry.stdout + dry.stderr, real: real.stdout + real.stderr, dry2: dry2.stdout + dry2.stderr, log: d.log() });
  });
});
