/** The human views: aligned columns, one duration format, "until replaced", the env-gap line. */
import assert from 'node:assert/strict';
import { renderAuthList } from '../../../client/render/auth-list.js';
import { renderGatewayStatus } from '../../../client/render/gateway-status.js';
import { renderModelsStatus } from '../../../client/render/models-status.js';
import { makeStyle } from '../../../client/render/style.js';
import { UNTIL_REPLACED } from '../../../daemon/resolver/cooldowns.js';
import { computeModelsStatus } from '../../../daemon/status/models-status.js';
import type { GatewayStatusResult } from '../../../ipc/protocol.js';
import { H, NOW, input } from '../../support/status-input.js';

const plain = makeStyle(false);

/** The column at which `needle` starts on each line that has it. */
const columnsOf = (lines: string[], needle: RegExp) => lines.filter((l) => needle.test(l)).map((l) => l.search(needle));

const status = computeModelsStatus(
  input({
    profiles: {
      'anthropic:a-much-longer-id': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-' + 'A'.repeat(90), expires: NOW + 364 * 24 * H },
      'anthropic:k': { type: 'api_key', provider: 'anthropic', key: 'sk-ant-api03-' + 'B'.repeat(60) },
      'anthropic:scoped': { type: 'token', provider: 'anthropic', token: 'sk-ant-oat01-' + 'C'.repeat(90) },
      'openai:x': { type: 'api_key', provider: 'openai', key: 'sk-proj-' + 'D'.repeat(40) },
    },
    usage: {
      lastGood: {},
      usageStats: {
        'anthropic:scoped': { disabledUntil: UNTIL_REPLACED, disabledReason: 'credential_scope' },
        'openai:x': { cooldownUntil: NOW + 5 * 60_000 + 3000 },
      },
    },
    clientEnvNames: ['GROQ_API_KEY'],
    fileErrors: [{ path: '/s/agents/main/agent/auth-profiles.json', message: 'line 2, column 1: unexpected end' }],
  }),
);

describe('models status (human view)', () => {
  const text = renderModelsStatus(status, plain);
  const lines = text.split('\n');

  it('aligns the profile rows of every provider in columns', () => {
    const masks = columnsOf(lines, /sk-(ant|proj)-[a-z0-9]*\.\.\./);
    assert.equal(masks.length, 4, text);
    assert.equal(new Set(masks).size, 1, `masked secrets start in one column:\n${text}`);
    const heads = columnsOf(lines, /(profile|env|missing) .*\d profiles?|no profiles/);
    assert.ok(heads.length >= 2);
  });

  it('one duration format: `11mo 29d`, `5m 3s`; a credential_scope disable is "until replaced", never a 273915-year wait', () => {
    assert.match(text, /expires in 11mo 29d/);
    assert.match(text, /cooldown 5m 3s/);
    assert.match(text, /disabled until replaced/);
    assert.doesNotMatch(text, /\d{3,}y|hours|minutes|days/);
    assert.match(text, /anthropic:scoped\s+disabled\s+until replaced/);
  });

  it('names the key this shell has and the gateway does not, and how to fix it, with the real .env path', () => {
    assert.ok(
      text.includes(
        'GROQ_API_KEY is set in this shell but the gateway does not see it: run `opensoul onboard --non-interactive --from-env` (stores it in /s/.env)',
      ),
      text,
    );
  });

  it('names the file that does not parse', () => {
    assert.match(text, /File errors\n {2}\/s\/agents\/main\/agent\/auth-profiles\.json: line 2, column 1: unexpected end/);
  });
});

describe('auth list (human view)', () => {
  it('aligns every column and words waits like status does', () => {
    const profiles = status.providers.flatMap((p) => p.profiles);
    const text = renderAuthList(
      { agent: 'main', authStore: '/s/a.json', profiles, order: {}, agentId: 'main', agentDir: '/s', storePath: '/s/a.json' },
      plain,
      NOW,
    );
    const lines = text.split('\n');
    assert.equal(new Set(columnsOf(lines, /sk-(ant|proj)-[a-z0-9]*\.\.\./)).size, 1, text);
    assert.equal(new Set(columnsOf(lines, / (token|api_key) /).map((c) => c + 1)).size, 1, text);
    assert.match(text, /disabled until replaced/);
  });
});

describe('gateway status (human view)', () => {
  it('aligns the labels and the file states', () => {
    const files = ['/s/opensoul.json', '/s/.env', '/s/agents/main/agent/auth-profiles.json'].map((path, i) => ({
      path,
      kind: 'config' as const,
      agent: null,
      exists: i !== 1,
      ok: true,
      error: null,
      warnings: [],
      mtimeMs: null,
      loadedAt: null,
    }));
    const r = {
      pid: 1,
      version: '0.1.0',
      stateDir: '/s',
      socket: '/s/run/gateway.sock',
      uptimeMs: 3 * H + 120_000,
      logFile: '/s/logs/gateway.log',
      agents: ['main'],
      defaultAgent: 'main',
      files,
      reloads: { count: 1, checks: 1, lastAt: null, lastTrigger: null },
    } as unknown as GatewayStatusResult;
    const text = renderGatewayStatus(r, plain);
    const lines = text.split('\n');
    assert.equal(new Set(columnsOf(lines, /\b(ok|absent)$/)).size, 1, text);
    assert.match(text, /up 3h 2m/);
    const valueColumns = ['Gateway', 'Socket', 'State dir', 'Log', 'Agents', 'Reloads'].map((label) => {
      const line = lines.find((l) => l.startsWith(label)) ?? '';
      return line.length - line.slice(label.length).trimStart().length;
    });
    assert.equal(new Set(valueColumns).size, 1, text);
  });
});
