/**
 * `opensoul import openclaw` end to end: a fake ~/.openclaw in every layout of SPEC §3 (the
 * early single file, the split files, the flat auth.json, and the current SQLite stores built
 * with sql.js), imported by the real CLI through the real daemon. A conflict is reported and
 * not overwritten without --force; --dry-run writes nothing; the source is never modified.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ImportOpenClawResult } from '../../ipc/protocol.js';
import { assertNoSecrets, startDaemon } from '../support/harness.js';
import { backdateTree, fakeSecrets, openclawDir, snapshotTree, writeAgentSqlite, writeEnvFile, writeLegacyAuthJson, writeSharedSqlite, writeSingleFile, writeSplit } from '../support/openclaw-fixtures.js';

const profilesOf = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { profiles: Record<string, Record<string, unknown>>; order?: Record<string, string[]> });

async function fixtureOfEveryLayout() {
  const root = openclawDir();
  const s = fakeSecrets();
  const exp = Date.now() + 200 * 86_400_000;
  // (c) SQLite: the shared store for main, and a per-agent database for "coder".
  await writeSharedSqlite(root, {
    store: { version: 1, profiles: { 'anthropic:max': { type: 'token', provider: 'anthropic', token: s.setupToken, expires: exp } } },
    state: { order: { anthropic: ['anthropic:max'] }, lastGood: {}, usageStats: {} },
  });
  await writeAgentSqlite(root, 'coder', { store: { version: 1, profiles: { 'openai:coder': { type: 'api_key', provider: 'openai', key: s.openaiKey } } }, state: { order: {} } });
  // (a) the early single file, with usage state inside.
  writeSingleFile(root, 'early', { version: 1, profiles: { 'groq:default': { mode: 'api_key', apiKey: s.groqKey } }, order: { groq: ['groq:default'] }, lastGood: { groq: 'groq:default' }, usageStats: {} });
  // (b) the split files, with order in auth-state.json.
  writeSplit(root, 'split', { version: 1, profiles: { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey } } }, { order: { anthropic: ['anthropic:key'] }, lastGood: {}, usageStats: {} });
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
    const added = result.items.filter((i) => i.action === 'added').map((i) => `${i.agent} ${i.kind} ${i.id}`).sort();
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
    assert.deepEqual(profilesOf(d.paths.authProfiles('early')).profiles['groq:default'], { type: 'api_key', provider: 'groq', key: s.groqKey }, 'written in the strict shape');
    assert.deepEqual(profilesOf(d.paths.authProfiles('old')).profiles['openai:default'], { type: 'api_key', provider: 'openai', key: s.openaiKey });
    assert.match(readFileSync(d.paths.dotenv, 'utf8'), new RegExp(`^ANTHROPIC_API_KEY=${s.anthropicKey}$`, 'm'));
    assert.ok(!readFileSync(d.paths.dotenv, 'utf8').includes('UNRELATED'), 'only provider keys are imported');
    assert.deepEqual(snapshotTree(root), before, 'the source is byte-for-byte and mtime unchanged');

    const again = await d.cli(['import', 'openclaw', '--from', root, '--json']);
    assert.equal(again.code, 0);
    assert.ok((JSON.parse(again.stdout) as ImportOpenClawResult).items.every((i) => i.action === 'unchanged'), 'a second import changes nothing');
    const human = await d.cli(['import', 'openclaw', '--from', root]);
    assertNoSecrets(Object.values(s), { json: r.stdout + r.stderr, again: again.stdout, human: human.stdout + human.stderr, log: d.log(), daemonStderr: d.stderr() });
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

  it('reports a profile that differs as a conflict (exit 1) and keeps OpenSoul\'s; --force replaces it', async () => {
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
    const db = await writeAgentSqlite(root, 'main', { store: { version: 1, profiles: { 'openai:x': { type: 'api_key', key: s.openaiKey } } } }, { walMode: true });
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
