/**
 * The fast path (client/fast-path.ts) and commander's definitions (client/commands/models.ts)
 * are two parsers of one command line: they must take the same `models status` flags and read
 * them the same way.
 */
import assert from 'node:assert/strict';
import { Command } from 'commander';
import type { Option } from 'commander';
import { registerModels } from '../../client/commands/models.js';
import type { ModelsStatusOptions } from '../../client/commands/models-status-run.js';
import { MODELS_GROUP_FLAGS, MODELS_STATUS_FLAGS, parseModelsStatusArgv } from '../../client/fast-path.js';
import type { FlagKind } from '../../client/fast-path.js';
import { buildProgram } from '../../client/main.js';

interface Captured {
  json: boolean;
  opts: ModelsStatusOptions;
}

/** Parses argv with the real commander definitions; the status runner is swapped for a recorder. */
async function viaCommander(argv: string[]): Promise<Captured | null> {
  let captured: Captured | null = null;
  const program = new Command().option('--json').exitOverride().configureOutput({ writeErr: () => undefined, writeOut: () => undefined });
  registerModels(program, (env, opts) => {
    captured = { json: env.json, opts: JSON.parse(JSON.stringify(opts)) as ModelsStatusOptions };
    return Promise.resolve(0);
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch {
    return null;
  }
  const code = process.exitCode;
  process.exitCode = undefined;
  return code === 0 || code === undefined ? captured : null;
}

function kindOf(o: Option): FlagKind {
  if (!o.required && !o.optional) return 'bool';
  if (o.parseArg && o.long === '--probe-profile') return 'list';
  return o.parseArg ? 'int' : 'value';
}

function commanderFlags(path: string[]): Map<string, FlagKind> {
  let cmd: Command | undefined = buildProgram({ gatewayEntry: '', cliEntry: '' });
  for (const name of path) cmd = cmd?.commands.find((c) => c.name() === name);
  assert.ok(cmd, path.join(' '));
  return new Map(cmd.options.filter((o) => o.long && o.long !== '--help').map((o) => [o.long as string, kindOf(o)]));
}

describe('the fast path and the full CLI agree on models status', () => {
  it('take exactly the same flags, with the same kind of value', () => {
    const status = commanderFlags(['models', 'status']);
    assert.deepEqual([...status.keys()].sort(), Object.keys(MODELS_STATUS_FLAGS).sort());
    for (const [flag, kind] of status) assert.equal(MODELS_STATUS_FLAGS[flag]?.kind, kind, flag);
    const group = commanderFlags(['models']);
    assert.deepEqual([...group.keys()].sort(), Object.keys(MODELS_GROUP_FLAGS).sort());
    for (const [flag, kind] of group) assert.equal(MODELS_GROUP_FLAGS[flag]?.kind, kind, flag);
  });

  const forms: string[][] = [
    ['models', 'status'],
    ['models'],
    ['models', 'status', '--json'],
    ['--json', 'models', 'status', '--check'],
    ['models', 'status', '--plain', '--agent', 'work'],
    ['models', 'status', '--agent=work'],
    ['models', '--agent', 'work', 'status'],
    ['models', '--agent', 'work', 'status', '--agent', 'other'],
    ['models', '--status-json'],
    ['models', '--status-plain', '--agent', 'work'],
    ['models', '--status-json', 'status'],
    ['models', 'status', '--probe', '--probe-provider', 'anthropic', '--probe-timeout', '5000', '--probe-concurrency', '2', '--probe-max-tokens', '16'],
    ['models', 'status', '--probe-profile', 'anthropic:a,anthropic:b', '--probe-profile', 'openai:c'],
    ['models', 'status', '--probe-profile=anthropic:a', '--probe-max-tokens=8'],
  ];
  for (const argv of forms) {
    it(`read \`${argv.join(' ')}\` the same way`, async () => {
      const fast = parseModelsStatusArgv(argv);
      assert.ok(fast, 'the fast path takes it');
      assert.deepEqual(fast, await viaCommander(argv));
    });
  }

  it('the fast path leaves anything malformed to the full CLI, which refuses it', async () => {
    for (const argv of [
      ['models', 'status', '--bogus'],
      ['models', 'status', '--agent'],
      ['models', 'status', '--probe-timeout', 'soon'],
      ['models', 'status', '--probe-max-tokens', '0'],
      ['models', 'frobnicate'],
    ]) {
      assert.equal(parseModelsStatusArgv(argv), null, argv.join(' '));
      assert.equal(await viaCommander(argv), null, argv.join(' '));
    }
  });
});

describe('OpenClaw aliases of other commands', () => {
  const optsAfter = (command: string, args: string[]) => {
    const cmd = buildProgram({ gatewayEntry: '', cliEntry: '' }).commands.find((c) => c.name() === command) as Command;
    cmd.parseOptions(args);
    return cmd.opts();
  };

  it('doctor --repair is --fix; --non-interactive and --yes are taken', () => {
    assert.equal(optsAfter('doctor', ['--repair']).fix, true);
    assert.equal(optsAfter('doctor', ['--non-interactive', '--yes']).fix, undefined);
  });

  it('onboard --install-daemon is --install-service', () => {
    assert.equal(optsAfter('onboard', ['--install-daemon']).installService, true);
  });
});
