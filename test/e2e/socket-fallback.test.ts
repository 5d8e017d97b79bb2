/**
 * The /tmp fallback socket dir under attack by another user (SPEC §5). A state dir too deep for
 * a socket path puts the socket in `/tmp/opensoul-<uid>/`, in world-writable /tmp; `nobody`
 * (setpriv) gets there first — with a 0777 dir and a listener, or with a symlink to a dir of
 * the victim's. The CLI must not connect (the listener receives nothing: no token), the daemon
 * must refuse to start (78) without chmod-ing a link's target, and a running daemon whose dir
 * is taken must neither exit nor serve there, and come back once the dir is its own again.
 *
 * The victim is a uid of its own (not root, whose /tmp/opensoul-0 other tests share): the
 * daemon and CLI run under setpriv as that uid.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processPathContext, resolveSocket, statePaths } from '../../ipc/paths.js';
import { CLI, cleanEnv, onCleanup, run, tempDir, track, waitFor } from '../support/harness.js';
import type { RunResult } from '../support/harness.js';

/** A uid no other test uses, so its /tmp/opensoul-<uid> is this file's alone. */
const VICTIM = 30_000 + (process.pid % 20_000);
const FALLBACK_DIR = `/tmp/opensoul-${VICTIM}`;
const as = (uid: number) => [`--reuid=${uid}`, `--regid=${uid}`, '--clear-groups'];
const mode = (p: string) => lstatSync(p).mode & 0o7777;

interface Victim {
  home: string;
  stateDir: string;
  socketPath: string;
  env: NodeJS.ProcessEnv;
  cli(args: string[]): Promise<RunResult>;
  /** Starts `opensoul gateway` as the victim; resolves with the child. */
  daemon(): { proc: ChildProcess; stderr: () => string; exited: Promise<number | null> };
}

function victim(): Victim {
  const top = tempDir();
  chmodSync(top, 0o711);
  const home = path.join(top, 'h'.repeat(60));
  const deep = path.join(home, 's'.repeat(60));
  mkdirSync(deep, { recursive: true });
  chownSync(home, VICTIM, VICTIM);
  chownSync(deep, VICTIM, VICTIM);
  const stateDir = path.join(deep, 'state');
  const env = cleanEnv({ HOME: home, OPENSOUL_STATE_DIR: stateDir });
  const socket = resolveSocket(stateDir, { ...processPathContext(), env, uid: VICTIM });
  assert.equal(socket.kind, 'fallback');
  return {
    home,
    stateDir,
    socketPath: socket.path,
    env,
    cli: (args) => run('setpriv', [...as(VICTIM), process.execPath, CLI, ...args], { env }),
    daemon() {
      const proc = track(spawn('setpriv', [...as(VICTIM), process.execPath, CLI, 'gateway'], { env, stdio: ['ignore', 'ignore', 'pipe'] }));
      let stderr = '';
      proc.stderr?.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
      return { proc, stderr: () => stderr, exited };
    },
  };
}

/** A state dir the victim used before: its run/gateway.token is there for a CLI to send. */
function earlierToken(v: Victim): string {
  const { runDir, token } = statePaths(v.stateDir);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  const value = 'e'.repeat(64);
  writeFileSync(token, `${value}\n`, { mode: 0o600 });
  for (const p of [v.stateDir, runDir, token]) chownSync(p, VICTIM, VICTIM);
  return value;
}

