/**
 * `models status` and friends against a real daemon with the real CLI (§7.1): a file that does
 * not parse fails `--check`; the shell's key names (never values) reach the daemon, which names
 * those it lacks; OpenClaw's JSON fields and flags; aligned columns and "until replaced".
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import type { AuthListResult, AuthOrderResult, ModelsStatusResult } from '../../ipc/protocol.js';
import { assertNoSecrets, fakeSecret, onCleanup, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';

function writeStore(d: Daemon, agent: string, profiles: Record<string, unknown>): string {
  const store = d.paths.authProfiles(agent);
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  writeFileSync(store, JSON.stringify({ version: 1, profiles }), { mode: 0o600 });
  return store;
}

/** A socket that passes bytes both ways between the CLI and the daemon and keeps what the CLI sent. */
async function recordingProxy(target: string): Promise<{ socket: string; sent: () => string }> {
  const dir = tempDir('opensoul-proxy-');
  chmodSync(dir, 0o700);
  const socket = path.join(dir, 'p.sock');
  let sent = '';
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    client.on('data', (b) => (sent += b.toString('utf8')));
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((resolve) => server.listen(socket, resolve));
  onCleanup(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { socket, sent: () => sent };
}

describe('models status (real daemon, real CLI)', function () {
  it(
    '--check exits 1 while an auth-profiles.json or opensoul.json does not parse, ' + 'names the file, and the JSON check follows; the file is left as written',
    async () => {
      const d = await startDaemon();
      const key = fakeSecret('sk-ant-api03-', 60);
      const store = writeStore(d, 'main', { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } });
      await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 0, 'the store to load');
      const broken = `{ "version": 1, "profiles": { "anthropic:key": { "type": "api_key", "provider": "anthropic", "key": "${key}" } `;
      writeFileSync(store, broken);
      const r = await waitFor(async () => {
        const x = await d.cli(['models', 'status', '--check']);
        return x.code === 1 ? x : null;
      }, '--check to fail');
      assert.match(r.stdout, /File errors/);
      assert.ok(r.stdout.includes('~/state/agents/main/agent/auth-profiles.json'), r.stdout);
      assert.match(r.stdout, /anthropic +in use +profile anthropic:key/, 'the last good state still serves');
      const j = await d.cli(['models', 'status', '--json']);
      assert.equal(j.code, 0, 'without --check the exit code stays 0');
      const doc = JSON.parse(j.stdout) as ModelsStatusResult;
      assert.equal(doc.check, 1);
      assert.deepEqual(
        doc.fileErrors.map((f) => f.path),
        [store],
      );
      assert.equal(readFileSync(store, 'utf8'), broken, 'never overwritten');

      // The same for the config: fixed store, broken opensoul.json.
      writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } } }));
      await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 0, 'the fixed store to load');
      writeFileSync(d.paths.config, '{ "agents": { "defaults": ');
      const c = await waitFor(async () => {
        const x = await d.cli(['models', 'status', '--check']);
        return x.code === 1 ? x : null;
      }, '--check to fail on the config');
      assert.ok(c.stdout.includes('~/state/opensoul.json:'), c.stdout);
      assertNoSecrets([key], { human: r.stdout + r.stderr + c.stdout + c.stderr, json: j.stdout, log: d.log(), daemonStderr: d.stderr() });
    },
  );

  it(
    'the first step of the quick start: a key exported in this shell that the gateway lacks is named, with the fix; ' + 'only its name crosses the socket',
    async () => {
      const d = await startDaemon();
      const key = fakeSecret('sk-ant-api03-', 60);
      const proxy = await recordingProxy(d.socketPath);
      const env = { ANTHROPIC_API_KEY: key, OPENSOUL_SOCKET: proxy.socket };
      const r = await d.cli(['models', 'status'], { env });
      assert.equal(r.code, 0, r.stderr);
      assert.ok(
        r.stdout.includes(
          'ANTHROPIC_API_KEY is set in this shell but the gateway does not see it: ' +
            'run `opensoul onboard --non-interactive --from-env` (stores it in ~/state/.env)',
        ),
        r.stdout,
      );
      const check = await d.cli(['models', 'status', '--check', '--json'], { env });
      assert.equal(check.code, 1, 'still missing for the gateway');
      assert.deepEqual((JSON.parse(check.stdout) as ModelsStatusResult).envGap, ['ANTHROPIC_API_KEY']);
      assert.match(proxy.sent(), /"clientEnvNames":\["ANTHROPIC_API_KEY"\]/, 'the name was sent');
      assertNoSecrets([key, key.slice(0, 20), key.slice(-20)], {
        socket: proxy.sent(),
        human: r.stdout + r.stderr,
        json: check.stdout + check.stderr,
        log: d.log(),
        daemonStderr: d.stderr(),
      });

      // Once the gateway has it (here: its .env), the line goes.
      writeFileSync(d.paths.dotenv, `ANTHROPIC_API_KEY=${key}\n`, { mode: 0o600 });
      const fixed = await waitFor(async () => {
        const x = await d.cli(['models', 'status', '--check'], { env });
        return x.code === 0 ? x : null;
      }, 'the gateway to read .env');
      assert.doesNotMatch(fixed.stdout, /set in this shell/);
    },
  );

  it('names every agent the gateway knows in --json (agents), for whichever agent is asked, and follows an agent dir made later', async () => {
    const d = await startDaemon();
    const agentsOf = async (args: string[]) => (JSON.parse((await d.cli(['models', 'status', '--json', ...args])).stdout) as ModelsStatusResult).agents;
    assert.deepEqual(await agentsOf([]), ['main']);
    writeStore(d, 'work', {});
    await waitFor(async () => (await agentsOf([]))?.includes('work'), 'the work agent to be known');
    assert.deepEqual(await agentsOf([]), ['main', 'work']);
    assert.deepEqual(await agentsOf(['--agent', 'work']), ['main', 'work']);
  });

  it("carries OpenClaw's fields, so a jq line from OpenClaw's docs works unchanged", async () => {
    const d = await startDaemon();
    const token = fakeSecret('sk-ant-oat01-', 90);
    const key = fakeSecret('sk-ant-api03-', 60);
    writeStore(d, 'main', {
      'anthropic:sub': { type: 'token', provider: 'anthropic', token, expires: Date.now() - 3_600_000 },
      'anthropic:key': { type: 'api_key', provider: 'anthropic', key, email: 'me@example.com' },
    });
    const r = await waitFor(async () => {
      const x = await d.cli(['models', 'status', '--json']);
      return x.stdout.includes('anthropic:sub') ? x : null;
    }, 'the store to load');
    const doc = JSON.parse(r.stdout) as ModelsStatusResult;
    // OpenSoul's own fields stay.
    for (const k of ['agent', 'authStore', 'defaultModel', 'fallbacks', 'providers', 'missingProvidersInUse', 'fileErrors', 'check']) assert.ok(k in doc, k);
    assert.equal(doc.configPath, d.paths.config);
    assert.equal(doc.agentDir, d.paths.agentDir('main'));
    assert.equal(doc.resolvedDefault, 'anthropic/claude-sonnet-4-5');
    assert.deepEqual(doc.aliases, {});
    assert.equal(doc.auth.storePath, d.paths.authProfiles('main'));

    const jq = spawnSync('jq', ['-c', '.auth.oauth.profiles[]|select(.status=="expired")|.profileId'], { input: r.stdout, encoding: 'utf8' });
    assert.equal(jq.status, 0, jq.stderr);
    assert.equal(jq.stdout.trim(), '"anthropic:sub"');
    const provider = doc.auth.providers.find((p) => p.provider === 'anthropic');
    assert.equal(provider?.effective.kind, 'profiles');
    assert.deepEqual(
      { count: provider?.profiles.count, token: provider?.profiles.token, apiKey: provider?.profiles.apiKey, oauth: provider?.profiles.oauth },
      { count: 2, token: 1, apiKey: 1, oauth: 0 },
    );
    assert.equal(doc.auth.oauth.providers.find((p) => p.provider === 'anthropic')?.status, 'expired');
    assertNoSecrets([token, key], { json: r.stdout, log: d.log() });

    const list = await d.cli(['models', 'auth', 'list', '--json']);
    const l = JSON.parse(list.stdout) as AuthListResult;
    assert.equal(l.agentId, 'main');
    assert.equal(l.agentDir, d.paths.agentDir('main'));
    assert.deepEqual(l.profiles.map((p) => [p.id, p.provider, p.label]).sort(), [
      ['anthropic:key', 'anthropic', 'anthropic:key (me@example.com)'],
      ['anthropic:sub', 'anthropic', 'anthropic:sub'],
    ]);
    const order = JSON.parse((await d.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--json'])).stdout) as AuthOrderResult;
    assert.equal(order.agentId, 'main');
    assert.equal(order.agentDir, d.paths.agentDir('main'));
    assertNoSecrets([token, key], { list: list.stdout, log: d.log() });
  });

  it("takes OpenClaw's flags: models --agent, models auth --agent, --status-json, --status-plain, --probe-profile lists, --probe-max-tokens", async () => {
    const d = await startDaemon();
    const key = fakeSecret('sk-proj-', 40);
    writeStore(d, 'work', { 'openai:work': { type: 'api_key', provider: 'openai', key } });
    await d.call(methods.gatewayReload, {});
    for (const args of [
      ['models', '--agent', 'work', 'status', '--json'],
      ['models', 'status', '--agent', 'work', '--json'],
      ['--json', 'models', '--agent=work', 'status'],
    ]) {
      const r = await d.cli(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      assert.equal((JSON.parse(r.stdout) as ModelsStatusResult).agent, 'work', args.join(' '));
    }
    const list = await d.cli(['models', 'auth', '--agent', 'work', 'list', '--json']);
    assert.equal(list.code, 0, list.stderr);
    assert.deepEqual(
      (JSON.parse(list.stdout) as AuthListResult).profiles.map((p) => p.id),
      ['openai:work'],
    );
    const viaGroup = await d.cli(['models', '--agent', 'work', 'auth', 'list', '--json']);
    assert.equal((JSON.parse(viaGroup.stdout) as AuthListResult).agentId, 'work');

    const sj = await d.cli(['models', '--status-json', '--agent', 'work']);
    assert.equal(sj.code, 0, sj.stderr);
    assert.equal((JSON.parse(sj.stdout) as ModelsStatusResult).agent, 'work');
    const sp = await d.cli(['models', '--status-plain']);
    assert.equal(sp.stdout, 'anthropic/claude-sonnet-4-5\n');

    // The flags parse and reach the daemon: the comma list and the repeat are one list, whose
    // unknown ids it refuses (the probes themselves: test/e2e/probes.test.ts).
    const probe = await d.cli([
      'models',
      'status',
      '--agent',
      'work',
      '--probe-profile',
      'openai:work,openai:other',
      '--probe-profile',
      'anthropic:x',
      '--probe-max-tokens',
      '8',
    ]);
    assert.equal(probe.code, 1, probe.stderr);
    assert.match(probe.stderr, /Profile "openai:other" not found for agent work/);
    const bad = await d.cli(['models', 'status', '--probe-max-tokens', 'lots']);
    assert.equal(bad.code, 64);
    assertNoSecrets([key], { a: list.stdout, b: sj.stdout, log: d.log() });
  });

  it('doctor takes --repair (as --fix), --non-interactive and --yes', async () => {
    const d = await startDaemon();
    chmodSync(d.stateDir, 0o700);
    writeFileSync(d.paths.dotenv, 'OPENAI_API_KEY=sk-proj-0123456789abcdefghij\n', { mode: 0o644 });
    const r = await d.cli(['doctor', '--repair', '--non-interactive', '--yes', '--json']);
    assert.notEqual(r.code, 64, r.stderr);
    const checks = (JSON.parse(r.stdout) as { checks: { id: string; fixed: boolean }[] }).checks;
    assert.ok(
      checks.some((c) => c.fixed),
      'the chmod was applied, as with --fix',
    );
  });

  it('aligns the profile columns and shows a credential_scope disable as "until replaced" in status, auth list and doctor', async () => {
    const d = await startDaemon();
    const token = fakeSecret('sk-ant-oat01-', 90);
    const key = fakeSecret('sk-ant-api03-', 60);
    writeStore(d, 'main', {
      'anthropic:claude-code-subscription': { type: 'token', provider: 'anthropic', token },
      'anthropic:k': { type: 'api_key', provider: 'anthropic', key },
    });
    await waitFor(async () => (await d.cli(['models', 'auth', 'list'])).stdout.includes('anthropic:k'), 'the store to load');
    await d.call(methods.authReport, { profileId: 'anthropic:claude-code-subscription', outcome: 'credential_scope' });
    const status = await d.cli(['models', 'status']);
    const list = await d.cli(['models', 'auth', 'list']);
    const doctor = await d.cli(['doctor']);
    for (const [name, text] of Object.entries({ status: status.stdout, list: list.stdout })) {
      assert.match(text, /disabled until replaced/, name);
      assert.doesNotMatch(text, /\d{4,}y/, name);
      const masked = /sk-ant-[a-z0-9]*\.\.\./;
      const rows = text.split('\n').filter((l) => masked.test(l));
      assert.equal(rows.length, 2, text);
      assert.equal(new Set(rows.map((l) => l.search(masked))).size, 1, `${name}: masked secrets in one column\n${text}`);
    }
    assert.match(status.stdout, /Cooldowns\n {2}anthropic:claude-code-subscription +disabled +until replaced/);
    assert.match(doctor.stdout, /disabled until it is replaced/);
    assertNoSecrets([token, key], { status: status.stdout, list: list.stdout, doctor: doctor.stdout, log: d.log() });
  });

  it('shows a profile or model id holding escape sequences or a line feed visibly (^[, ^J), never obeyed: status, --plain, auth list, order get', async () => {
    const d = await startDaemon();
    const hostile = 'anthropic:\u001b]0;owned\u0007\u001b[2J\nanthropic:fake  token  ok';
    writeStore(d, 'main', { [hostile]: { type: 'token', provider: 'anthropic', token: fakeSecret('sk-ant-oat01-', 90), expires: Date.now() + 3_600_000 } });
    writeFileSync(path.join(d.stateDir, 'opensoul.json'), JSON.stringify({ agents: { defaults: { model: { primary: 'anthropic/x\u001b[8m' } } } }));
    await waitFor(async () => (await d.cli(['models', 'status', '--check'])).code === 2, 'the expiring token and the model');
    const view = await d.cli(['models', 'status']);
    const plain = await d.cli(['models', 'status', '--plain']);
    // eslint-disable-next-line no-control-regex -- no control character but the line ends the views write themselves
    const controls = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/;
    assert.doesNotMatch(view.stdout, controls);
    assert.doesNotMatch(plain.stdout, controls);
    assert.match(view.stdout, /anthropic:\^\[\]0;owned\^G\^\[\[2J\^Janthropic:fake {2}token {2}ok/);
    assert.doesNotMatch(view.stdout, /^\s*anthropic:fake/m, 'the line feed in the id starts no line of its own');
    assert.equal(plain.stdout, 'anthropic/x^[[8m\n');
    // The same id in `models auth list` and `order get` (once an order names it).
    await d.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', hostile]);
    for (const r of [await d.cli(['models', 'auth', 'list']), await d.cli(['models', 'auth', 'order', 'get', '--provider', 'anthropic'])]) {
      assert.equal(r.code, 0, r.stderr);
      assert.doesNotMatch(r.stdout, controls, r.stdout);
      assert.match(r.stdout, /anthropic:\^\[\]0;owned\^G\^\[\[2J\^Janthropic:fake/);
      assert.doesNotMatch(r.stdout, /^\s*anthropic:fake/m, 'the line feed in the id starts no line of its own');
    }
    // --json keeps the values exactly (JSON escapes them itself).
    const json = JSON.parse((await d.cli(['models', 'status', '--json'])).stdout) as ModelsStatusResult;
    assert.ok(json.providers.some((p) => p.profiles.some((x) => x.id === hostile)));
  });
});
