/**
 * scripts/auth-monitor.sh against a real daemon and the real CLI: exit codes pass through, a
 * notify command stand-in records each alert, alerts come at once on a level change and at most
 * hourly while a level stays, every agent is checked, the settings file is read as data, and the
 * state file is private. osascript, uname and notify-send are stand-ins on a PATH of our own.
 */
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { CLI, REPO, assertNoSecrets, cleanEnv, fakeSecret, run, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { Daemon, RunResult } from '../support/harness.js';
import { methods } from '../../ipc/protocol.js';

const SCRIPT = path.join(REPO, 'scripts', 'auth-monitor.sh');

/** A notify command stand-in: appends all its arguments, joined by " | ", as one line to a file. */
function recorder(dir: string): { cmd: string; calls(): string[] } {
  const file = path.join(dir, 'notifications.log');
  const cmd = path.join(dir, 'notify.sh');
  writeFileSync(
    cmd,
    `#!/bin/sh\nfirst=1\nfor a; do if [ $first = 1 ]; then printf '%s' "$a"; first=0; else printf ' | %s' "$a"; fi; done >> '${file}'\necho >> '${file}'\n`,
  );
  chmodSync(cmd, 0o755);
  return {
    cmd,
    calls: () =>
      existsSync(file)
        ? readFileSync(file, 'utf8')
            .split('\n')
            .filter((l) => l !== '')
        : [],
  };
}

function monitor(stateDir: string, env: Record<string, string | undefined>, args = ['--node', process.execPath, '--entry', CLI]): Promise<RunResult> {
  return run(SCRIPT, args, {
    env: cleanEnv({ HOME: path.dirname(stateDir), OPENSOUL_STATE_DIR: stateDir, OPENSOUL_MONITOR_RETRY_SECONDS: '0', ...env }),
    timeoutMs: 20_000,
  });
}

function writeStore(d: Daemon, profiles: Record<string, unknown>, agent = 'main'): void {
  mkdirSync(path.dirname(d.paths.authProfiles(agent)), { recursive: true });
  writeFileSync(d.paths.authProfiles(agent), JSON.stringify({ version: 1, profiles }));
}

/**
 * A PATH of only what the script needs, from this machine, plus `standIns` (name → script text),
 * so whatever this machine has installed (a real notify-send, no osascript) does not matter.
 */
function toolDir(dir: string, standIns: Record<string, string> = {}): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin);
  for (const tool of ['date', 'uname', 'mkdir', 'chmod', 'mv', 'rm', 'find', 'id']) {
    if (tool in standIns) continue;
    const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => existsSync(p));
    assert.ok(found, tool);
    symlinkSync(found, path.join(bin, tool));
  }
  for (const [name, text] of Object.entries(standIns)) {
    writeFileSync(path.join(bin, name), text);
    chmodSync(path.join(bin, name), 0o755);
  }
  return bin;
}

/** A stand-in that appends its arguments to `file`, each ended by a NUL: `argsOf` reads them back, one array per call. */
const argsRecorder = (file: string) => `#!/bin/sh\nprintf '%s\\0' "$@" >> '${file}'\nprintf '\\n' >> '${file}'\n`;
const argsOf = (file: string): string[][] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\0\n')
        .filter((c) => c !== '')
        .map((c) => c.split('\0'))
    : [];

/** A stand-in uname: `-s` says `system`, `-n` says `host`. */
const unameStandIn = (system: string, host: string) =>
  `#!/bin/sh\ncase "$1" in -s) echo '${system}' ;; -n) printf '%s\\n' '${host}' ;; *) echo '${system}' ;; esac\n`;

/** Waits until the daemon has taken in the store: `models status --check` gives `code`. */
async function settle(d: Daemon, code: number, agent?: string): Promise<void> {
  const args = ['models', 'status', '--check', ...(agent ? ['--agent', agent] : [])];
  await waitFor(async () => (await d.cli(args)).code === code, `${args.join(' ')} to exit ${code}`);
}

