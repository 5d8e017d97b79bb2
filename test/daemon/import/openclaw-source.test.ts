/**
 * The read side of `import openclaw` (§3, OpenClaw's layouts (a)–(d) and `.env`): each layout
 * alone, several at once (precedence and merge), the shared SQLite store of `main`, a running
 * OpenClaw (non-empty WAL), broken files and rows, and a source that is never changed. Every
 * test greps its warnings and errors for the fake secrets it planted.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { OpenSoulError } from '../../../ipc/errors.js';
import { knownProviderEnvVars } from '../../../ipc/providers.js';
import { readOpenClawState } from '../../../daemon/import/openclaw-source.js';
import type { OpenClawSnapshot } from '../../../daemon/import/openclaw-source.js';
import { REPO, assertNoSecrets, repoTempDir, run } from '../../support/harness.js';
import {
  agentDir,
  backdateTree,
  fakeSecrets,
  openclawDir,
  snapshotTree,
  writeAgentSqlite,
  writeEnvFile,
  writeLegacyAuthJson,
  writeOpenClawConfig,
  writeSharedSqlite,
  writeSingleFile,
  writeSplit,
  writeSqlite,
} from '../../support/openclaw-fixtures.js';
import type { FakeSecrets } from '../../support/openclaw-fixtures.js';
import { plain } from '../../support/plain.js';

const providerEnvVars: ReadonlySet<string> = new Set(knownProviderEnvVars());
const read = (from: string): Promise<OpenClawSnapshot> => readOpenClawState(from, { providerEnvVars });

function assertWarningsClean(s: FakeSecrets, snapshot: OpenClawSnapshot): void {
  assertNoSecrets(Object.values(s), { warnings: JSON.stringify(snapshot.warnings) });
}

/** Runs `fn`, expects an OpenSoulError of `kind`, and proves no fake secret is in it. */
async function expectError(s: FakeSecrets, kind: string, fn: () => Promise<unknown>): Promise<OpenSoulError> {
  let caught: unknown;
  try {
    await fn();
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof OpenSoulError, `expected an OpenSoulError, got ${String(caught)}`);
  assert.equal(caught.kind, kind);
  assertNoSecrets(Object.values(s), { error: JSON.stringify(caught), message: caught.message, details: JSON.stringify(caught.details) });
  return caught;
}

const agentOf = (snapshot: OpenClawSnapshot, id: string) => {
  const agent = snapshot.agents.find((a) => a.id === id);
  assert.ok(agent, `agent ${id} was not read (agents: ${snapshot.agents.map((a) => a.id).join(', ')})`);
  return agent;
};

