/**
 * The secret sweep (SPEC §14: no secret in a log line, an error message, a `--json` document, a
 * unit file or a process's argv). Canaries sit in every place a secret can live today — `.env`,
 * config `env.vars`, the daemon's own environment, every profile type (api_key, token, oauth
 * access and refresh) in two agents, every SecretRef source (env, file, exec), a store that does
 * not parse, an OpenClaw dir to import, and secrets pasted through the CLI (accepted, refused,
 * in conflict, mistakenly put in argv). Then every CLI command and error path we can list runs,
 * with the daemon up and down; stdout, stderr, the daemon's stderr and log files, the generated
 * units and the daemon's /proc/<pid>/cmdline are searched for every 12-character window of each
 * canary's random part.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { methods } from '../../ipc/protocol.js';
import { cli, startDaemon, tempDir, waitFor } from '../support/harness.js';
import type { RunResult } from '../support/harness.js';
import { assertNoCanaryWindows, budgetMs, canary } from '../support/hardening.js';
import type { Canary } from '../support/hardening.js';
import { writeEnvFile, writeSplit } from '../support/openclaw-fixtures.js';

const CLOSED = 'http://127.0.0.1:9';

function writeJson(file: string, value: unknown): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, JSON.stringify(value, null, 2), { mode: 0o600 });
}

/** Every file under the daemon's logs dir (rotated ones too). */
function allLogs(dir: string): string {
  try {
    return readdirSync(dir)
      .map((n) => readFileSync(path.join(dir, n), 'utf8'))
      .join('\n');
  } catch {
    return '';
  }
}

