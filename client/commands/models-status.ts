/** `opensoul models status` and `opensoul models` alone (OpenClaw's `models --status-json`). */
import { command, flag, list, num, str } from '../cli-context.js';
import type { Opts } from '../cli/parse.js';
import { makeStyle } from '../render/style.js';
import { runModelsStatus } from './models-status-run.js';
import type { ModelsStatusOptions } from './models-status-run.js';

/** The status options from parsed flags. */
export function statusOptions(o: Opts): ModelsStatusOptions {
  const probeProfile = list(o, 'probeProfile');
  const out: ModelsStatusOptions = {};
  const agent = str(o, 'agent');
  if (agent !== undefined) out.agent = agent;
  if (flag(o, 'plain')) out.plain = true;
  if (flag(o, 'check')) out.check = true;
  if (flag(o, 'probe')) out.probe = true;
  const probeProvider = str(o, 'probeProvider');
  if (probeProvider !== undefined) out.probeProvider = probeProvider;
  if (probeProfile.length > 0) out.probeProfile = probeProfile;
  const timeout = num(o, 'probeTimeout');
  if (timeout !== undefined) out.probeTimeout = timeout;
  const concurrency = num(o, 'probeConcurrency');
  if (concurrency !== undefined) out.probeConcurrency = concurrency;
  const maxTokens = num(o, 'probeMaxTokens');
  if (maxTokens !== undefined) out.probeMaxTokens = maxTokens;
  return out;
}

/** `models status`. */
export const status = command(({ env, opts }) => runModelsStatus(env, statusOptions(opts)));

/** `models` alone: status, with `--status-json`/`--status-plain` speaking for it. */
export const modelsGroup = command(({ env, opts }) => {
  const json = env.json || flag(opts, 'statusJson');
  const agent = str(opts, 'agent');
  return runModelsStatus(json ? { json, style: makeStyle(false) } : env, {
    ...(agent ? { agent } : {}),
    ...(flag(opts, 'statusPlain') ? { plain: true } : {}),
  });
});
