/**
 * Names that are also properties of every JS object (`constructor`, `toString`, `__proto__`,
 * `hasOwnProperty`) as providers, profile ids, agents, aliases and env names. Every map keyed by
 * what a person wrote must be a Map or a null-prototype object: before, one such name in a store
 * made status, doctor and auth list answer "Internal error" for the whole agent.
 */
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon, tempDir } from '../support/harness.js';

const NAMES = ['constructor', 'toString', 'hasOwnProperty', 'valueOf'] as const;

function write(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, text, { mode: 0o600 });
}

describe('prototype property names in files and commands', function () {
  it('status, auth list, order and doctor answer for providers, profiles, agents and aliases named like Object.prototype members', async () => {
    const stateDir = path.join(tempDir(), 'state');
    const secrets: string[] = [];
    const profiles: Record<string, unknown> = {};
    for (const name of NAMES) {
      const key = fakeSecret('sk-', 40);
      secrets.push(key);
      profiles[`${name}:default`] = { type: 'api_key', provider: name, key };
    }
    const anthropicKey = fakeSecret('sk-ant-api03-', 60);
    secrets.push(anthropicKey);
    profiles['anthropic:constructor'] = { type: 'api_key', provider: 'anthropic', key: anthropicKey };
    // Written as text: JSON.stringify would not keep a "__proto__" key.
    const store = JSON.stringify({ version: 1, profiles, order: { constructor: ['constructor:default'], toString: ['toString:default'] } }).replace(
      /^\{/,
      '{"__proto__": {"polluted": true}, ',
    );
    write(path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json'), store);
    write(
      path.join(stateDir, 'agents', 'main', 'agent', 'auth-state.json'),
      JSON.stringify({
        version: 1,
        lastGood: { constructor: 'constructor:default' },
        usageStats: {
          'toString:default': { lastUsed: 1 },
          'valueOf:default': { disabledUntil: Date.now() + 3_600_000, disabledReason: 'constructor', cooldownReason: 'toString' },
        },
      }),
    );
    write(path.join(stateDir, 'agents', 'constructor', 'agent', 'auth.json'), JSON.stringify({ toString: { type: 'api_key', key: fakeSecret('sk-', 40) } }));
    write(
      path.join(stateDir, 'opensoul.json'),
      JSON.stringify({
        auth: { order: { valueOf: ['valueOf:default'] }, profiles: { 'hasOwnProperty:default': { provider: 'hasOwnProperty', mode: 'api_key' } } },
        agents: { defaults: { model: { primary: 'constructor', fallbacks: ['toString/x', 'hasOwnProperty/y'] } }, list: [{ id: 'toString' }] },
        models: { aliases: { constructor: 'anthropic/claude-sonnet-4-5' }, providers: { valueOf: { baseUrl: 'http://127.0.0.1:9' } } },
        env: { vars: { constructor: 'x' } },
      }),
    );
    const d = await startDaemon({ stateDir });

    const status = await d.cli(['models', 'status', '--json']);
    assert.equal(status.code, 0, status.stderr);
    const doc = JSON.parse(status.stdout) as { providers: { provider: string; effective: { kind: string } }[] };
    for (const name of NAMES) {
      const p = doc.providers.find((x) => x.provider === name);
      assert.equal(p?.effective.kind, 'profile', `${name}: ${status.stdout}`);
    }
    const human = await d.cli(['models', 'status']);
    assert.equal(human.code, 0, human.stderr);
    const list = await d.cli(['models', 'auth', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /constructor:default/);
    const order = await d.cli(['models', 'auth', 'order', 'get', '--provider', 'constructor', '--json']);
    assert.equal(order.code, 0, order.stderr);
    assert.match(order.stdout, /constructor:default/);
    for (const agent of ['constructor', 'toString']) {
      const r = await d.cli(['models', 'status', '--agent', agent, '--json']);
      assert.equal(r.code, 0, `${agent}: ${r.stderr}`);
    }
    const unknownAgent = await d.cli(['models', 'status', '--agent', 'hasOwnProperty']);
    assert.equal(unknownAgent.code, 1);
    assert.match(unknownAgent.stderr, /Agent "hasOwnProperty" not found/);
    const doctor = await d.cli(['doctor', '--json']);
    assert.ok(doctor.code === 0 || doctor.code === 1, doctor.stderr);
    JSON.parse(doctor.stdout);
    assert.doesNotMatch(doctor.stdout + human.stdout, /native code|function /, 'no Object.prototype member is shown as a value');
    // .env keys named like them: a first value is stored, a different one is a CONFLICT (not an internal error).
    await d.call(methods.envSet, { key: 'constructor', value: 'first-value-of-constructor' });
    await assert.rejects(
      d.call(methods.envSet, { key: 'constructor', value: 'second-value-of-constructor' }),
      (err: Error) => err instanceof OpenSoulError && err.kind === 'CONFLICT',
    );
    await d.call(methods.envSet, { key: 'toString', value: 'value-of-tostring-key' });
    assert.doesNotMatch(d.log(), /handler failed/);
    assert.ok(!('polluted' in {}), 'no prototype was changed');
    assertNoSecrets(secrets, { status: status.stdout, human: human.stdout + human.stderr, list: list.stdout, doctor: doctor.stdout, log: d.log() });
  });
});
