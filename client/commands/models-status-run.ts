/**
 * The `models status` action, shared by the commander command and the launcher's fast path (so
 * the hottest command does not pay for commander at start-up, and both run the same code).
 */
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusParams, ProbeOptions } from '../../ipc/protocol.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { providerNamesInEnv } from '../env-names.js';
import { printJson } from '../output.js';
import { renderModelsStatus } from '../render/models-status.js';

export interface ModelsStatusOptions {
  agent?: string;
  plain?: boolean;
  check?: boolean;
  probe?: boolean;
  probeProvider?: string;
  /** Profile ids, from `--probe-profile a,b` (comma lists, repeatable). */
  probeProfile?: string[];
  probeTimeout?: number;
  probeConcurrency?: number;
  probeMaxTokens?: number;
}

/** The RPC params for these options: probe settings, and the names (never values) of this shell's provider keys. */
export function modelsStatusParams(o: ModelsStatusOptions, env: NodeJS.ProcessEnv = process.env): ModelsStatusParams {
  let probe: ProbeOptions | undefined;
  if (o.probe || o.probeProvider || (o.probeProfile && o.probeProfile.length > 0)) {
    probe = {
      ...(o.probeProvider ? { provider: o.probeProvider } : {}),
      ...(o.probeProfile && o.probeProfile.length > 0 ? { profiles: o.probeProfile } : {}),
      ...(o.probeTimeout ? { timeoutMs: o.probeTimeout } : {}),
      ...(o.probeConcurrency ? { concurrency: o.probeConcurrency } : {}),
      ...(o.probeMaxTokens ? { maxTokens: o.probeMaxTokens } : {}),
    };
  }
  const names = providerNamesInEnv(env);
  return { ...(o.agent ? { agent: o.agent } : {}), ...(probe ? { probe } : {}), ...(names.length > 0 ? { clientEnvNames: names } : {}) };
}

/** Runs `models status`; returns the exit code (the check level with --check, else 0). */
export async function runModelsStatus(env: ActionEnv, o: ModelsStatusOptions): Promise<number> {
  const r = await callDaemon(methods.modelsStatus, modelsStatusParams(o), { timeoutMs: 300_000 });
  if (env.json) printJson(r);
  else if (o.plain) process.stdout.write(`${r.resolvedDefault || r.defaultModel}\n`);
  else process.stdout.write(renderModelsStatus(r, env.style));
  return o.check ? r.check : 0;
}
