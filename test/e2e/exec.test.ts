/**
 * `opensoul exec` with a real daemon and the real CLI (§7): the child's environment gets the
 * resolved credentials — a profile's key and an `.env` key — under their providers' variables,
 * narrowed by `--provider`; exit codes and signals pass through; 127 for a missing command;
 * and no key ever shows in the CLI's output, the daemon's log, or the CLI's argv.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { CLI, assertNoSecrets, cleanEnv, fakeSecret, startDaemon, tempDir, track, waitFor } from '../support/harness.js';
import type { Daemon } from '../support/harness.js';
import { runInTty } from '../support/tty.js';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A child that writes, for each variable, its length and hash (never the value) to `out`. */
function reporter(out: string, names: string[]): string[] {
  const code =
    `const c=require('crypto');const r={};for(const n of ${JSON.stringify(names)}){const v=process.env[n];` +
    `r[n]=v===undefined?null:{len:v.length,sha:c.createHash('sha256').update(v).digest('hex')};}` +
    `require('fs').writeFileSync(${JSON.stringify(out)},JSON.stringify(r));`;
  return [process.execPath, '-e', code];
}

interface Seen {
  [name: string]: { len: number; sha: string } | null;
}

/** A daemon with an Anthropic key in a profile and an OpenAI key in the state dir's .env. */
async function daemonWithKeys(): Promise<{ d: Daemon; anthropic: string; openai: string }> {
  const stateDir = path.join(tempDir(), 'state');
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const openai = fakeSecret('sk-proj-', 64);
  writeFileSync(path.join(stateDir, '.env'), `OPENAI_API_KEY=${openai}\n`, { mode: 0o600 });
  const d = await startDaemon({ stateDir });
  const anthropic = fakeSecret('sk-ant-api03-', 80);
  const store = d.paths.authProfiles('main');
  mkdirSync(path.dirname(store), { recursive: true, mode: 0o700 });
  writeFileSync(store, JSON.stringify({ version: 1, profiles: { 'anthropic:work': { type: 'api_key', provider: 'anthropic', key: anthropic } } }), {
    mode: 0o600,
  });
  await waitFor(async () => (await d.cli(['exec', '--print-names'])).stdout.includes('ANTHROPIC_API_KEY'), 'the profile to load');
  return { d, anthropic, openai };
}