describe('the secret sweep (real daemon, real CLI)', function () {
  this.timeout(budgetMs(90_000, 300_000));

  it(
    'no 12-character window of any canary reaches stdout, stderr, the log, a generated unit or the daemon argv, ' + 'over every command and error path',
    async () => {
      const home = tempDir();
      const stateDir = path.join(home, 'state');
      const all: Canary[] = [];
      const c = (label: string, prefix: string, length = 40) => {
        const k = canary(label, prefix, length);
        all.push(k);
        return k;
      };

      const dotenvKey = c('.env ANTHROPIC_API_KEY', 'sk-ant-api03-');
      const dotenvOpenai = c('.env OPENAI_API_KEY', 'sk-proj-');
      const dotenvRefTarget = c('.env REF_TARGET (env SecretRef)', 'sk-ref-env-');
      const configVar = c('config env.vars OPENROUTER_API_KEY', 'sk-or-v1-');
      const configVar2 = c('config env.vars GROQ_API_KEY', 'gsk_');
      const processVar = c('daemon process env XAI_API_KEY', 'xai-');
      const apiKey = c('profile api_key', 'sk-ant-api03-');
      const token = c('profile token', 'sk-ant-oat01-', 80);
      const expiredToken = c('profile token, expired', 'sk-ant-oat01-', 80);
      const oauthAccess = c('profile oauth access', 'sk-ant-oat01-', 80);
      const oauthRefresh = c('profile oauth refresh', 'sk-ant-ort01-', 80);
      const workKey = c('agent work api_key', 'sk-proj-');
      const fileRef = c('file SecretRef target', 'sk-ref-file-');
      const execRef = c('exec SecretRef output', 'sk-ref-exec-');
      const brokenStore = c('a store that does not parse', 'sk-ant-api03-');
      const brokenConfig = c('a config that does not parse', 'sk-or-v1-');
      const openclawKey = c('OpenClaw profile to import', 'sk-ant-api03-');
      const openclawEnv = c('OpenClaw .env', 'sk-proj-');
      const pastedToken = c('pasted token (CLI)', 'sk-ant-oat01-', 80);
      const conflictToken = c('token replacing another', 'sk-ant-oat01-', 80);
      const pastedKeyEnv = c('pasted api key --target env', 'sk-proj-');
      const pastedKeyProfile = c('pasted api key --target profile', 'sk-or-v1-');
      const onboardKey = c('onboard --key-stdin', 'gsk_');
      const shortToken = c('a truncated anthropic token (refused)', 'sk-ant-oat01-', 40);
      const badProviderKey = c('a key for an unknown provider (refused)', 'sk-');
      const lineBreakToken = c('a token with a line break inside', 'tok-');
      const argvSecret = c('a secret mistakenly given in argv', 'sk-ant-api03-');

      // Secrets held elsewhere, behind SecretRefs.
      const refDir = path.join(home, 'refs');
      mkdirSync(refDir, { mode: 0o700 });
      writeFileSync(path.join(refDir, 'file-secret'), `${fileRef.value}\n`, { mode: 0o600 });
      writeFileSync(path.join(refDir, 'exec-secret'), execRef.value, { mode: 0o600 });

      writeJson(path.join(stateDir, 'opensoul.json'), {
        env: { vars: { OPENROUTER_API_KEY: configVar.value, GROQ_API_KEY: configVar2.value } },
        agents: { list: [{ id: 'main', default: true }, { id: 'work' }] },
        models: { providers: Object.fromEntries(['anthropic', 'openai', 'openrouter', 'groq', 'xai'].map((p) => [p, { baseUrl: CLOSED }])) },
      });
      writeFileSync(
        path.join(stateDir, '.env'),
        `# keys\nANTHROPIC_API_KEY=${dotenvKey.value}\nOPENAI_API_KEY="${dotenvOpenai.value}"\nREF_TARGET=${dotenvRefTarget.value}\n`,
        { mode: 0o600 },
      );
      const now = Date.now();
      writeJson(path.join(stateDir, 'agents', 'main', 'agent', 'auth-profiles.json'), {
        version: 1,
        profiles: {
          'anthropic:key': { type: 'api_key', provider: 'anthropic', key: apiKey.value },
          'anthropic:tok': { type: 'token', provider: 'anthropic', token: token.value, expires: now + 3 * 3600_000 },
          'anthropic:old': { type: 'token', provider: 'anthropic', token: expiredToken.value, expires: now - 3600_000 },
          'anthropic:oauth': {
            type: 'oauth',
            provider: 'anthropic',
            access: oauthAccess.value,
            refresh: oauthRefresh.value,
            expires: now + 30 * 86400_000,
            email: 'a@example.com',
          },
          'openai:envref': { type: 'api_key', provider: 'openai', keyRef: { source: 'env', id: 'REF_TARGET' } },
          'openai:fileref': { type: 'api_key', provider: 'openai', keyRef: { source: 'file', id: path.join(refDir, 'file-secret') } },
          'openai:execref': { type: 'token', provider: 'openai', tokenRef: { source: 'exec', id: `cat ${path.join(refDir, 'exec-secret')}` } },
          'openai:missingref': { type: 'api_key', provider: 'openai', keyRef: { source: 'file', id: path.join(refDir, 'absent') } },
        },
      });
      writeJson(path.join(stateDir, 'agents', 'work', 'agent', 'auth-profiles.json'), {
        version: 1,
        profiles: { 'openai:work': { type: 'api_key', provider: 'openai', key: workKey.value } },
      });
      // A hand-edit gone wrong: JSON.parse's own message would quote the text around the error.
      const brokenFile = path.join(stateDir, 'agents', 'broken', 'agent', 'auth-profiles.json');
      mkdirSync(path.dirname(brokenFile), { recursive: true, mode: 0o700 });
      writeFileSync(brokenFile, `{"version":1,"profiles":{"openai:b":{"type":"api_key","provider":"openai","key":"${brokenStore.value}" "oops"}}}`, {
        mode: 0o600,
      });

      // An OpenClaw state dir to import from.
      const openclaw = path.join(home, '.openclaw');
      writeSplit(
        openclaw,
        'main',
        { version: 1, profiles: { 'anthropic:claw': { type: 'api_key', provider: 'anthropic', key: openclawKey.value } } },
        { version: 1 },
      );
      writeEnvFile(openclaw, `OPENAI_API_KEY=${openclawEnv.value}\n`);

      // The grep itself is checked: a 12-character piece of a canary, anywhere in a text, is caught.
      assert.throws(() => assertNoCanaryWindows([apiKey], { probe: `masked: ${apiKey.secretPart.slice(9, 21)}...` }), /profile api_key/);

      const d = await startDaemon({ stateDir, env: { XAI_API_KEY: processVar.value } });
      const cmdline = readFileSync(`/proc/${d.proc.pid!}/cmdline`, 'utf8').replaceAll('\0', ' ');
      const outputs: Record<string, string> = {};
      let runs = 0;
      /** Keeps both streams of every run, numbered: a command line run twice is searched twice. */
      const record = (name: string, r: RunResult) => {
        runs++;
        outputs[`#${runs} ${name} (stdout)`] = r.stdout;
        outputs[`#${runs} ${name} (stderr)`] = r.stderr;
        return r;
      };
      const stdoutOf = (name: string) => Object.entries(outputs).find(([k]) => k.endsWith(` ${name} (stdout)`))?.[1] ?? '';
      const run = async (args: string[], input?: string) => record(`opensoul ${args.join(' ')}`, await d.cli(args, input === undefined ? {} : { input }));
      /** Read-only commands run four at a time: the sweep is long and the CLI spends most of its time starting. */
      const runAll = async (list: string[][]) => {
        for (let i = 0; i < list.length; i += 4) await Promise.all(list.slice(i, i + 4).map((args) => run(args)));
      };

      // Make the daemon resolve every SecretRef (status never runs an exec ref; a call does) and put profiles in cooldown.
      for (const id of ['openai:envref', 'openai:fileref', 'openai:execref', 'openai:missingref']) {
        await d.call(methods.authOrderSet, { provider: 'openai', order: [id] });
        await d.call(methods.authResolve, { provider: 'openai' }).catch(() => undefined);
      }
      await d.call(methods.authOrderClear, { provider: 'openai' });
      await d.call(methods.authResolve, { provider: 'anthropic' });
      await d.call(methods.authReport, { profileId: 'anthropic:key', outcome: 'rate_limit' });
      await d.call(methods.authReport, { profileId: 'anthropic:tok', outcome: 'credential_scope' });
      await d.call(methods.authReport, { profileId: 'anthropic:oauth', outcome: 'billing' });

      // Writes through the CLI: accepted, unchanged, replaced (the message names both masked secrets), refused.
      assert.equal((await run(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:pasted'], pastedToken.value)).code, 0);
      await run(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:pasted'], pastedToken.value);
      await run(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:pasted'], conflictToken.value);
      await run(['--json', 'models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:pasted'], conflictToken.value);
      // .env already holds an OPENAI_API_KEY: refused first (both masked in the message), then replaced with --force.
      assert.equal((await run(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], pastedKeyEnv.value)).code, 1);
      assert.equal((await run(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env', '--force'], pastedKeyEnv.value)).code, 0);
      await run(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'env'], conflictToken.value);
      assert.equal(
        (await run(['models', 'auth', 'paste-api-key', '--provider', 'openrouter', '--profile-id', 'openrouter:pasted', '--json'], pastedKeyProfile.value))
          .code,
        0,
      );
      await run(['onboard', '--non-interactive', '--provider', 'groq', '--key-stdin', '--target', 'profile'], onboardKey.value);
      await run(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:short'], shortToken.value);
      await run(['models', 'auth', 'paste-token', '--provider', 'nosuchprovider'], badProviderKey.value);
      await run(['--json', 'models', 'auth', 'paste-api-key', '--provider', 'nosuchprovider'], badProviderKey.value);
      await run(
        ['models', 'auth', 'paste-token', '--provider', 'openai', '--profile-id', 'openai:linebreak'],
        `${lineBreakToken.value.slice(0, 20)}\n${lineBreakToken.value.slice(20)}\n`,
      );
      await run(['models', 'auth', 'paste-token', '--provider', 'openai', '--profile-id', 'openai:x', '--expires-in', 'bogus'], token.value);
      await run(['models', 'auth', 'paste-api-key', '--provider', 'openai', '--target', 'bogus'], apiKey.value);
      await run(['models', 'auth', 'paste-token', '--provider', 'anthropic', `--token=${argvSecret.value}`]);
      await run(['--json', 'models', 'auth', 'paste-api-key', '--provider', 'anthropic', '--key', argvSecret.value]);
      await run(['models', 'auth', 'setup-token', '--provider', 'anthropic'], token.value);
      await run(['models', 'auth', 'add'], apiKey.value);
      await run(['import', 'openclaw', '--from', openclaw, '--dry-run']);
      await run(['--json', 'import', 'openclaw', '--from', openclaw, '--dry-run']);
      await run(['import', 'openclaw', '--from', openclaw]);
      await run(['import', 'openclaw', '--from', openclaw, '--json']);
      await run(['import', 'openclaw', '--from', path.join(home, 'nowhere')]);

      await runAll([
        ['models', 'status'],
        ['models', 'status', '--json'],
        ['--json', 'models', 'status'],
        ['models', 'status', '--plain'],
        ['models', 'status', '--check'],
        ['models', 'status', '--check', '--json'],
        ['models', 'status', '--agent', 'work'],
        ['models', 'status', '--agent', 'work', '--json'],
        ['models', 'status', '--agent', 'broken'],
        ['models', 'status', '--agent', 'broken', '--json'],
        ['models', 'status', '--agent', 'nosuchagent'],
        ['models', 'status', '--probe'],
        ['models', 'status', '--probe', '--probe-provider', 'openai', '--probe-timeout', '100', '--json'],
        ['models', 'status', '--bogus-flag'],
        ['models', 'auth', 'list'],
        ['models', 'auth', 'list', '--json'],
        ['models', 'auth', 'list', '--provider', 'openai'],
        ['models', 'auth', 'list', '--agent', 'work', '--json'],
        ['models', 'auth', 'list', '--agent', 'broken'],
        ['models', 'auth', 'order', 'get', '--provider', 'openai'],
        ['models', 'auth', 'order', 'get', '--provider', 'anthropic', '--json'],
        ['models', 'auth', 'order', 'set', '--provider', 'openai', 'openai:nope'],
        ['models', 'auth', 'order', 'set', '--provider', 'openai', 'anthropic:key'],
        ['models', 'auth', 'order', 'set', '--provider', 'openai'],
        ['models', 'auth', 'remove', 'openai:nope'],
        ['models', 'auth', 'remove', 'openai:work'],
        ['models', 'auth', 'remove', 'not-an-id'],
        ['doctor'],
        ['doctor', '--json'],
        ['gateway', 'status'],
        ['gateway', 'status', '--json'],
        ['gateway', 'logs', '-n', '500'],
        ['gateway', 'logs', '-n', 'many'],
        ['gateway', 'reload'],
        ['gateway', 'reload', '--json'],
        ['gateway', 'install', '--dry-run'],
        ['gateway', 'install', '--dry-run', '--auth-monitor'],
        ['gateway', 'install', '--dry-run', '--system'],
        ['gateway', 'install', '--dry-run', '--json'],
        ['frobnicate'],
        ['models', 'frobnicate', '--json'],
        ['--version'],
        ['--help'],
        ['models', 'auth', '--help'],
      ]);
      await run(['models', 'auth', 'order', 'set', '--provider', 'openai', 'openai:envref', 'openai:fileref']);
      await run(['models', 'auth', 'order', 'clear', '--provider', 'openai']);
      await run(['models', 'auth', 'remove', 'anthropic:old']);
      await run(['doctor', '--fix']);

      // A config edited into something that does not parse: the daemon keeps its last good state and says where, not what.
      writeFileSync(path.join(stateDir, 'opensoul.json'), `{ "env": { "vars": { "OPENROUTER_API_KEY": "${brokenConfig.value}" ] } }`, { mode: 0o600 });
      await waitFor(async () => (await d.call(methods.gatewayStatus, {})).files.some((f) => f.kind === 'config' && !f.ok), 'the broken config to be noticed');
      await runAll([
        ['models', 'status'],
        ['models', 'status', '--json'],
        ['doctor'],
        ['doctor', '--json'],
        ['gateway', 'status', '--json'],
        ['gateway', 'logs'],
      ]);
      const daemonTexts = { 'the daemon log files': allLogs(path.dirname(d.paths.log)), 'the daemon stderr': d.stderr(), 'the daemon /proc cmdline': cmdline };
      assertNoCanaryWindows(all, { ...outputs, ...daemonTexts });

      // With the daemon down: the local-only paths (doctor reads the files itself) and "not running".
      await d.stop();
      const down = async (args: string[], input?: string) =>
        record(`(daemon down) opensoul ${args.join(' ')}`, await cli(args, { stateDir, ...(input === undefined ? {} : { input }) }));
      for (const args of [
        ['models', 'status'],
        ['models', 'status', '--json'],
        ['doctor'],
        ['doctor', '--json'],
        ['gateway', 'status'],
        ['gateway', 'logs', '-n', '500'],
        ['models', 'auth', 'list'],
      ])
        await down(args);
      assert.equal(
        (await down(['models', 'auth', 'paste-token', '--provider', 'anthropic', '--profile-id', 'anthropic:down'], pastedToken.value)).code,
        3,
        'not running: exit 3',
      );

      assertNoCanaryWindows(all, {
        ...outputs,
        'the daemon log files (after stop)': allLogs(path.dirname(d.paths.log)),
        'the daemon stderr (after stop)': d.stderr(),
      });
      // The sweep must have looked at real output: the commands ran and the files were read.
      assert.equal(runs, 86, 'every command line ran');
      assert.match(stdoutOf('opensoul gateway install --dry-run'), /ExecStart=/);
      assert.match(stdoutOf('opensoul models status'), /anthropic/);
      assert.match(stdoutOf('opensoul models auth list --json'), /ref\(file:/, 'the SecretRef profiles were loaded');
    },
  );
});