describe('import openclaw: reading the source', () => {
  describe('each layout alone', () => {
    it('(a) single-file auth-profiles.json: profiles with OpenClaw aliases, and the order', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const file = writeSingleFile(root, 'main', {
        version: 1,
        profiles: {
          'anthropic:default': { mode: 'api_key', provider: 'anthropic', apiKey: s.anthropicKey },
          'anthropic:sub': { type: 'token', provider: 'anthropic', token: s.setupToken, expires: 1_900_000_000_000 },
          'anthropic:max': {
            type: 'oauth',
            provider: 'anthropic',
            access: s.oauthAccess,
            refresh: s.oauthRefresh,
            expires: 1_900_000_000_000,
            email: 'a@example.com',
          },
        },
        order: { anthropic: ['anthropic:max', 'anthropic:default'] },
        lastGood: { anthropic: 'anthropic:max' },
        usageStats: { 'anthropic:max': { lastUsed: 1_800_000_000_000, errorCount: 0 } },
      });
      const snapshot = await read(root);
      assert.equal(snapshot.from, root);
      assert.deepEqual(plain(snapshot.warnings), []);
      assert.deepEqual(plain(snapshot.agents.map((a) => a.id)), ['main']);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'single-file');
      assert.deepEqual(plain(main.sources), [file]);
      assert.deepEqual(plain(main.profiles['anthropic:default']), { type: 'api_key', provider: 'anthropic', key: s.anthropicKey });
      assert.deepEqual(plain(main.profiles['anthropic:sub']), { type: 'token', provider: 'anthropic', token: s.setupToken, expires: 1_900_000_000_000 });
      assert.deepEqual(plain(main.profiles['anthropic:max']), {
        type: 'oauth',
        provider: 'anthropic',
        access: s.oauthAccess,
        refresh: s.oauthRefresh,
        expires: 1_900_000_000_000,
        email: 'a@example.com',
      });
      assert.deepEqual(plain(main.order), { anthropic: ['anthropic:max', 'anthropic:default'] });
      assertWarningsClean(s, snapshot);
    });

    it('(b) split auth-profiles.json + auth-state.json: the order comes from auth-state.json', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const files = writeSplit(
        root,
        'work',
        {
          version: 1,
          profiles: { 'openai:default': { type: 'api_key', provider: 'openai', key: s.openaiKey }, 'anthropic:a': { type: 'token', token: s.setupToken } },
        },
        { version: 1, order: { openai: ['openai:default'], anthropic: ['anthropic:a'] }, lastGood: { openai: 'openai:default' }, usageStats: {} },
      );
      const snapshot = await read(root);
      const work = agentOf(snapshot, 'work');
      assert.equal(work.layout, 'split');
      assert.deepEqual(plain(work.sources), [files.store, files.state]);
      assert.deepEqual(plain(Object.keys(work.profiles).sort()), ['anthropic:a', 'openai:default']);
      assert.deepEqual(plain(work.profiles['anthropic:a']), { type: 'token', provider: 'anthropic', token: s.setupToken });
      assert.deepEqual(plain(work.order), { openai: ['openai:default'], anthropic: ['anthropic:a'] });
      assert.deepEqual(plain(snapshot.warnings), []);
      assertWarningsClean(s, snapshot);
    });

    it('(d) a flat auth.json: each provider becomes <provider>:default', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const file = writeLegacyAuthJson(root, 'old', { anthropic: { type: 'api_key', key: s.anthropicKey }, groq: s.groqKey });
      const snapshot = await read(root);
      const old = agentOf(snapshot, 'old');
      assert.equal(old.layout, 'legacy-auth-json');
      assert.deepEqual(plain(old.sources), [file]);
      assert.deepEqual(plain(old.profiles), {
        'anthropic:default': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey },
        'groq:default': { type: 'api_key', provider: 'groq', key: s.groqKey },
      });
      assert.deepEqual(plain(old.order), {});
      assertWarningsClean(s, snapshot);
    });

    it('(c) a per-agent openclaw-agent.sqlite (WAL-mode header, no -wal file)', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const file = await writeAgentSqlite(
        root,
        'coder',
        {
          store: { version: 1, profiles: { 'anthropic:default': { type: 'token', provider: 'anthropic', token: s.setupToken } } },
          state: { order: { anthropic: ['anthropic:default'] }, lastGood: {}, usageStats: {} },
        },
        { walMode: true },
      );
      const snapshot = await read(root);
      const coder = agentOf(snapshot, 'coder');
      assert.equal(coder.layout, 'sqlite');
      assert.deepEqual(plain(coder.sources), [file]);
      assert.deepEqual(plain(coder.profiles), { 'anthropic:default': { type: 'token', provider: 'anthropic', token: s.setupToken } });
      assert.deepEqual(plain(coder.order), { anthropic: ['anthropic:default'] });
      assert.deepEqual(plain(snapshot.warnings), []);
      assertWarningsClean(s, snapshot);
    });

    it('(c) finds the key and value columns by other names (id/json as BLOB; first TEXT column/second column)', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      await writeAgentSqlite(
        root,
        'blobby',
        { store: { version: 1, profiles: { 'openai:default': { type: 'api_key', key: s.openaiKey } } }, state: { order: { openai: ['openai:default'] } } },
        { schema: { columns: 'id TEXT PRIMARY KEY, json BLOB, updated_at INTEGER', key: 'id', value: 'json', blob: true } },
      );
      await writeAgentSqlite(
        root,
        'terse',
        { store: { version: 1, profiles: { 'groq:default': { type: 'api_key', key: s.groqKey } } } },
        { schema: { columns: 'k TEXT, v TEXT', key: 'k', value: 'v' } },
      );
      const snapshot = await read(root);
      assert.deepEqual(plain(agentOf(snapshot, 'blobby').profiles), { 'openai:default': { type: 'api_key', provider: 'openai', key: s.openaiKey } });
      assert.deepEqual(plain(agentOf(snapshot, 'blobby').order), { openai: ['openai:default'] });
      assert.deepEqual(plain(agentOf(snapshot, 'terse').profiles), { 'groq:default': { type: 'api_key', provider: 'groq', key: s.groqKey } });
      assert.deepEqual(plain(snapshot.warnings), []);
      assertWarningsClean(s, snapshot);
    });
  });

  describe('the shared store and several layouts', () => {
    it('reads the shared state/openclaw.sqlite as agent main, with no agents/ dir at all', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const file = await writeSharedSqlite(root, {
        store: { version: 1, profiles: { 'anthropic:max': { type: 'oauth', access: s.oauthAccess, refresh: s.oauthRefresh, expires: 1_900_000_000_000 } } },
        state: { order: { anthropic: ['anthropic:max'] }, lastGood: {}, usageStats: {} },
        other: { 'gateway.port': 18789 },
      });
      const snapshot = await read(root);
      assert.deepEqual(plain(snapshot.agents.map((a) => a.id)), ['main']);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'sqlite');
      assert.deepEqual(plain(main.sources), [file]);
      assert.equal(main.profiles['anthropic:max']?.type, 'oauth');
      assert.deepEqual(plain(main.order), { anthropic: ['anthropic:max'] });
      assert.deepEqual(plain(snapshot.warnings), []);
      assertWarningsClean(s, snapshot);
    });

    it("main: its own database wins over the shared one per profile id; the shared store's other profiles are kept", async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const shared = await writeSharedSqlite(root, {
        store: {
          version: 1,
          profiles: {
            'anthropic:default': { type: 'api_key', key: 'sk-ant-api03-SHARED-OLD-VALUE' },
            'openai:default': { type: 'api_key', key: s.openaiKey },
          },
        },
        state: { order: { openai: ['openai:default'] } },
      });
      const own = await writeAgentSqlite(root, 'main', {
        store: { version: 1, profiles: { 'anthropic:default': { type: 'api_key', key: s.anthropicKey } } },
        state: { order: { anthropic: ['anthropic:default'] } },
      });
      const snapshot = await read(root);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'sqlite');
      assert.deepEqual(plain(main.sources), [own, shared]);
      assert.deepEqual(plain(main.profiles), {
        'anthropic:default': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey },
        'openai:default': { type: 'api_key', provider: 'openai', key: s.openaiKey },
      });
      assert.deepEqual(plain(main.order), { anthropic: ['anthropic:default'] }, "the agent's own order wins over the shared one");
      assertWarningsClean(s, snapshot);
    });

    it('the shared store is for main only: other agents do not get its profiles', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      await writeSharedSqlite(root, { store: { version: 1, profiles: { 'openai:default': { type: 'api_key', key: s.openaiKey } } } });
      writeSingleFile(root, 'work', { version: 1, profiles: { 'groq:default': { type: 'api_key', key: s.groqKey } } });
      const snapshot = await read(root);
      assert.deepEqual(plain(snapshot.agents.map((a) => a.id)), ['main', 'work']);
      assert.deepEqual(plain(Object.keys(agentOf(snapshot, 'work').profiles)), ['groq:default']);
      assert.deepEqual(plain(Object.keys(agentOf(snapshot, 'main').profiles)), ['openai:default']);
      assertWarningsClean(s, snapshot);
    });

    it('one agent with sqlite, split JSON and auth.json: the higher layout wins per id, lower-only ids are merged in', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const db = await writeAgentSqlite(root, 'main', {
        store: { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } },
        state: { order: { anthropic: ['anthropic:default', 'anthropic:work'] } },
      });
      const files = writeSplit(
        root,
        'main',
        {
          version: 1,
          profiles: {
            'anthropic:default': { type: 'api_key', key: 'sk-ant-api03-STALE-JSON-VALUE' },
            'anthropic:work': { type: 'api_key', key: s.anthropicKey },
          },
        },
        { order: { anthropic: ['anthropic:work'] } },
      );
      const legacy = writeLegacyAuthJson(root, 'main', { anthropic: 'sk-ant-api03-STALE-LEGACY-VALUE', openai: s.openaiKey });
      const snapshot = await read(root);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'sqlite');
      assert.deepEqual(plain(main.sources), [db, files.store, files.state, legacy]);
      assert.deepEqual(plain(main.profiles), {
        'anthropic:default': { type: 'token', provider: 'anthropic', token: s.setupToken },
        'anthropic:work': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey },
        'openai:default': { type: 'api_key', provider: 'openai', key: s.openaiKey },
      });
      assert.deepEqual(plain(main.order), { anthropic: ['anthropic:default', 'anthropic:work'] });
      assert.deepEqual(plain(snapshot.warnings), []);
      assertWarningsClean(s, snapshot);
    });

    it('the order comes from the highest layout that has one', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      await writeAgentSqlite(root, 'main', { store: { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } } });
      writeSingleFile(root, 'main', { version: 1, profiles: {}, order: { anthropic: ['anthropic:default'] } });
      const snapshot = await read(root);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'sqlite');
      assert.deepEqual(plain(main.order), { anthropic: ['anthropic:default'] });
      assertWarningsClean(s, snapshot);
    });
  });

  describe('what an import must not lose', () => {
    it('keeps unknown profile fields and the usage state of every layout; reads auth.order and secrets.providers of openclaw.json', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const idToken = `eyJ.${s.oauthRefresh}`;
      await writeSharedSqlite(root, {
        store: {
          version: 1,
          profiles: {
            'openai-codex:me': { type: 'oauth', access: s.oauthAccess, refresh: s.oauthRefresh, expires: 1_900_000_000_000, idToken, projectId: 'p-1' },
          },
        },
        state: {
          lastGood: { 'openai-codex': 'openai-codex:me' },
          usageStats: { 'openai-codex:me': { disabledUntil: 1_900_000_000_000, disabledReason: 'billing' } },
        },
      });
      writeSingleFile(root, 'early', {
        version: 1,
        profiles: { 'groq:default': { type: 'api_key', key: s.groqKey, displayName: 'G' } },
        usageStats: { 'groq:default': { errorCount: 2 } },
      });
      writeOpenClawConfig(
        root,
        '// JSON5-ish\n{ "auth": { "order": { "anthropic": ["anthropic:a", "anthropic:b"] } }, ' +
          '"secrets": { "providers": { "filemain": { "source": "file", "path": "~/.openclaw/s.json" } } }, }\n',
      );
      const snapshot = await read(root);
      const main = agentOf(snapshot, 'main');
      assert.deepEqual(plain(main.extras), { 'openai-codex:me': { idToken, projectId: 'p-1' } });
      assert.deepEqual(plain(main.usage), {
        lastGood: { 'openai-codex': 'openai-codex:me' },
        usageStats: { 'openai-codex:me': { disabledUntil: 1_900_000_000_000, disabledReason: 'billing' } },
      });
      assert.deepEqual(plain(agentOf(snapshot, 'early').extras), { 'groq:default': { displayName: 'G' } });
      assert.deepEqual(plain(agentOf(snapshot, 'early').usage.usageStats), { 'groq:default': { errorCount: 2 } });
      assert.deepEqual(plain(snapshot.configOrder), { anthropic: ['anthropic:a', 'anthropic:b'] });
      assert.deepEqual(plain(snapshot.secretProviders), { filemain: { source: 'file', path: '~/.openclaw/s.json' } });
      assertWarningsClean(s, snapshot);
      assertNoSecrets([idToken], { warnings: JSON.stringify(snapshot.warnings) });
    });
  });

  describe('a running OpenClaw (WAL)', () => {
    for (const where of ['per-agent', 'shared'] as const) {
      it(`a non-empty -wal next to the ${where} database is a CONFLICT: OpenClaw must be stopped first`, async () => {
        const s = fakeSecrets();
        const root = openclawDir();
        const values = { store: { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } } };
        const db =
          where === 'shared' ? await writeSharedSqlite(root, values, { walMode: true }) : await writeAgentSqlite(root, 'main', values, { walMode: true });
        // A WAL holding a (fake) frame that carries a secret: it must be neither read nor quoted.
        writeFileSync(`${db}-wal`, `WAL-FRAME ${s.setupToken}`);
        const err = await expectError(s, 'CONFLICT', () => read(root));
        assert.match(String(err.details.reason), /OpenClaw must be stopped first/);
        assert.ok(String(err.details.reason).includes(`${db}-wal`), 'the reason names the -wal file');
        assert.match(err.message, /^Conflict: /);
      });
    }

    it('an empty -wal (OpenClaw stopped cleanly) is fine', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const db = await writeAgentSqlite(
        root,
        'main',
        { store: { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } } },
        { walMode: true },
      );
      writeFileSync(`${db}-wal`, '');
      writeFileSync(`${db}-shm`, Buffer.alloc(32768));
      const snapshot = await read(root);
      assert.equal(agentOf(snapshot, 'main').profiles['anthropic:default']?.type, 'token');
      assertWarningsClean(s, snapshot);
    });
  });

  describe('broken sources', () => {
    it('a broken JSON file: a warning with the file and position, its layout skipped, the rest imported', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      // A missing comma after the key: JSON.parse would quote the text around it, with the secret.
      const broken = writeSingleFile(
        root,
        'main',
        `{\n  "profiles": {\n    "anthropic:default": { "type": "api_key", "key": "${s.anthropicKey}" "x": 1 }\n  }\n}\n`,
      );
      writeLegacyAuthJson(root, 'main', { openai: s.openaiKey });
      writeSingleFile(root, 'work', { version: 1, profiles: { 'groq:default': { type: 'api_key', key: s.groqKey } } });
      const snapshot = await read(root);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'legacy-auth-json', 'the broken layout is skipped; the lower one is used');
      assert.deepEqual(plain(Object.keys(main.profiles)), ['openai:default']);
      assert.deepEqual(plain(Object.keys(agentOf(snapshot, 'work').profiles)), ['groq:default']);
      const warning = snapshot.warnings.find((w) => w.includes(broken));
      assert.ok(warning, `no warning names ${broken}: ${JSON.stringify(snapshot.warnings)}`);
      assert.match(warning, /line 3, column \d+: comma expected/);
      assert.match(warning, /agent "main" was skipped/);
      assertWarningsClean(s, snapshot);
    });

    it('a broken auth-state.json skips the whole split layout of that agent', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const files = writeSplit(
        root,
        'main',
        { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } },
        '{ "order": { "anthropic": [ } }',
      );
      const snapshot = await read(root);
      assert.deepEqual(plain(snapshot.agents), []);
      assert.ok(
        snapshot.warnings.some((w) => w.includes(files.state) && /line 1, column \d+/.test(w)),
        JSON.stringify(snapshot.warnings),
      );
      assert.ok(snapshot.warnings.some((w) => /agent "main": no profiles or order could be read/.test(w)));
      assertWarningsClean(s, snapshot);
    });

    it('a broken row: a warning naming the database, table, row and position; the sqlite layout skipped, JSON used', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const db = await writeAgentSqlite(root, 'main', {
        store: `{"version":1,"profiles":{"anthropic:default":{"type":"token","token":"${s.setupToken}"}}`,
        state: { order: { anthropic: ['anthropic:default'] } },
      });
      writeSingleFile(root, 'main', { version: 1, profiles: { 'openai:default': { type: 'api_key', key: s.openaiKey } } });
      const snapshot = await read(root);
      const main = agentOf(snapshot, 'main');
      assert.equal(main.layout, 'single-file');
      assert.deepEqual(plain(Object.keys(main.profiles)), ['openai:default']);
      assert.deepEqual(plain(main.order), {}, 'the order of the skipped sqlite layout is not used');
      const warning = snapshot.warnings.find((w) => w.includes(db));
      assert.ok(warning, JSON.stringify(snapshot.warnings));
      assert.match(warning, /table auth_profile_store, row "primary"/);
      assert.match(warning, /line 1, column \d+: closing brace expected/);
      assert.match(warning, /the sqlite layout of agent "main" was skipped/);
      assertWarningsClean(s, snapshot);
    });

    it('a file that is not a SQLite database: a warning, the sqlite layout skipped', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const db = path.join(agentDir(root, 'main'), 'openclaw-agent.sqlite');
      writeFileSync(db, `not a database ${s.setupToken} ${'x'.repeat(200)}`);
      writeLegacyAuthJson(root, 'main', { anthropic: s.anthropicKey });
      const snapshot = await read(root);
      assert.equal(agentOf(snapshot, 'main').layout, 'legacy-auth-json');
      assert.ok(
        snapshot.warnings.some((w) => w.includes(db) && /not a readable SQLite database/.test(w)),
        JSON.stringify(snapshot.warnings),
      );
      assertWarningsClean(s, snapshot);
    });

    it('a database without the expected rows: a warning, nothing read from it', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const db = await writeSqlite(path.join(root, 'state', 'openclaw.sqlite'), { tables: { config_machine_state: { rows: { 'gateway.port': 1 } } } });
      writeEnvFile(root, `ANTHROPIC_API_KEY=${s.anthropicKey}\n`);
      const snapshot = await read(root);
      assert.deepEqual(plain(snapshot.agents), []);
      assert.equal(snapshot.env.ANTHROPIC_API_KEY, s.anthropicKey);
      assert.ok(
        snapshot.warnings.some((w) => w.includes(db) && /authProfiles\.store/.test(w)),
        JSON.stringify(snapshot.warnings),
      );
      assertWarningsClean(s, snapshot);
    });

    it('an agent dir whose name is not a valid agent id is skipped with a warning', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      writeSingleFile(root, 'bad name!', { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } });
      writeSingleFile(root, 'good', { version: 1, profiles: { 'openai:default': { type: 'api_key', key: s.openaiKey } } });
      const snapshot = await read(root);
      assert.deepEqual(plain(snapshot.agents.map((a) => a.id)), ['good']);
      assert.ok(snapshot.warnings.some((w) => w.includes('"bad name!"') && /not a valid agent id/.test(w)));
      assertWarningsClean(s, snapshot);
    });
  });

  describe('.env and the source dir itself', () => {
    it('.env: only provider key names are kept; other names are listed, never their values', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const slackToken = `xoxb-FAKE-${s.groqKey}`;
      writeEnvFile(
        root,
        [
          '# OpenClaw env',
          `ANTHROPIC_API_KEY=${s.anthropicKey}`,
          `export OPENAI_API_KEY="${s.openaiKey}"`,
          `SLACK_BOT_TOKEN=${slackToken}`,
          'GROQ_API_KEY=',
          'this line is not an assignment',
          '',
        ].join('\n'),
      );
      const snapshot = await read(root);
      assert.deepEqual(plain(snapshot.env), { ANTHROPIC_API_KEY: s.anthropicKey, OPENAI_API_KEY: s.openaiKey });
      assert.deepEqual(plain(snapshot.agents), []);
      assert.ok(
        snapshot.warnings.some((w) => /not provider keys were not imported \(SLACK_BOT_TOKEN\)/.test(w)),
        JSON.stringify(snapshot.warnings),
      );
      assert.ok(snapshot.warnings.some((w) => /GROQ_API_KEY is empty/.test(w)));
      assert.ok(snapshot.warnings.some((w) => /line 6: not a KEY=value line/.test(w)));
      assertNoSecrets([...Object.values(s), slackToken], { warnings: JSON.stringify(snapshot.warnings) });
    });

    it('a missing source dir, or one without OpenClaw state, is INVALID_INPUT naming what was looked for', async () => {
      const s = fakeSecrets();
      const parent = path.dirname(openclawDir());
      for (const from of [path.join(parent, 'does-not-exist'), parent]) {
        const err = await expectError(s, 'INVALID_INPUT', () => read(from));
        assert.match(String(err.details.reason), /^no OpenClaw state found in /);
        assert.ok(String(err.details.reason).includes(from));
        assert.match(String(err.details.reason), /agents\/\*\/agent\/auth-profiles\.json/);
        assert.match(String(err.details.reason), /state\/openclaw\.sqlite/);
      }
      // An agent dir without any credential file is not OpenClaw state either.
      agentDir(path.join(parent, '.openclaw'), 'main');
      await expectError(s, 'INVALID_INPUT', () => read(path.join(parent, '.openclaw')));
    });

    it('a relative path is resolved: `from` is absolute in the snapshot', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      writeEnvFile(root, `OPENAI_API_KEY=${s.openaiKey}\n`);
      const snapshot = await read(path.relative(process.cwd(), root));
      assert.equal(snapshot.from, root);
      assert.equal(snapshot.env.OPENAI_API_KEY, s.openaiKey);
      assertWarningsClean(s, snapshot);
    });

    it('reading changes nothing in the source: same files, bytes, mtimes and modes', async () => {
      const s = fakeSecrets();
      const root = openclawDir();
      const store = { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } };
      await writeSharedSqlite(root, { store, state: { order: { anthropic: ['anthropic:default'] } } }, { walMode: true });
      const own = await writeAgentSqlite(root, 'main', { store, state: { order: {} } }, { walMode: true });
      writeFileSync(`${own}-wal`, '');
      writeSplit(root, 'main', store, { order: { anthropic: ['anthropic:default'] } });
      writeLegacyAuthJson(root, 'main', { openai: s.openaiKey });
      writeSingleFile(root, 'work', '{ broken');
      writeEnvFile(root, `ANTHROPIC_API_KEY=${s.anthropicKey}\n`);
      // Back-dated, so that any write during the read shows as a new mtime.
      backdateTree(root);
      const before = snapshotTree(root);
      const snapshot = await read(root);
      assert.equal(agentOf(snapshot, 'main').layout, 'sqlite');
      assert.deepEqual(plain(snapshotTree(root)), before);
      assertWarningsClean(s, snapshot);
    });
  });

  describe('bundled like the daemon (esbuild, npm packages external)', () => {
    it('loads sql.js lazily and finds its wasm file from the bundle', async function () {
      this.timeout(30_000);
      const s = fakeSecrets();
      const jsonOnly = openclawDir();
      writeSingleFile(jsonOnly, 'main', { version: 1, profiles: { 'openai:default': { type: 'api_key', key: s.openaiKey } } });
      const withDb = openclawDir();
      await writeAgentSqlite(
        withDb,
        'main',
        { store: { version: 1, profiles: { 'anthropic:default': { type: 'token', token: s.setupToken } } } },
        { walMode: true },
      );
      // Beside dist/ in the repo, so the bundle resolves node_modules as dist/gateway.mjs does.
      const out = repoTempDir();
      await build({
        entryPoints: { gateway: path.join(REPO, 'daemon/import/openclaw-source.ts') },
        outdir: out,
        outExtension: { '.js': '.mjs' },
        bundle: true,
        platform: 'node',
        target: 'node20.19',
        format: 'esm',
        packages: 'external',
        minifySyntax: true,
        logLevel: 'silent',
      });
      const probe = path.join(out, 'probe.mjs');
      writeFileSync(
        probe,
        [
          "import { createRequire } from 'node:module';",
          "const { readOpenClawState } = await import('./gateway.mjs');",
          'const opts = { providerEnvVars: new Set() };',
          "const loaded = () => Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('sql.js'));",
          'const a = await readOpenClawState(process.argv[2], opts);',
          'const afterJson = loaded();',
          'const b = await readOpenClawState(process.argv[3], opts);',
          'console.log(JSON.stringify({ afterJson, afterDb: loaded(), ' +
            'a: a.agents.map((x) => x.layout), b: b.agents.map((x) => [x.layout, Object.keys(x.profiles)]) }));',
        ].join('\n'),
      );
      const result = await run(process.execPath, [probe, jsonOnly, withDb], { cwd: out });
      assert.equal(result.code, 0, result.stderr);
      assert.deepEqual(plain(JSON.parse(result.stdout)), {
        afterJson: false,
        afterDb: true,
        a: ['single-file'],
        b: [['sqlite', ['anthropic:default']]],
      });
      assertNoSecrets(Object.values(s), { stdout: result.stdout, stderr: result.stderr });
    });
  });
});
