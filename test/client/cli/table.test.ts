/**
 * The command table is the only definition of the CLI: every command it names has a module
 * with that export, flags are unique per level, and the parser reads each form as the commands
 * expect (OpenClaw's aliases included).
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { parseArgv } from '../../../client/cli/parse.js';
import type { ParseResult } from '../../../client/cli/parse.js';
import type { CommandSpec } from '../../../client/cli/spec.js';
import { COMMAND_TABLE } from '../../../client/cli/table.js';
import { closest } from '../../../client/cli/suggest.js';

const REPO = path.resolve(import.meta.dirname, '../../..');

function all(cmd: CommandSpec, words: string[] = []): Array<{ cmd: CommandSpec; words: string[] }> {
  return [{ cmd, words }, ...(cmd.subcommands ?? []).flatMap((c) => all(c, [...words, c.name]))];
}

const run = (argv: string[]): Extract<ParseResult, { kind: 'run' }> => {
  const r = parseArgv(argv, COMMAND_TABLE);
  assert.equal(r.kind, 'run', JSON.stringify(r));
  return r;
};
const usage = (argv: string[]): string => {
  const r = parseArgv(argv, COMMAND_TABLE);
  assert.equal(r.kind, 'usage', argv.join(' '));
  return r.message;
};
const leaf = (r: Extract<ParseResult, { kind: 'run' }>) => r.path.map((c) => c.name).join(' ');

describe('the command table', () => {
  it('names, for every command that runs, a module with that export', async () => {
    for (const { cmd, words } of all(COMMAND_TABLE)) {
      if (!cmd.run) continue;
      const file = path.join(REPO, 'client', 'commands', `${cmd.run.module}.ts`);
      assert.ok(existsSync(file), `${words.join(' ')}: ${file}`);
      const mod = (await import(file)) as Record<string, unknown>;
      assert.equal(typeof mod[cmd.run.fn], 'function', `${words.join(' ')}: ${cmd.run.module}.${cmd.run.fn}`);
    }
  });

  it('has unique command words and flags at every level, and a description for each', () => {
    for (const { cmd, words } of all(COMMAND_TABLE)) {
      const names = (cmd.subcommands ?? []).flatMap((c) => [c.name, ...(c.aliases ?? [])]);
      assert.equal(new Set(names).size, names.length, words.join(' '));
      const flags = (cmd.flags ?? []).flatMap((f) => [f.long, ...(f.short ? [f.short] : [])]);
      assert.equal(new Set(flags).size, flags.length, words.join(' '));
      assert.ok(cmd.description.length > 0);
      for (const f of cmd.flags ?? [])
        assert.equal(f.kind === 'bool', f.value === undefined, `${words.join(' ')} --${f.long}: a value name exactly when it takes one`);
    }
  });
});

describe('the parser', () => {
  it('reads models status in all its forms (OpenClaw: models --agent x status, --status-json)', () => {
    assert.deepEqual(run(['models', 'status', '--agent=work', '--probe-profile', 'a:1,a:2', '--probe-profile', 'b:3', '--probe-timeout', '5000']).opts, {
      agent: 'work',
      probeProfile: ['a:1', 'a:2', 'b:3'],
      probeTimeout: 5000,
    });
    assert.equal(run(['models', '--agent', 'work', 'status']).opts.agent, 'work');
    assert.equal(run(['models', '--agent', 'work', 'status', '--agent', 'other']).opts.agent, 'other');
    const bare = run(['models', '--status-json']);
    assert.equal(leaf(bare), 'opensoul models');
    assert.equal(bare.opts.statusJson, true);
    assert.equal(run(['--json', 'models', 'status']).json, true);
    assert.equal(
      usage(['models', 'status', '--probe-max-tokens', '0']),
      "option '--probe-max-tokens <n>' argument '0' is invalid. expected a positive whole number",
    );
    assert.equal(usage(['models', 'status', '--agent']), "option '--agent <id>' argument missing");
    assert.match(usage(['models', 'status', '--probe-provder', 'x']), /^unknown option '--probe-provder'\n\(Did you mean --probe-provider\?\)$/);
  });

  it('reads the OpenClaw aliases: doctor --repair, onboard --install-daemon, auth logout, models auth --agent', () => {
    assert.equal(run(['doctor', '--repair']).opts.fix, true);
    assert.equal(run(['doctor', '--non-interactive', '--yes']).opts.fix, undefined);
    assert.equal(run(['onboard', '--install-daemon']).opts.installService, true);
    assert.equal(leaf(run(['models', 'auth', 'logout', 'openai:x'])), 'opensoul models auth remove');
    assert.equal(run(['models', 'auth', '--agent', 'work', 'list']).opts.agent, 'work');
  });

  it('applies defaults, --no- flags, required options and arguments, and leaves what follows -- alone', () => {
    assert.equal(run(['models', 'auth', 'paste-api-key', '--provider', 'openai']).opts.target, 'profile');
    assert.equal(run(['models', 'auth', 'login', '--provider', 'anthropic', '--no-browser']).opts.browser, false);
    assert.equal(usage(['models', 'auth', 'paste-token']), "required option '--provider <provider>' not specified");
    assert.equal(usage(['models', 'auth', 'order', 'set', '--provider', 'x']), "missing required argument 'ids'");
    const e = run(['exec', '--provider', 'openai', '--', 'tool', '--json', '-h']);
    assert.deepEqual(e.args, ['tool', '--json', '-h']);
    assert.equal(e.dashDash, true);
    assert.equal(e.json, false);
    assert.equal(run(['exec', '--proxy-ttl', '30m', '--', 'x']).opts.proxyTtl, 1_800_000);
    assert.equal(leaf(run(['gateway'])), 'opensoul gateway run');
    assert.equal(run(['gateway', 'logs', '-n', '0', '-f']).opts.lines, 0);
  });

  it('answers help at every level, and the version', () => {
    for (const argv of [['-h'], ['models', '--help'], ['help', 'models', 'auth'], ['models', 'auth', 'order', 'set', '-h']])
      assert.equal(parseArgv(argv, COMMAND_TABLE).kind, 'help', argv.join(' '));
    assert.deepEqual(parseArgv(['--json', '-V'], COMMAND_TABLE), { kind: 'version', json: true });
  });

  it('refuses `help <unknown>` at every level as the unknown command it names, with the same message', () => {
    const pairs = [
      ['help nope', 'nope'],
      ['help modles', 'modles'],
      ['models help stauts', 'models stauts'],
      ['help models stauts', 'models stauts'],
      ['help models auth lsit', 'models auth lsit'],
      ['gateway help instal', 'gateway instal'],
    ].map(([viaHelp, plain]) => [(viaHelp as string).split(' '), (plain as string).split(' ')] as const);
    for (const [helpForm, direct] of pairs) {
      const r = parseArgv(helpForm, COMMAND_TABLE);
      const d = parseArgv(direct, COMMAND_TABLE);
      assert.equal(r.kind, 'usage', helpForm.join(' '));
      assert.equal(d.kind, 'usage', direct.join(' '));
      assert.match(usage(helpForm), /^unknown command '/);
      assert.equal(usage(helpForm), usage(direct), helpForm.join(' '));
      assert.deepEqual(
        r.path.map((c) => c.name),
        d.path.map((c) => c.name),
        `${helpForm.join(' ')}: the usage of the same group follows`,
      );
    }
    assert.match(usage(['help', 'modles']), /\(Did you mean models\?\)$/);
    // Words that are not commands: a leaf's argument, another `help`, a flag.
    for (const argv of [
      ['help', 'completion', 'bash'],
      ['help', 'help', 'models'],
      ['models', 'help', 'help'],
      ['help', 'models', '--json'],
    ]) {
      const r = parseArgv(argv, COMMAND_TABLE);
      assert.equal(r.kind, 'help', argv.join(' '));
    }
    const helpOfModels = parseArgv(['help', 'help', 'models'], COMMAND_TABLE);
    assert.deepEqual(helpOfModels.kind === 'help' && helpOfModels.path.map((c) => c.name), ['opensoul', 'models']);
  });

  it('never throws, whatever the words (a result of one of its four kinds)', () => {
    const words = fc.constantFrom(
      'models',
      'status',
      'auth',
      '--agent',
      'x',
      '--json',
      '--',
      '-h',
      'gateway',
      'logs',
      '-n',
      '5',
      '--probe-timeout',
      'exec',
      '--provider',
      'a,b',
      'help',
      '=',
      '--x=y',
      '-',
    );
    fc.assert(
      fc.property(fc.array(words, { maxLength: 8 }), (argv) => {
        const r = parseArgv(argv, COMMAND_TABLE);
        assert.ok(['run', 'help', 'version', 'usage'].includes(r.kind));
      }),
    );
  });
});

describe('did you mean', () => {
  it('finds close words and nothing for distant ones', () => {
    assert.deepEqual(closest('stauts', ['status', 'start', 'stop']), ['status']);
    assert.deepEqual(closest('frobnicate', ['status', 'models']), []);
  });
});