describe('scripts/auth-monitor.sh', function () {
  it('passes 0/1/2/3 through, alerts on every level change (recovery too) and at most hourly while a level stays; the state file is 0600', async () => {
    const d = await startDaemon();
    const rec = recorder(tempDir());
    const env = { OPENSOUL_NOTIFY_CMD: rec.cmd };
    const key = fakeSecret('sk-ant-api03-', 70);
    const token = fakeSecret('sk-ant-oat01-', 90);
    const outputs: string[] = [];
    const once = async (expected: number) => {
      const r = await monitor(d.stateDir, env);
      outputs.push(r.stdout, r.stderr);
      assert.equal(r.code, expected, r.stdout + r.stderr);
      return r;
    };
    const stateFile = path.join(d.stateDir, 'auth-monitor.state');
    const state = () =>
      Object.fromEntries(
        readFileSync(stateFile, 'utf8')
          .trim()
          .split('\n')
          .map((l) => l.split('=') as [string, string]),
      );

    // ok on the first run: nothing to say.
    writeStore(d, { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } });
    await settle(d, 0);
    await once(0);
    assert.deepEqual(rec.calls(), []);
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);
    assert.equal(state().level, 'ok');

    // expiring (a token expiring in 1 h): alert once, not again within the hour.
    writeStore(d, {
      'anthropic:key': { type: 'api_key', provider: 'anthropic', key },
      'anthropic:sub': { type: 'token', provider: 'anthropic', token, expires: Date.now() + 3_600_000 },
    });
    await settle(d, 2);
    await once(2);
    assert.equal(rec.calls().length, 1);
    assert.match(rec.calls()[0]!, /expiring soon — anthropic:sub expiring/);
    await once(2);
    assert.equal(rec.calls().length, 1, 'same level within the hour: no second alert');

    // An hour later (the last alert moved back in the state file): a reminder.
    writeFileSync(stateFile, readFileSync(stateFile, 'utf8').replace(/^alerted=\d+$/m, `alerted=${Math.floor(Date.now() / 1000) - 3700}`));
    await once(2);
    assert.equal(rec.calls().length, 2);

    // expired: a change, alerted at once.
    writeStore(d, {
      'anthropic:key': { type: 'api_key', provider: 'anthropic', key },
      'anthropic:sub': { type: 'token', provider: 'anthropic', token, expires: Date.now() - 60_000 },
    });
    await settle(d, 1);
    await once(1);
    assert.equal(rec.calls().length, 3);
    assert.match(rec.calls()[2]!, /EXPIRED, missing or unreadable — anthropic:sub expired/);
    assert.equal(state().level, 'expired');

    // back to ok: "recovered", once.
    writeStore(d, { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } });
    await settle(d, 0);
    await once(0);
    assert.equal(rec.calls().length, 4);
    assert.match(rec.calls()[3]!, /recovered/);
    await once(0);
    assert.equal(rec.calls().length, 4);

    // The daemon stopped: the check cannot run, >= 3, alerted.
    const log = d.log();
    await d.stop();
    const down = await once(3);
    assert.match(down.stdout, /unreachable \(exit 3\), notified/);
    assert.equal(rec.calls().length, 5);
    assert.match(rec.calls()[4]!, /could not run \(exit 3\): the gateway is not reachable \(DAEMON_UNREACHABLE\)/);
    await once(3);
    assert.equal(rec.calls().length, 5);
    assert.equal(state().level, 'unreachable');
    assert.equal(statSync(stateFile).mode & 0o777, 0o600);

    assertNoSecrets([key, token], {
      notifications: rec.calls().join('\n'),
      outputs: outputs.join('\n'),
      state: readFileSync(stateFile, 'utf8'),
      log: log + d.log(),
    });
  });

  it('a needed provider whose only credential the provider disabled (billing): --check 1, status and doctor say why, the alert names it', async () => {
    const d = await startDaemon();
    const rec = recorder(tempDir());
    const key = fakeSecret('sk-ant-api03-', 70);
    writeStore(d, { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } });
    await settle(d, 0);
    // What a 402 on a real call records: the key is set aside for hours.
    await d.call(methods.authReport, { profileId: 'anthropic:key', outcome: 'billing' });
    await settle(d, 1);
    const status = await d.cli(['models', 'status']);
    assert.match(status.stdout, /No usable auth\n {2}anthropic \(needed by anthropic\/claude-sonnet-4-5\): every credential is disabled until .* \(billing\)/);
    const doctor = await d.cli(['doctor']);
    assert.equal(doctor.code, 1);
    assert.match(doctor.stdout, /anthropic has every credential disabled for .* \(billing\), but anthropic\/claude-sonnet-4-5 needs it/);
    const r = await monitor(d.stateDir, { OPENSOUL_NOTIFY_CMD: rec.cmd });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.match(rec.calls()[0] ?? '', /anthropic has every credential disabled/);
    assertNoSecrets([key], { status: status.stdout, doctor: doctor.stdout, out: r.stdout + r.stderr, alerts: rec.calls().join('\n'), log: d.log() });
  });

  it('looks again once before alerting "unreachable": a gateway starting at boot, as the timer catches up a missed run, raises no alert', async () => {
    const dir = tempDir();
    const rec = recorder(dir);
    const stateDir = path.join(dir, 'state');
    const key = fakeSecret('sk-ant-api03-', 60);
    // The check runs while nothing listens yet; the gateway comes up during the script's wait.
    const checking = monitor(stateDir, { OPENSOUL_NOTIFY_CMD: rec.cmd, OPENSOUL_MONITOR_RETRY_SECONDS: '10' });
    const d = await startDaemon({ stateDir, env: { ANTHROPIC_API_KEY: key } });
    const r = await checking;
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.ok(!rec.calls().some((c) => c.includes('could not run')), rec.calls().join('\n'));
    assertNoSecrets([key], { notifications: rec.calls().join('\n'), output: r.stdout + r.stderr, log: d.log() });
  });

  it('appends the message as the last argument of a notify command that has arguments of its own', async () => {
    const dir = tempDir();
    const rec = recorder(dir);
    const r = await monitor(path.join(dir, 'state'), { OPENSOUL_NOTIFY_CMD: `${rec.cmd} --tag opensoul` });
    assert.equal(r.code, 3);
    assert.equal(rec.calls().length, 1);
    assert.match(rec.calls()[0]!, /^--tag \| opensoul \| OpenSoul auth on .*: the check could not run \(exit 3\)/);
  });

  it('posts ntfy-style to OPENSOUL_NOTIFY_URL (a title header, the message as body)', async () => {
    const got: { headers: http.IncomingHttpHeaders; body: string; method: string }[] = [];
    const server = http.createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8').on('data', (c: string) => (body += c));
      req.on('end', () => {
        got.push({ headers: req.headers, body, method: req.method ?? '' });
        res.end('{}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/opensoul-test`;
      const r = await monitor(path.join(tempDir(), 'state'), { OPENSOUL_NOTIFY_URL: url });
      assert.equal(r.code, 3, r.stderr);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.method, 'POST');
      assert.equal(got[0]!.headers.title, 'OpenSoul auth (unreachable)');
      assert.match(got[0]!.body, /the check could not run \(exit 3\)/);
    } finally {
      server.close();
    }
  });

  it('falls back to notify-send when present, else to stderr; a failing notifier is retried next run, its alert printed to stderr meanwhile', async () => {
    const dir = tempDir();
    const bin = path.join(dir, 'bin');
    mkdirSync(bin);
    // A PATH of only what the script needs, so whatever this machine has installed does not matter.
    for (const tool of ['date', 'uname', 'mkdir', 'chmod', 'mv', 'rm']) {
      const found = ['/usr/bin', '/bin'].map((d) => path.join(d, tool)).find((p) => existsSync(p));
      assert.ok(found, tool);
      symlinkSync(found, path.join(bin, tool));
    }
    const stateDir = path.join(dir, 'state');
    const plain = await monitor(stateDir, { PATH: bin });
    assert.equal(plain.code, 3);
    assert.match(plain.stderr, /^OpenSoul auth on .*: the check could not run \(exit 3\)/m);

    const sent = path.join(dir, 'sent');
    writeFileSync(path.join(bin, 'notify-send'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${sent}'\n`);
    chmodSync(path.join(bin, 'notify-send'), 0o755);
    const stateDir2 = path.join(dir, 'state2');
    const viaDesktop = await monitor(stateDir2, { PATH: bin });
    assert.equal(viaDesktop.code, 3);
    assert.match(readFileSync(sent, 'utf8'), /^OpenSoul auth OpenSoul auth on .*could not run/);

    // A notifier that fails: the alert is not recorded as sent, so the next run tries again.
    const failing = path.join(dir, 'fail.sh');
    writeFileSync(failing, `#!/bin/sh\necho "$1" >> '${path.join(dir, 'tries')}'\nexit 1\n`);
    chmodSync(failing, 0o755);
    const stateDir3 = path.join(dir, 'state3');
    for (let i = 0; i < 2; i++) {
      const r = await monitor(stateDir3, { OPENSOUL_NOTIFY_CMD: failing });
      assert.equal(r.code, 3);
      assert.match(r.stderr, /notification failed, will retry/);
      // The alert itself still reaches stderr (the journal, cron's mail), not only "it failed".
      assert.match(r.stderr, /^OpenSoul auth on .*: the check could not run \(exit 3\)/m);
    }
    assert.equal(readFileSync(path.join(dir, 'tries'), 'utf8').trim().split('\n').length, 2);
  });

  it('names a store that does not parse in the alert, instead of calling it an expiry', async () => {
    const d = await startDaemon();
    const rec = recorder(tempDir());
    writeStore(d, { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key: fakeSecret('sk-ant-api03-', 70) } });
    await settle(d, 0);
    writeFileSync(d.paths.authProfiles('main'), '{"version": 1, "profiles": {');
    await settle(d, 1);
    const r = await monitor(d.stateDir, { OPENSOUL_NOTIFY_CMD: rec.cmd });
    assert.equal(r.code, 1, r.stdout + r.stderr);
    assert.equal(rec.calls().length, 1);
    assert.match(rec.calls()[0]!, /EXPIRED, missing or unreadable — auth-profiles\.json does not parse\. Run: opensoul models status$/);
  });

  it('an --entry that is not opensoul (node exits 1, no status) is an error that exits 4, not an "EXPIRED" that systemd counts as success', async () => {
    const d = await startDaemon({ env: { ANTHROPIC_API_KEY: fakeSecret('sk-ant-api03-', 60) } });
    await settle(d, 0);
    const rec = recorder(tempDir());
    const gone = path.join(tempDir(), 'moved', 'opensoul.cjs');
    const r = await monitor(d.stateDir, { OPENSOUL_NOTIFY_CMD: rec.cmd }, ['--node', process.execPath, '--entry', gone]);
    assert.equal(r.code, 4, r.stdout + r.stderr);
    assert.match(r.stdout, /^auth-monitor: error \(exit 4\), notified$/m);
    assert.equal(rec.calls().length, 1);
    assert.match(rec.calls()[0]!, /the check could not run \(exit 1\) \(opensoul gave no status: does --entry name its dist\/opensoul\.cjs\?\)$/);
    assert.doesNotMatch(rec.calls()[0]!, /EXPIRED/);
  });

  it('without --node/--entry and no opensoul on PATH (cron, a service): says opensoul was not found', async () => {
    const rec = recorder(tempDir());
    const r = await monitor(path.join(tempDir(), 'state'), { OPENSOUL_NOTIFY_CMD: rec.cmd, PATH: '/usr/bin:/bin' }, []);
    assert.equal(r.code, 127, r.stdout + r.stderr);
    assert.match(rec.calls()[0]!, /could not run \(exit 127\) \(opensoul or node not found: give absolute --node and --entry\)$/);
  });

  it('refuses an unknown argument with 64', async () => {
    const r = await monitor(path.join(tempDir(), 'state'), {}, ['--bogus']);
    assert.equal(r.code, 64);
    assert.match(r.stderr, /unknown argument/);
  });
  describe('every agent', function () {
    it('checks each agent, names it in the alert, lets the worst level win, and alerts at once when another agent joins a level that stays', async () => {
      const d = await startDaemon();
      const rec = recorder(tempDir());
      const key = fakeSecret('sk-ant-api03-', 70);
      const mainToken = fakeSecret('sk-ant-oat01-', 90);
      const workToken = fakeSecret('sk-ant-oat01-', 90);
      const hour = () => Date.now() + 3_600_000;
      const once = async (expected: number) => {
        const r = await monitor(d.stateDir, { OPENSOUL_NOTIFY_CMD: rec.cmd });
        assert.equal(r.code, expected, r.stdout + r.stderr);
        return r;
      };

      // main is fine; only work's own token expires within the hour.
      writeStore(d, { 'anthropic:key': { type: 'api_key', provider: 'anthropic', key } });
      writeStore(d, { 'anthropic:work': { type: 'token', provider: 'anthropic', token: workToken, expires: hour() } }, 'work');
      await settle(d, 0);
      await settle(d, 2, 'work');
      await once(2);
      assert.equal(rec.calls().length, 1);
      assert.match(rec.calls()[0]!, /expiring soon — work: anthropic:work expiring\. Run: opensoul models status --agent work$/);

      // main expires within the hour too: the level stays "expiring", but a new agent is in it.
      writeStore(d, {
        'anthropic:key': { type: 'api_key', provider: 'anthropic', key },
        'anthropic:main': { type: 'token', provider: 'anthropic', token: mainToken, expires: hour() },
      });
      await settle(d, 2);
      await once(2);
      assert.equal(rec.calls().length, 2, 'another agent at the same level: alerted at once, not at the hourly reminder');
      assert.match(rec.calls()[1]!, /expiring soon — main: anthropic:main expiring; work: .*anthropic:work expiring/);
      await once(2);
      assert.equal(rec.calls().length, 2, 'nothing new: no second alert within the hour');

      // work's token expires: expired (1) wins over main's expiring (2).
      writeStore(d, { 'anthropic:work': { type: 'token', provider: 'anthropic', token: workToken, expires: Date.now() - 60_000 } }, 'work');
      await settle(d, 1, 'work');
      await once(1);
      assert.equal(rec.calls().length, 3);
      assert.match(rec.calls()[2]!, /EXPIRED, missing or unreadable — main: anthropic:main expiring; work: .*anthropic:work expired/);

      assertNoSecrets([key, mainToken, workToken], {
        alerts: rec.calls().join('\n'),
        state: readFileSync(path.join(d.stateDir, 'auth-monitor.state'), 'utf8'),
        log: d.log(),
      });
    });

    it('with one agent, the alert reads as before: no agent name, no --agent', async () => {
      const d = await startDaemon();
      const rec = recorder(tempDir());
      writeStore(d, { 'anthropic:sub': { type: 'token', provider: 'anthropic', token: fakeSecret('sk-ant-oat01-', 90), expires: Date.now() - 60_000 } });
      await settle(d, 1);
      const r = await monitor(d.stateDir, { OPENSOUL_NOTIFY_CMD: rec.cmd });
      assert.equal(r.code, 1, r.stdout + r.stderr);
      // The default model's provider then has no usable credential either: both are named.
      const expected = /EXPIRED, missing or unreadable — anthropic:sub expired, anthropic has no credential\. Run: opensoul models status$/;
      assert.match(rec.calls()[0] ?? '', expected);
    });
  });

  describe('settings in <state dir>/auth-monitor.env', function () {
    it('takes OPENSOUL_NOTIFY_URL from the file as data ($, backticks, ; and quotes reach curl as written, nothing runs); the environment wins', async () => {
      const paths: string[] = [];
      const server = http.createServer((req, res) => {
        paths.push(req.url ?? '');
        req.resume().on('end', () => res.end('{}'));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const dir = tempDir();
        const stateDir = path.join(dir, 'state');
        mkdirSync(stateDir, { mode: 0o700 });
        const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
        const ran = path.join(dir, 'ran');
        // Sourced, this line would run `touch` twice and cut the URL at the `;`.
        const url = `${base}/topic?a=$(touch${'${IFS}'}${ran}-dollar)&b=\`touch${'${IFS}'}${ran}-tick\`;c=1`;
        writeFileSync(
          path.join(stateDir, 'auth-monitor.env'),
          ['# the phone', '', `export OPENSOUL_NOTIFY_URL='${url}'  # ntfy`, 'OPENSOUL_MONITOR_RETRY_SECONDS=0', ''].join('\n'),
          { mode: 0o600 },
        );
        const r = await monitor(stateDir, {});
        assert.equal(r.code, 3, r.stdout + r.stderr);
        assert.deepEqual(paths, [url.slice(base.length)]);
        assert.ok(!existsSync(`${ran}-dollar`) && !existsSync(`${ran}-tick`), 'nothing in the file was run');
        assert.doesNotMatch(r.stderr, /ignored/);

        // The same variable in the environment wins over the file.
        const stateDir2 = path.join(dir, 'state2');
        mkdirSync(stateDir2, { mode: 0o700 });
        writeFileSync(path.join(stateDir2, 'auth-monitor.env'), `OPENSOUL_NOTIFY_URL=${base}/from-file\n`, { mode: 0o600 });
        const r2 = await monitor(stateDir2, { OPENSOUL_NOTIFY_URL: `${base}/from-env` });
        assert.equal(r2.code, 3, r2.stdout + r2.stderr);
        assert.deepEqual(paths.slice(1), ['/from-env']);
      } finally {
        server.close();
      }
    });

    it('narrows a file others can read to 0600; ignores one others can write to (its command never runs) and says so in the alert', async () => {
      const dir = tempDir();
      const rec = recorder(dir);
      const stateDir = path.join(dir, 'state');
      mkdirSync(stateDir, { mode: 0o700 });
      const file = path.join(stateDir, 'auth-monitor.env');
      writeFileSync(file, `OPENSOUL_NOTIFY_CMD=${rec.cmd}\nNOT A SETTING\nOPENSOUL_COLOUR=blue\n`);
      chmodSync(file, 0o644);
      const r = await monitor(stateDir, {});
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.match(r.stderr, /auth-monitor\.env was readable by other users; now 0600/);
      assert.match(r.stderr, /line 2: not a KEY=value line; ignored/);
      assert.match(r.stderr, /line 3: OPENSOUL_COLOUR is not a setting of the auth monitor; ignored/);
      assert.equal(rec.calls().length, 1, 'the command from the file was used');

      const stateDir2 = path.join(dir, 'state2');
      mkdirSync(stateDir2, { mode: 0o700 });
      const file2 = path.join(stateDir2, 'auth-monitor.env');
      writeFileSync(file2, `OPENSOUL_NOTIFY_CMD=${rec.cmd}\n`);
      chmodSync(file2, 0o666);
      const r2 = await monitor(stateDir2, { PATH: toolDir(dir) });
      assert.equal(r2.code, 3, r2.stdout + r2.stderr);
      assert.equal(rec.calls().length, 1, 'a command others could have written is not run');
      assert.match(r2.stderr, /^OpenSoul auth on .*could not run \(exit 3\).* \[auth-monitor\.env is ignored: it is not yours, or others can write to it/m);
    });
  });

  describe('macOS', function () {
    it('on macOS (a stand-in uname says Darwin), no notify variable: alerts via a stand-in osascript, the message an argument, not source', async () => {
      const dir = tempDir();
      const calls = path.join(dir, 'osascript.calls');
      // A host name that would end an AppleScript string and run a command, were it interpolated.
      const host = 'mac" & (do shell script "touch /tmp/opensoul-pwned") & "\\';
      const bin = toolDir(dir, {
        uname: unameStandIn('Darwin', host),
        osascript: argsRecorder(calls),
        'notify-send': argsRecorder(path.join(dir, 'notify-send.calls')),
      });
      const r = await monitor(path.join(dir, 'state'), { PATH: bin });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      const got = argsOf(calls);
      assert.equal(got.length, 1, JSON.stringify(got));
      const [args] = got as [string[]];
      assert.deepEqual(args.slice(0, 6), ['-e', 'on run argv', '-e', 'display notification (item 1 of argv) with title (item 2 of argv)', '-e', 'end run']);
      assert.equal(args.length, 8);
      assert.ok(args[6]!.startsWith(`OpenSoul auth on ${host}: the check could not run (exit 3)`), args[6]);
      assert.equal(args[7], 'OpenSoul auth');
      assert.deepEqual(argsOf(path.join(dir, 'notify-send.calls')), [], 'on macOS osascript comes first');
    });

    it('on Linux (a stand-in uname) a stand-in osascript on PATH is not used: a stand-in notify-send is', async () => {
      const dir = tempDir();
      const bin = toolDir(dir, {
        uname: unameStandIn('Linux', 'box'),
        osascript: argsRecorder(path.join(dir, 'osascript.calls')),
        'notify-send': argsRecorder(path.join(dir, 'notify-send.calls')),
      });
      const r = await monitor(path.join(dir, 'state'), { PATH: bin });
      assert.equal(r.code, 3, r.stdout + r.stderr);
      assert.deepEqual(argsOf(path.join(dir, 'osascript.calls')), []);
      assert.equal(argsOf(path.join(dir, 'notify-send.calls')).length, 1);
    });
  });
});
