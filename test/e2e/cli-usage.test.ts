/**
 * How the real CLI answers being called wrongly, and `--json` as one document everywhere: exit 64
 * with the `opensoul:` prefix and the failing command's own usage (§7); an unknown word in any
 * command group — `gateway` too, whose default command is `run` — gets "Did you mean"; the
 * daemon's refusals of bad params are worded without validator paths; `--version --json` and
 * `gateway logs --json` print one JSON document.
 */
import assert from 'node:assert/strict';
import path from 'node:path';
import { PKG_VERSION, cli, startDaemon, tempDir } from '../support/harness.js';

const noDaemon = () => ({ stateDir: path.join(tempDir(), 'state') });

describe('CLI usage errors and --json documents (real CLI)', function () {
  for (const [words, suggestion] of [
    [['gateway', 'stauts'], 'status'],
    [['gateway', 'instal'], 'install'],
    [['models', 'stauts'], 'status'],
    [['models', 'auth', 'lsit'], 'list'],
    [['models', 'auth', 'order', 'gte'], 'get'],
  ] as const) {
    it(`\`opensoul ${words.join(' ')}\` is an unknown command with "Did you mean ${suggestion}?", exit 64, and the group's usage`, async () => {
      const r = await cli([...words], noDaemon());
      assert.equal(r.code, 64, r.stderr);
      const group = ['opensoul', ...words.slice(0, -1)].join(' ');
      assert.match(
        r.stderr,
        new RegExp(
          `^opensoul: unknown command '${words[words.length - 1]}'\\n\\(Did you mean ${suggestion}\\?\\)\\nUsage: ${group} \\[options\\] \\[command\\]\\n`,
        ),
      );
      assert.doesNotMatch(r.stderr, /too many arguments|^error:/m);
      assert.equal(r.stdout, '');
    });
  }

  for (const [helpForm, direct] of [
    [['help', 'nope'], ['nope']],
    [['help', 'modles'], ['modles']],
    [
      ['models', 'help', 'stauts'],
      ['models', 'stauts'],
    ],
    [
      ['help', 'models', 'auth', 'lsit'],
      ['models', 'auth', 'lsit'],
    ],
  ] as const) {
    it(`\`opensoul ${helpForm.join(' ')}\` answers as \`opensoul ${direct.join(' ')}\` does: exit 64, the same message and usage, no help`, async () => {
      const [viaHelp, plain] = await Promise.all([cli([...helpForm], noDaemon()), cli([...direct], noDaemon())]);
      assert.equal(viaHelp.code, 64, viaHelp.stdout + viaHelp.stderr);
      assert.equal(viaHelp.stdout, '');
      assert.match(viaHelp.stderr, new RegExp(`^opensoul: unknown command '${helpForm[helpForm.length - 1]}'\\n`));
      assert.equal(viaHelp.stderr, plain.stderr);
      const json = await cli([...helpForm, '--json'], noDaemon());
      assert.equal(json.code, 64);
      assert.equal((JSON.parse(json.stdout) as { error: { code: string } }).error.code, 'USAGE');
    });
  }

  it('`opensoul help modles` suggests models; `opensoul help models` still prints the help (exit 0)', async () => {
    const r = await cli(['help', 'modles'], noDaemon());
    assert.match(r.stderr, /^opensoul: unknown command 'modles'\n\(Did you mean models\?\)\nUsage: opensoul \[options\] \[command\]\n/);
    const ok = await cli(['help', 'models'], noDaemon());
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^Usage: opensoul models \[options\] \[command\]/);
  });

  it('`gateway run` still runs the daemon (`gateway` alone, its default, is how every other test starts one)', async () => {
    const d = await startDaemon({ args: ['gateway', 'run'] });
    assert.equal((await d.cli(['gateway', 'status'])).code, 0);
  });

  it("an unknown flag, a missing option and a missing argument print `opensoul:` and the command's own usage, exit 64", async () => {
    const cases: Array<[string[], RegExp, string]> = [
      [['models', 'status', '--bogus'], /^opensoul: unknown option '--bogus'$/m, 'opensoul models status [options]'],
      [['models', 'auth', 'paste-token'], /^opensoul: required option '--provider <provider>' not specified$/m, 'opensoul models auth paste-token [options]'],
      [
        ['models', 'auth', 'order', 'set', '--provider', 'anthropic'],
        /^opensoul: missing required argument 'ids'$/m,
        'opensoul models auth order set [options] <ids...>',
      ],
      [['gateway', 'logs', '-n', 'many'], /^opensoul: option '-n, --lines <n>' argument 'many' is invalid/m, 'opensoul gateway logs [options]'],
    ];
    for (const [args, error, usage] of cases) {
      const r = await cli(args, noDaemon());
      assert.equal(r.code, 64, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, error);
      assert.ok(r.stderr.includes(`Usage: ${usage}\n`), r.stderr);
      assert.ok(r.stderr.includes(`run \`${usage.split(' [')[0]} --help\``), r.stderr);
    }
  });

  // (`opensoul models` alone is `models status`, as in OpenClaw; `models auth` has no such default.)
  it('a group without its command (`opensoul models auth`) is a usage error: its help on stderr, exit 64, and with --json one error document', async () => {
    const r = await cli(['models', 'auth'], noDaemon());
    assert.equal(r.code, 64);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^Usage: opensoul models auth \[options\] \[command\]/);
    assert.match(r.stderr, /^opensoul: missing command: run `opensoul models auth --help` for the list$/m);
    const j = await cli(['models', 'auth', '--json'], noDaemon());
    assert.equal(j.code, 64);
    assert.deepEqual(JSON.parse(j.stdout), { error: { code: 'USAGE', message: 'missing command: run `opensoul models auth --help` for the list' } });
  });

  it('a usage error found by the command itself (-f with --json) also shows the usage; stdout stays one JSON document', async () => {
    const r = await cli(['gateway', 'logs', '-f', '--json'], noDaemon());
    assert.equal(r.code, 64);
    assert.equal((JSON.parse(r.stdout) as { error: { code: string } }).error.code, 'USAGE');
    assert.match(r.stderr, /^Usage: opensoul gateway logs \[options\]$/m);
  });

  it('`--version --json` (either order) is one JSON document; `--version` alone stays plain', async () => {
    for (const args of [
      ['--version', '--json'],
      ['--json', '-V'],
    ]) {
      const r = await cli(args, noDaemon());
      assert.equal(r.code, 0);
      assert.deepEqual(JSON.parse(r.stdout), { version: PKG_VERSION, protocolVersion: 1 });
    }
    assert.equal((await cli(['--version'], noDaemon())).stdout, `${PKG_VERSION}\n`);
  });

  it('`gateway logs --json` is one document: the file and its records, parsed', async () => {
    const d = await startDaemon();
    const r = await d.cli(['gateway', 'logs', '--json', '-n', '5']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { file: string; lines: { level: string; message: string }[] };
    assert.equal(doc.file, d.paths.log);
    assert.ok(doc.lines.length > 0 && doc.lines.length <= 5);
    assert.ok(
      doc.lines.some((l) => l.level === 'info' && l.message.includes('listening')),
      r.stdout,
    );
  });

  it("the daemon's refusal of bad params is worded without validator paths (params.profileId, params.order[0])", async () => {
    const d = await startDaemon();
    const remove = await d.cli(['models', 'auth', 'remove', '']);
    assert.equal(remove.code, 1);
    assert.match(remove.stderr, /^opensoul: invalid profile id: expected a profile id such as anthropic:default$/m);
    const order = await d.cli(['models', 'auth', 'order', 'set', '--provider', 'anthropic', '']);
    assert.equal(order.code, 1);
    assert.match(order.stderr, /^opensoul: invalid order \(item 1\): expected a profile id/m);
    const agent = await d.cli(['models', 'status', '--agent', 'Bad Agent', '--json']);
    assert.match((JSON.parse(agent.stdout) as { error: { message: string } }).error.message, /^invalid agent: /);
    for (const text of [remove.stderr, order.stderr, agent.stdout]) assert.doesNotMatch(text, /params[.[]/);
  });
});