/** `nobody` listens on `socketPath` (making its dir 0777 first unless told not to), and writes down whatever arrives. */
async function attackerListens(socketPath: string, opts: { makeDir: boolean }): Promise<{ received: () => string }> {
  const script = `
    const net = require('node:net'); const fs = require('node:fs'); const path = require('node:path');
    const sock = ${JSON.stringify(socketPath)};
    if (${opts.makeDir}) { fs.mkdirSync(path.dirname(sock)); fs.chmodSync(path.dirname(sock), 0o777); }
    const srv = net.createServer((c) => { console.log('CONNECTED'); c.on('data', (d) => console.log('DATA ' + d.toString('base64'))); });
    srv.listen(sock, () => { fs.chmodSync(sock, 0o777); console.log('LISTENING'); });`;
  const child = track(
    spawn('setpriv', [...as(65534), process.execPath, '-e', script], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let out = '';
  let err = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (err += d));
  await waitFor(() => out.includes('LISTENING'), `the attacker's listener (${err})`);
  return { received: () => out.replace('LISTENING\n', '') };
}

describe('the /tmp fallback socket dir, taken over by another user (setpriv to nobody)', function () {
  beforeEach(() => {
    rmSync(FALLBACK_DIR, { recursive: true, force: true });
    onCleanup(() => rmSync(FALLBACK_DIR, { recursive: true, force: true }));
  });

  it('a dir nobody made first (0777, listening): the CLI sends nothing and says why; the daemon exits 78', async () => {
    const v = victim();
    const token = earlierToken(v);
    const attacker = await attackerListens(v.socketPath, { makeDir: true });

    const r = await v.cli(['models', 'status']);
    assert.equal(r.code, 3, r.stderr);
    assert.match(r.stderr, /Refusing to connect .*owned by uid 65534.*nothing was sent/s);
    const stop = await v.cli(['gateway', 'stop']);
    assert.equal(stop.code, 3, stop.stderr);
    assert.match(stop.stderr, /Refusing to connect/);

    const d = v.daemon();
    assert.equal(await d.exited, 78, d.stderr());
    assert.match(d.stderr(), /owned by uid 65534/);
    assert.equal(attacker.received(), '', 'the listener saw no connection, let alone a token');
    assert.ok(!attacker.received().includes(Buffer.from(token).toString('base64').slice(0, 16)));
  });

  it("a symlink nobody planted to a dir of the victim's: the daemon exits 78 and leaves the target alone; the CLI refuses it", async () => {
    const v = victim();
    earlierToken(v);
    const precious = path.join(v.home, 'precious');
    mkdirSync(precious, { mode: 0o755 });
    chmodSync(precious, 0o755);
    chownSync(precious, VICTIM, VICTIM);
    const plant = await run('setpriv', [...as(65534), 'ln', '-s', precious, FALLBACK_DIR]);
    assert.equal(plant.code, 0, plant.stderr);

    const d = v.daemon();
    assert.equal(await d.exited, 78, d.stderr());
    assert.match(d.stderr(), /symbolic link/);
    assert.equal(mode(precious), 0o755, 'the target was not chmod-ed');
    assert.deepEqual(readdirSync(precious), [], 'nothing listens in the target');

    const r = await v.cli(['models', 'status']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /symbolic link/);
  });

  it('a running daemon whose dir is removed and re-made by nobody stops serving there but keeps running, and listens again once the dir is gone', async () => {
    const v = victim();
    const d = v.daemon();
    await waitFor(async () => (await v.cli(['gateway', 'status'])).code === 0, `the daemon to answer (${d.stderr()})`);
    assert.equal(mode(FALLBACK_DIR), 0o700);
    assert.equal(lstatSync(FALLBACK_DIR).uid, VICTIM);

    // A tmp cleaner (or root) removes the dir; nobody makes its own in its place and listens.
    rmSync(FALLBACK_DIR, { recursive: true, force: true });
    const attacker = await attackerListens(v.socketPath, { makeDir: true });
    const log = () => {
      try {
        return readFileSync(statePaths(v.stateDir).log, 'utf8');
      } catch {
        return '';
      }
    };
    await waitFor(() => /no longer listening: .*owned by uid 65534/.test(log()), 'the daemon to notice the dir is not its own');
    assert.equal(d.proc.exitCode, null, 'it keeps running');
    const r = await v.cli(['models', 'status']);
    assert.equal(r.code, 3);
    assert.match(r.stderr, /Refusing to connect/);
    assert.equal(attacker.received(), '', 'neither the daemon nor the CLI spoke to the listener');

    // Root removes the impostor: the daemon makes its dir again and answers.
    rmSync(FALLBACK_DIR, { recursive: true, force: true });
    await waitFor(async () => (await v.cli(['gateway', 'status'])).code === 0, 'the daemon to listen again', 10_000, 200);
    assert.equal(mode(FALLBACK_DIR), 0o700);
    assert.equal(lstatSync(FALLBACK_DIR).uid, VICTIM);
    assert.equal(d.proc.exitCode, null);
    d.proc.kill('SIGTERM');
    assert.equal(await d.exited, 0);
    assert.ok(!existsSync(v.socketPath), 'its socket is removed on the way out');
  });
});
