/** `opensoul models …`. */
import type { Command } from 'commander';
import { methods } from '../../ipc/protocol.js';
import type { ProbeOptions } from '../../ipc/protocol.js';
import { action } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson, usageError } from '../output.js';
import { renderModelsStatus } from '../render/models-status.js';
import { registerAuth } from './auth.js';

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
    .action(
      action(async (env, opts: { agent?: string; plain?: boolean; check?: boolean; probe?: boolean; probeProvider?: string; probeProfile?: string; probeTimeout?: number; probeConcurrency?: number }) => {
        let probe: ProbeOptions | undefined;
        if (opts.probe || opts.probeProvider || opts.probeProfile) {
          probe = {
            ...(opts.probeProvider ? { provider: opts.probeProvider } : {}),
            ...(opts.probeProfile ? { profile: opts.probeProfile } : {}),
            ...(opts.probeTimeout ? { timeoutMs: opts.probeTimeout } : {}),
            ...(opts.probeConcurrency ? { concurrency: opts.probeConcurrency } : {}),
          };
        }
        const r = await callDaemon(methods.modelsStatus, { ...(opts.agent ? { agent: opts.agent } : {}), ...(probe ? { probe } : {}) }, { timeoutMs: 300_000 });
        if (env.json) printJson(r);
        else if (opts.plain) process.stdout.write(`${r.defaultModel}\n`);
        else process.stdout.write(renderModelsStatus(r, env.style));
        return opts.check ? r.check : 0;
      }),
    );
  registerAuth(models);
  return models;
}
