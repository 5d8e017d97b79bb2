/** `opensoul models …`. */
import type { Command } from 'commander';
import { action } from '../cli-context.js';
import { usageError } from '../output.js';
import { registerAuth } from './auth.js';
import { runModelsStatus } from './models-status-run.js';
import type { ModelsStatusOptions } from './models-status-run.js';

const positiveInt = (flag: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw usageError(`${flag} expects a positive whole number, got "${value}"`);
  return n;
};

export function registerModels(program: Command): Command {
  const models = program.command('models').description('model credentials: status and auth profiles');

  models
    .command('status')
    .description('credential status of an agent: providers, profiles, expiry, cooldowns, file errors')
    .option('--agent <id>', 'the agent (default: the configured default agent)')
    .option('--json', 'print one JSON document')
    .option('--plain', 'print only the resolved default model (provider/model)')
    .option('--check', 'exit 1 when expired/missing, 2 when expiring within 24 h, else 0')
    .option('--probe', 'send a minimal live request per profile')
    .option('--probe-provider <provider>', 'probe only this provider')
    .option('--probe-profile <id>', 'probe only this profile')
    .option('--probe-timeout <ms>', 'time limit of each probe', positiveInt('--probe-timeout'))
    .option('--probe-concurrency <n>', 'probes run at once', positiveInt('--probe-concurrency'))
    .action(action(async (env, opts: ModelsStatusOptions) => runModelsStatus(env, opts)));
  registerAuth(models);
  return models;
}
