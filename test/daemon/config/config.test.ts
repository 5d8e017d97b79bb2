/** opensoul.json read leniently: a wrong field is ignored with a warning naming it; the rest applies. */
import assert from 'node:assert/strict';
import { readConfig } from '../../../daemon/config/config.js';
import { plain } from '../../support/plain.js';

describe('config reading (lenient)', () => {
  it('reads env, auth, agents and models', () => {
    const { config, warnings } = readConfig({
      env: { vars: { ANTHROPIC_API_KEY: 'x' }, OPENAI_API_KEY: 'y', shellEnv: { enabled: true, timeoutMs: 500 } },
      auth: { order: { anthropic: ['anthropic:a'] }, profiles: { 'anthropic:a': { provider: 'anthropic', mode: 'token' } }, expiringWindowHours: 48 },
      agents: {
        defaults: {
          model: { primary: 'openai/gpt-5', fallbacks: ['anthropic/claude-sonnet-4-5'] },
          models: { 'anthropic/claude-opus-4-5': { alias: 'opus' } },
        },
        list: [{ id: 'main' }, { id: 'work', default: true, model: 'openai/gpt-5-mini' }],
      },
      models: {
        providers: { anthropic: { baseUrl: 'http://127.0.0.1:9999/' }, local: { baseUrl: 'http://127.0.0.1:1234/v1', envVars: ['LOCAL_KEY'] } },
        aliases: { fast: 'groq/llama' },
      },
    });
    assert.deepEqual(plain(warnings), []);
    assert.deepEqual(plain(config.envVars), { ANTHROPIC_API_KEY: 'x', OPENAI_API_KEY: 'y' });
    assert.deepEqual(plain(config.shellEnv), { enabled: true, timeoutMs: 500 });
    assert.equal(config.expiringWindowHours, 48);
    assert.deepEqual(plain(config.defaultModel), { primary: 'openai/gpt-5', fallbacks: ['anthropic/claude-sonnet-4-5'] });
    assert.deepEqual(plain(config.agents.map((a) => [a.id, a.isDefault, a.model?.primary ?? null])), [
      ['main', false, null],
      ['work', true, 'openai/gpt-5-mini'],
    ]);
    assert.equal(config.providers.anthropic?.baseUrl, 'http://127.0.0.1:9999');
    assert.deepEqual(plain(config.providers.local?.envVars), ['LOCAL_KEY']);
    assert.deepEqual(plain(config.aliases), { opus: 'anthropic/claude-opus-4-5', fast: 'groq/llama' });
  });

  it('never echoes a value in a warning (a key pasted where an env var name belongs)', () => {
    const { warnings } = readConfig({ models: { providers: { openai: { envVars: ['OK_NAME', 'sk-proj-PASTEDKEY0123456789'] } } } });
    assert.deepEqual(plain(warnings), ['models.providers.openai.envVars[1]: not an environment variable name; ignored']);
  });

  it('ignores what has the wrong shape, naming each field, and keeps the rest', () => {
    const { config, warnings } = readConfig({
      env: { vars: 'nope' },
      auth: { order: { anthropic: 'anthropic:a' }, expiringWindowHours: -1 },
      agents: { list: [{ id: '../evil' }, { id: 'ok' }, { id: 'ok' }], defaults: { model: { primary: 5 } } },
      models: { providers: { 'Bad Id': {}, openai: { baseUrl: 'ftp://x' } } },
    });
    assert.deepEqual(plain(config.agents.map((a) => a.id)), ['ok']);
    assert.equal(config.expiringWindowHours, 24);
    assert.equal(config.providers.openai?.baseUrl, null);
    for (const field of [
      'env.vars',
      'auth.order.anthropic',
      'auth.expiringWindowHours',
      'agents.list[0].id',
      'agents.list[2]',
      'agents.defaults.model.primary',
      'models.providers.Bad Id',
      'models.providers.openai.baseUrl',
    ]) {
      assert.ok(
        warnings.some((w) => w.startsWith(field)),
        `a warning names ${field}: ${warnings.join(' | ')}`,
      );
    }
  });

  it("reads secrets.providers with OpenClaw's names and defaults; a bad provider is ignored with a warning naming it", () => {
    const { config, warnings } = readConfig({
      secrets: {
        providers: {
          default: { source: 'env' },
          strict: { source: 'env', allowlist: ['A_KEY'] },
          filemain: { source: 'file', path: '~/.secrets/llm.json' },
          one: { source: 'file', path: '/run/k', mode: 'singleValue', maxBytes: 100 },
          vault: {
            source: 'exec',
            command: '/usr/bin/vault',
            args: ['kv', 'get', '-field=K', 'secret/x'],
            passEnv: ['VAULT_ADDR'],
            jsonOnly: false,
            timeoutMs: 2000,
          },
          'Bad Name': { source: 'env' },
          nocmd: { source: 'exec' },
          weird: { source: 'keychain' },
        },
        defaults: { file: 'filemain' },
      },
    });
    assert.deepEqual(config.secrets.providers.strict, { source: 'env', allowlist: ['A_KEY'] });
    assert.deepEqual(config.secrets.providers.filemain, {
      source: 'file',
      path: '~/.secrets/llm.json',
      mode: 'json',
      timeoutMs: 5000,
      maxBytes: 1048576,
      allowInsecurePath: false,
    });
    assert.equal(config.secrets.providers.one?.source === 'file' && config.secrets.providers.one.maxBytes, 100);
    assert.deepEqual(plain(config.secrets.providers.vault), {
      source: 'exec',
      command: '/usr/bin/vault',
      args: ['kv', 'get', '-field=K', 'secret/x'],
      timeoutMs: 2000,
      noOutputTimeoutMs: 2000,
      maxOutputBytes: 1048576,
      passEnv: ['VAULT_ADDR'],
      env: {},
      jsonOnly: false,
      trustedDirs: [],
      allowSymlinkCommand: false,
      allowInsecurePath: false,
    });
    assert.deepEqual(config.secrets.defaults, { file: 'filemain' });
    assert.deepEqual(Object.keys(config.secrets.providers).sort(), ['default', 'filemain', 'one', 'strict', 'vault']);
    for (const field of ['secrets.providers.Bad Name', 'secrets.providers.nocmd.command', 'secrets.providers.weird.source']) {
      assert.ok(
        warnings.some((w) => w.startsWith(field)),
        `a warning names ${field}: ${warnings.join(' | ')}`,
      );
    }
  });
});