describe('opensoul exec (real daemon, real CLI)', function () {
  this.timeout(60_000);

  it("gives the child a profile key and an .env key under their providers' variables; nothing reaches the output or the log", async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const out = path.join(tempDir(), 'seen.json');
    const r = await d.cli(['exec', '--', ...reporter(out, ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'])]);
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(readFileSync(out, 'utf8')) as Seen;
    assert.deepEqual(seen.ANTHROPIC_API_KEY, { len: anthropic.length, sha: sha(anthropic) });
    assert.deepEqual(seen.OPENAI_API_KEY, { len: openai.length, sha: sha(openai) });
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, '');
    assertNoSecrets([anthropic, openai], { stdout: r.stdout, stderr: r.stderr, log: d.log(), daemonStderr: d.stderr() });
  });

  it('--provider narrows (repeatable, comma lists); the resolved key overrides one the caller had', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const out = path.join(tempDir(), 'seen.json');
    const r = await d.cli(['exec', '--provider', 'openai', '--', ...reporter(out, ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY'])], {
      env: { OPENAI_API_KEY: 'the-callers-own' },
    });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(readFileSync(out, 'utf8')) as Seen;
    assert.equal(seen.ANTHROPIC_API_KEY, null, 'only the provider asked for');
    assert.deepEqual(seen.OPENAI_API_KEY, { len: openai.length, sha: sha(openai) });
    const both = await d.cli([
      'exec',
      '--provider',
      'anthropic',
      '--provider',
      'openai,anthropic',
      '--',
      ...reporter(out, ['ANTHROPIC_API_KEY', 'OPENAI_API_KEY']),
    ]);
    assert.equal(both.code, 0, both.stderr);
    const seenBoth = JSON.parse(readFileSync(out, 'utf8')) as Seen;
    assert.equal(seenBoth.ANTHROPIC_API_KEY?.sha, sha(anthropic));
    assert.equal(seenBoth.OPENAI_API_KEY?.sha, sha(openai));
  });

  it("the child gets only the resolved credential of a provider: the caller's other variables for it (a tool would prefer them) are dropped", async () => {
    const { d, openai } = await daemonWithKeys();
    const token = fakeSecret('sk-ant-oat01-', 100);
    writeFileSync(
      d.paths.authProfiles('main'),
      JSON.stringify({ version: 1, profiles: { 'anthropic:claude': { type: 'token', provider: 'anthropic', token } } }),
      {
        mode: 0o600,
      },
    );
    await waitFor(async () => (await d.cli(['exec', '--print-names'])).stdout.includes('CLAUDE_CODE_OAUTH_TOKEN'), 'the token profile to load');
    const callers = { ANTHROPIC_API_KEY: fakeSecret('sk-ant-api03-', 80), ANTHROPIC_AUTH_TOKEN: fakeSecret('sk-ant-api03-', 80), GH_TOKEN: 'ghp_callers' };
    const out = path.join(tempDir(), 'seen.json');
    const names = ['CLAUDE_CODE_OAUTH_TOKEN', 'ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'OPENAI_API_KEY', 'GH_TOKEN'];
    const r = await d.cli(['exec', '--', ...reporter(out, names)], { env: callers });
    assert.equal(r.code, 0, r.stderr);
    const seen = JSON.parse(readFileSync(out, 'utf8')) as Seen;
    assert.equal(seen.CLAUDE_CODE_OAUTH_TOKEN?.sha, sha(token));
    assert.equal(seen.ANTHROPIC_API_KEY, null, "the caller's API key would win over the setup-token in Claude Code and the SDKs");
    assert.equal(seen.ANTHROPIC_AUTH_TOKEN, null);
    assert.equal(seen.OPENAI_API_KEY?.sha, sha(openai));
    assert.deepEqual(seen.GH_TOKEN, { len: 11, sha: sha('ghp_callers') }, 'variables of no provider exec sets are left alone');
    const names2 = await d.cli(['exec', '--print-names'], { env: callers });
    assert.match(names2.stdout, /^CLAUDE_CODE_OAUTH_TOKEN +anthropic +from profile anthropic:claude$/m);
    assert.match(names2.stdout, /^ANTHROPIC_API_KEY +anthropic +yours, not passed on/m);
    assert.match(names2.stdout, /^ANTHROPIC_AUTH_TOKEN +anthropic +yours, not passed on/m);
    const j = JSON.parse((await d.cli(['exec', '--print-names', '--json'], { env: callers })).stdout) as { unset: unknown };
    assert.deepEqual(j.unset, [
      { name: 'ANTHROPIC_API_KEY', provider: 'anthropic' },
      { name: 'ANTHROPIC_AUTH_TOKEN', provider: 'anthropic' },
    ]);
    assertNoSecrets([token, openai, callers.ANTHROPIC_API_KEY, callers.ANTHROPIC_AUTH_TOKEN], {
      stdout: r.stdout + names2.stdout,
      stderr: r.stderr + names2.stderr,
      log: d.log(),
      daemonStderr: d.stderr(),
    });
  });

  it('a provider without a credential, asked for by name, fails with the reason and runs nothing', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const marker = path.join(tempDir(), 'ran');
    const r = await d.cli(['exec', '--provider', 'groq', '--', process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^opensoul: .*groq/m);
    assert.equal(existsSync(marker), false);
    assertNoSecrets([anthropic, openai], { stdout: r.stdout, stderr: r.stderr });
  });

  it('a provider asked for by name whose credential has no known variable (openai-codex) fails, names envVars and runs nothing', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const codex = fakeSecret('codex-', 64);
    const store = d.paths.authProfiles('main');
    const profiles = {
      'anthropic:work': { type: 'api_key', provider: 'anthropic', key: anthropic },
      'openai-codex:me': { type: 'token', provider: 'openai-codex', token: codex },
    };
    writeFileSync(store, JSON.stringify({ version: 1, profiles }), { mode: 0o600 });
    await waitFor(async () => (await d.cli(['models', 'auth', 'list'])).stdout.includes('openai-codex:me'), 'the codex profile to load');
    const marker = path.join(tempDir(), 'ran');
    const child = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(marker)}, '')`];
    const r = await d.cli(['exec', '--provider', 'openai-codex', '--', ...child]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^opensoul: .*openai-codex.*models\.providers\.openai-codex\.envVars/m);
    assert.equal(existsSync(marker), false, 'nothing ran');
    // Found by looking (no --provider), it is only a warning: the other providers' credentials still go to the child.
    const all = await d.cli(['exec', '--', ...child]);
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stderr, /warning: no credential for openai-codex/);
    assert.equal(existsSync(marker), true);
    assertNoSecrets([anthropic, openai, codex], { stdout: r.stdout + all.stdout, stderr: r.stderr + all.stderr, log: d.log() });
  });

  it('passes the exit code through, dies of the signal that killed the child, 127 for a missing command', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const seven = await d.cli(['exec', '--', process.execPath, '-e', 'process.exit(7)']);
    assert.equal(seven.code, 7);
    const term = await d.cli(['exec', '--', process.execPath, '-e', "process.kill(process.pid, 'SIGTERM')"]);
    assert.equal(term.signal, 'SIGTERM', `code ${term.code}, stderr ${term.stderr}`);
    const missing = await d.cli(['exec', '--', 'opensoul-no-such-command-xyz', '--flag']);
    assert.equal(missing.code, 127);
    assert.equal(missing.stderr, 'opensoul: opensoul-no-such-command-xyz: command not found\n');
    const dir = tempDir();
    const notExec = path.join(dir, 'tool.sh');
    writeFileSync(notExec, '#!/bin/sh\nexit 0\n', { mode: 0o600 });
    const denied = await d.cli(['exec', '--', notExec]);
    assert.equal(denied.code, 126, denied.stderr);
    assert.equal(denied.stderr.split('\n').filter(Boolean).length, 1);
    const badInterpreter = path.join(dir, 'tool2.sh');
    writeFileSync(badInterpreter, '#!/no/such/interpreter\nexit 0\n', { mode: 0o700 });
    const noInterpreter = await d.cli(['exec', '--', badInterpreter]);
    assert.equal(noInterpreter.code, 127, noInterpreter.stderr);
    assert.equal(noInterpreter.stderr, `opensoul: ${badInterpreter}: cannot execute: required file not found (the interpreter on its #! line?)\n`);
    for (const x of [seven, term, missing, denied, noInterpreter]) assertNoSecrets([anthropic, openai], { stdout: x.stdout, stderr: x.stderr });
  });

  it('a child that dies of a core-dumping signal or SIGUSR1: the CLI exits 128+n, not re-raising it (no core of its memory, no inspector)', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    for (const [sig, n] of [
      ['ABRT', 6],
      ['SEGV', 11],
      ['QUIT', 3],
      ['USR1', 10],
    ] as const) {
      const r = await d.cli(['exec', '--', 'sh', '-c', `kill -${sig} $$`]);
      assert.deepEqual({ code: r.code, signal: r.signal }, { code: 128 + n, signal: null }, `SIG${sig}: ${r.stderr}`);
      assert.doesNotMatch(r.stderr, /Debugger|inspector/, `SIG${sig}`);
      assertNoSecrets([anthropic, openai], { stdout: r.stdout, stderr: r.stderr });
    }
    assertNoSecrets([anthropic, openai], { log: d.log(), daemonStderr: d.stderr() });
  });

  it("no key in the CLI's argv or environment while the child runs; SIGTERM to the CLI reaches the child and the CLI dies of it", async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const ready = path.join(tempDir(), 'ready');
    const child = [process.execPath, '-e', `require('fs').writeFileSync(${JSON.stringify(ready)}, String(process.pid)); setTimeout(() => {}, 60000)`];
    const cli = track(
      spawn(process.execPath, [CLI, 'exec', '--', ...child], {
        env: cleanEnv({ HOME: path.dirname(d.stateDir), OPENSOUL_STATE_DIR: d.stateDir }),
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    );
    let output = '';
    cli.stdout?.setEncoding('utf8').on('data', (s: string) => (output += s));
    cli.stderr?.setEncoding('utf8').on('data', (s: string) => (output += s));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.once('exit', (code, signal) => resolve({ code, signal })),
    );
    // The file may exist before its pid is written: wait for the pid itself.
    const childPid = Number(await waitFor(() => (existsSync(ready) ? readFileSync(ready, 'utf8') : null) || null, 'the child to start'));
    const cmdline = readFileSync(`/proc/${cli.pid}/cmdline`, 'utf8');
    assert.ok(cmdline.includes('exec'), cmdline);
    assertNoSecrets([anthropic, openai], {
      cliArgv: cmdline,
      // The values are put in the child's environment only, never in ours (which /proc shows to our uid and root).
      cliEnviron: readFileSync(`/proc/${cli.pid}/environ`, 'utf8'),
      childArgv: readFileSync(`/proc/${childPid}/cmdline`, 'utf8'),
    });
    cli.kill('SIGTERM');
    const end = await exited;
    assert.equal(end.signal, 'SIGTERM');
    await waitFor(() => !existsSync(`/proc/${childPid}`) || readFileSync(`/proc/${childPid}/stat`, 'utf8').includes(') Z'), 'the child to end');
    assert.equal(output, '');
  });

  it('SIGINT to the CLI reaches a child that handles it; the CLI outlives it and passes its exit code', async () => {
    const { d } = await daemonWithKeys();
    const ready = path.join(tempDir(), 'ready');
    const child = [
      process.execPath,
      '-e',
      `process.on('SIGINT', () => process.exit(3)); require('fs').writeFileSync(${JSON.stringify(ready)}, 'x'); setTimeout(() => {}, 60000)`,
    ];
    const cli = track(
      spawn(process.execPath, [CLI, 'exec', '--', ...child], {
        env: cleanEnv({ HOME: path.dirname(d.stateDir), OPENSOUL_STATE_DIR: d.stateDir }),
        stdio: ['pipe', 'pipe', 'pipe'],
      }),
    );
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      cli.once('exit', (code, signal) => resolve({ code, signal })),
    );
    await waitFor(() => existsSync(ready), 'the child to start');
    cli.kill('SIGINT');
    assert.deepEqual(await exited, { code: 3, signal: null });
  });

  it('Ctrl-C typed in a terminal reaches the child once, also when stdin is not the terminal (`… < file`, `cat x | opensoul exec …`)', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    for (const stdin of ['terminal', 'a file'] as const) {
      const count = path.join(tempDir(), 'count');
      // Counts the SIGINTs it gets, and exits 1 s after the first with 20 + that count.
      const code =
        `const fs=require('fs');let n=0;process.on('SIGINT',()=>{n++;fs.writeFileSync(${JSON.stringify(count)},String(n));` +
        `if(n===1)setTimeout(()=>process.exit(20+n),1000)});fs.writeFileSync(${JSON.stringify(count)},'ready');setInterval(()=>{},1000)`;
      const command = [process.execPath, CLI, 'exec', '--', process.execPath, '-e', code];
      const tty = runInTty(stdin === 'terminal' ? command : ['sh', '-c', 'exec "$@" < /dev/null', 'sh', ...command], { ...d.env, TERM: 'xterm-256color' });
      await waitFor(() => existsSync(count) && readFileSync(count, 'utf8') === 'ready', `the child to start (${stdin})`);
      tty.key('C-c');
      assert.equal(await tty.exitCode(), 21, `stdin ${stdin}: the child counted ${readFileSync(count, 'utf8')} SIGINTs`);
      assertNoSecrets([anthropic, openai], { screen: tty.screen() });
    }
    assertNoSecrets([anthropic, openai], { log: d.log() });
  });

  it('--print-names shows names and sources only; --json the same as a document; no `--` is a usage error', async () => {
    const { d, anthropic, openai } = await daemonWithKeys();
    const r = await d.cli(['exec', '--print-names']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^ANTHROPIC_API_KEY +anthropic +from profile anthropic:work$/m);
    assert.match(r.stdout, /^OPENAI_API_KEY +openai +from the gateway's environment \(OPENAI_API_KEY\)$/m);
    const j = await d.cli(['exec', '--print-names', '--json']);
    const doc = JSON.parse(j.stdout) as { variables: Array<Record<string, unknown>> };
    assert.deepEqual(
      doc.variables.map((v) => Object.keys(v).sort()),
      [
        ['name', 'profileId', 'provider', 'source'],
        ['name', 'profileId', 'provider', 'source'],
      ],
    );
    assertNoSecrets([anthropic, openai], { stdout: r.stdout + j.stdout, stderr: r.stderr + j.stderr, log: d.log() });
    const proxySession = await d.cli(['exec', '--proxy', '--session', 'work', '--', 'true']);
    assert.equal(proxySession.code, 64, 'a pin cannot ride along through the proxy: refused, not ignored');
    assert.match(proxySession.stderr, /^opensoul: --session does not apply with --proxy/m);
    const usage = await d.cli(['exec', 'env']);
    assert.equal(usage.code, 64);
    assert.match(usage.stderr, /^opensoul: .*opensoul exec \[--provider p …\] -- <command>/m);
    assert.match(usage.stderr, /^Usage: opensoul exec \[options\] -- <command> \[args\.\.\.\]$/m);
  });
});
