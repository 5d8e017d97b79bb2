/**
 * The `models status` action, shared by the commander command and the launcher's fast path (so
 * the hottest command does not pay for commander at start-up, and both run the same code).
 */
import { methods } from '../../ipc/protocol.js';
import type { ProbeOptions } from '../../ipc/protocol.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { printJson } from '../output.js';
import { renderModelsStatus } from '../render/models-status.js';

export interface ModelsStatusOptions {
  agent?: string;
  plain?: boolean;
  check?: boolean;
  probe?: boolean;
  probeProvider?: string;
  probeProfile?: string;
  probeTimeout?: number;
  probeConcurrency?: number;
}

/** Runs `models status`; returns the exit code (the check level with --check, else 0). */
export async function runModelsStatus(env: ActionEnv, o: ModelsStatusOptions): Promise<number> {
  let probe: ProbeOptions | undefined;
  if (o.probe || o.probeProvider || o.probeProfile) {
    probe = {
      ...(o.probeProvider ? { provider: o.probeProvider } : {}),
      ...(o.probeProfile ? { profile: o.probeProfile } : {}),
      ...(o.probeTimeout ? { timeoutMs: o.probeTimeout } : {}),
      ...(o.probeConcurrency ? { concurrency: o.probeConcurrency } : {}),
    };
  }
  const r = await callDaemon(methods.modelsStatus, { ...(o.agent ? { agent: o.agent } : {}), ...(probe ? { probe } : {}) }, { timeoutMs: 300_000 });
  if (env.json) printJson(r);
  else if (o.plain) process.stdout.write(`${r.defaultModel}\n`);
  else process.stdout.write(renderModelsStatus(r, env.style));
  return o.check ? r.check : 0;
}
