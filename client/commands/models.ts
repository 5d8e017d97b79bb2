/** `opensoul models …`. */
import type { Command } from 'commander';
import { action } from '../cli-context.js';
import type { ActionEnv } from '../cli-context.js';
import { positiveInteger, splitList } from '../fast-path.js';
import { usageError } from '../output.js';
import { makeStyle } from '../render/style.js';
import { registerAuth } from './auth.js';
import { runModelsStatus } from './models-status-run.js';
import type { ModelsStatusOptions } from './models-status-run.js';

/** What runs `models status` (a parameter so a test can hold these definitions to the fast path's). */
export type StatusRunner = (env: ActionEnv, opts: ModelsStatusOptions) => Promise<number>;

const positiveInt = (flag: string) => (value: string) => {
  const n = positiveInteger(value);
  if (n === null) throw usageError(`${flag} expects a positive whole number, got "${value}"`);
  return n;
};

const AGENT_HELP = 'the agent (default: the configured default agent)';

/**
 * `--agent` given on a group (`models --agent work status`, OpenClaw's form) reaches every
 * command under it that takes one. Commander lets a group's option appear after the subcommand
 * too, so the group may have taken a `--agent` written after the command words: either way the
 * value lands on the command that runs.
 */
function inheritAgent(group: Command): void {
  group.hook('preAction', (_group, actionCommand) => {
    if (!actionCommand.options.some((o) => o.long === '--agent') || actionCommand.getOptionValue('agent') !== undefined) return;
    for (let c: Command | null = actionCommand.parent; c; c = c.parent) {
      const agent: unknown = c.getOptionValue('agent');
      if (typeof agent === 'string') {
        actionCommand.setOptionValue('agent', agent);
        return;
      }
    }
  });
}

export function registerModels(program: Command, run: StatusRunner = runModelsStatus): Command {
  const models = program
    .command('models')
    .description('model credentials: status and auth profiles (with no subcommand: status)')
    .option('--agent <id>', AGENT_HELP)
    .option('--status-json', 'with no subcommand: `models status --json`')
    .option('--status-plain', 'with no subcommand: `models status --plain`')
    // A word that is no subcommand reaches this action: word the error as an unknown command.
    .allowExcessArguments()
    .action(
      action(async (env, o: { agent?: string; statusJson?: boolean; statusPlain?: boolean }, cmd: Command) => {
        const word = cmd.args[0];
        // Commander's own unknown-command error (with its "Did you mean …?"), as every other group
        // gives: it prints and throws a CommanderError, which main() turns into exit 64.
        if (word !== undefined) (cmd as unknown as { unknownCommand(): never }).unknownCommand();
        const json = env.json || o.statusJson === true;
        return run(json ? { json, style: makeStyle(false) } : env, { ...(o.agent ? { agent: o.agent } : {}), ...(o.statusPlain ? { plain: true } : {}) });
      }),
    );

  models
    .command('status')
    .description('credential status of an agent: providers, profiles, expiry, cooldowns, file errors')
    .option('--agent <id>', AGENT_HELP)
    .option('--json', 'print one JSON document')
    .option('--plain', 'print only the resolved default model (provider/model)')
    .option('--check', 'exit 1 when expired/missing, a file does not parse or (with --probe) a probe answered auth, auth_permanent, billing or credential_scope; 2 when expiring within 24 h; else 0')
    .option('--probe', 'send a minimal live request per profile and env key (a "Probes" table; --plain: one tab-separated line each)')
    .option('--probe-provider <provider>', 'probe only this provider')
    .option('--probe-profile <ids>', 'probe only these profiles (comma list; repeatable)', (v: string, prev?: string[]) => splitList(v, prev))
    .option('--probe-timeout <ms>', 'time limit of each probe', positiveInt('--probe-timeout'))
    .option('--probe-concurrency <n>', 'probes run at once', positiveInt('--probe-concurrency'))
    .option('--probe-max-tokens <n>', 'max_tokens of each probe request', positiveInt('--probe-max-tokens'))
    .action(action(async (env, opts: ModelsStatusOptions & { json?: boolean }) => {
      const { json: _json, ...rest } = opts;
      return run(env, rest);
    }));
  registerAuth(models);
  inheritAgent(models);
  return models;
}
