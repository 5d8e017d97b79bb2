/**
 * An edit to one agent stays in that agent (§3 agents): removing a profile from agent `work`
 * leaves opensoul.json's `auth.order`/`auth.profiles` alone while another agent still holds that
 * id, and names every file it changed; removing from `work` a profile only `main` holds is
 * refused, naming `main`; a write naming an unknown agent says that it created it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, startDaemon } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

const setupToken = () => fakeSecret('sk-ant-oat01-', 90);
const tilde = (d: Daemon, p: string) => p.replace(path.dirname(d.stateDir), '~'); // HOME is the state dir's parent
const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null);

const CONFIG = `{
  // my rotation, shared by every agent
  "auth": {
    "order": { "anthropic": ["anthropic:manual", "anthropic:spare"] },
  },
}
`;

describe('writes stay in their agent (real daemon, real CLI)', function () {
  it('remove --agent work keeps the config entries main still needs, names each file it changed; the last holder takes them out', async () => {
    const d = await startDaemon();
    writeFileSync(d.paths.config, CONFIG);
    const mainToken = setupToken();
    const workToken = setupToken();
    assert.equal((await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic'], { input: mainToken })).code, 0);
    assert.equal((await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--agent', 'work'], { input: workToken })).code, 0);
    await d.call(methods.authReport, { agent: 'work', profileId: 'anthropic:manual', outcome: 'rate_limit' });
    const configBefore = readFileSync(d.paths.config, 'utf8');
    assert.match(configBefore, /"anthropic:manual": \{\s*"provider": "anthropic"/);
    const mainStore = read(d.paths.authProfiles('main'));

    const r = await d.cli(['models', 'auth', 'remove', 'anthropic:manual', '--agent', 'work', '--yes']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout,
      `Removed anthropic:manual from agent work\n  changed ${tilde(d, d.paths.authProfiles('work'))}\n  changed ${tilde(d, d.paths.authState('work'))}\n`,
    );
    assert.equal(readFileSync(d.paths.config, 'utf8'), configBefore, "opensoul.json untouched: main's rotation still uses anthropic:manual");
    assert.equal(read(d.paths.authProfiles('main')), mainStore, "main's store untouched");
    const order = await d.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--json']);
    assert.deepEqual((JSON.parse(order.stdout) as { effective: string[] }).effective, ['anthropic:manual']);

    const last = await d.cli(['models', 'auth', 'logout', 'anthropic:manual', '--yes', '--json']);
    assert.equal(last.code, 0, last.stderr);
    const result = JSON.parse(last.stdout) as { agent: string; files: string[] };
    assert.equal(result.agent, 'main');
    assert.deepEqual(result.files, [d.paths.authProfiles('main'), d.paths.config]);
    const after = readFileSync(d.paths.config, 'utf8');
    assert.ok(!after.includes('anthropic:manual'), 'no agent holds it any more: out of auth.profiles and auth.order');
    assert.ok(after.includes('"anthropic:spare"') && after.includes('// my rotation, shared by every agent'));
    assertNoSecrets([mainToken, workToken], { r: r.stdout + r.stderr, last: last.stdout, log: d.log() });
  });

  it('removing from agent work a profile only main holds is refused, naming main; nothing changes', async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-proj-', 50);
    assert.equal((await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai'], { input: key })).code, 0);
    assert.equal(
      (
        await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--profile-id', 'openai:own', '--agent', 'work'], {
          input: fakeSecret('sk-proj-', 50),
        })
      ).code,
      0,
    );
    const files = [d.paths.config, d.paths.authProfiles('main'), d.paths.authProfiles('work'), d.paths.authState('work')];
    const before = files.map(read);
    const r = await d.cli(['models', 'auth', 'remove', 'openai:manual', '--agent', 'work']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /Profile "openai:manual" is not agent work's own: it is inherited from agent main/);
    const json = await d.cli(['models', 'auth', 'remove', 'openai:manual', '--agent', 'work', '--json']);
    assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'PROFILE_INHERITED');
    const ghost = await d.cli(['models', 'auth', 'remove', 'openai:ghost', '--agent', 'work', '--json']);
    assert.equal((JSON.parse(ghost.stdout) as { error: { code: string } }).error.code, 'PROFILE_NOT_FOUND');
    assert.deepEqual(files.map(read), before, 'every file byte-identical');
    assertNoSecrets([key], { r: r.stdout + r.stderr, log: d.log() });
  });

  it('a write naming an unknown agent says it created the agent (human and --json), once', async () => {
    const d = await startDaemon();
    const token = setupToken();
    const r = await d.cli(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--agent', 'newbie'], { input: token });
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Created agent newbie \(it did not exist; its files are in ~\/state\/agents\/newbie\/agent\)\nStored anthropic:manual/);
    const again = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--agent', 'newbie', '--json'], {
      input: fakeSecret('sk-proj-', 50),
    });
    assert.equal((JSON.parse(again.stdout) as { createdAgent?: boolean }).createdAgent, undefined, 'the agent exists now');
    const json = await d.cli(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--agent', 'other', '--json'], { input: fakeSecret('sk-proj-', 50) });
    assert.equal((JSON.parse(json.stdout) as { createdAgent?: boolean }).createdAgent, true);
    const onboard = await d.cli(['onboard', '--non-interactive', '--provider', 'groq', '--key-stdin', '--target', 'profile', '--agent', 'third'], {
      input: fakeSecret('gsk_', 50),
    });
    assert.equal(onboard.code, 0, onboard.stderr);
    assert.match(onboard.stdout, /^Created agent third \(it did not exist; .*\)\nStored groq:default/);
    assertNoSecrets([token], { r: r.stdout, log: d.log() });
  });
});
