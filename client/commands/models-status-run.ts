/**
 * The `models status` action (and `models` alone, and OpenClaw's `models --status-json`): the
 * RPC params from the parsed flags, the call, and the rendering.
 */
import { methods } from '../../ipc/protocol.js';
import type { ModelsStatusParams, ProbeOptions } from '../../ipc/protocol.js';
import type { ActionEnv } from '../cli-context.js';
import { callDaemon } from '../connection.js';
import { providerNamesInEnv } from '../env-names.js';
import { printJson } from '../output.js';
import { renderModelsStatus } from '../render/models-status.js';
import { probePlainLines, probesFailCheck } from '../render/probes.js';
import { visibleStrings } from '../render/terminal-text.js';

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

/** The daemon's per-probe time limit when none is given (daemon/providers); only to size the wait. */
const DEFAULT_PROBE_TIMEOUT_MS = 10_000;

/**
 * How long to wait for the answer: the daemon bounds each probe, so the call must outlast them
 * all — each probe's limit times the rounds `concurrency` makes of them (the profiles named, else
 * assume one round), plus a margin; never under 10 minutes when probing, 5 without.
 */
export function statusRequestTimeoutMs(params: ModelsStatusParams): number {
  const probe = params.probe;
  if (!probe) return 300_000;
  const rounds = Math.ceil((probe.profiles?.length ?? 1) / (probe.concurrency ?? 1));
  return Math.max(600_000, (probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS) * rounds + 15_000);
}

/**
 * Runs `models status`; returns the exit code: with --check, the check level, or 1 when a probe
 * found a bad credential (refused, revoked, out of credit, or scoped to another client); else 0.
 */
export async function runModelsStatus(env: ActionEnv, o: ModelsStatusOptions): Promise<number> {
  const params = modelsStatusParams(o);
  const r = await callDaemon(methods.modelsStatus, params, { timeoutMs: statusRequestTimeoutMs(params) });
  // The views are read by people (and --plain by scripts): ids, labels, model ids and paths come
  // from files anyone with write access to them could have put escape sequences or line feeds in.
  const shown = env.json ? r : visibleStrings(r);
  if (env.json) printJson(r);
  else if (o.plain) process.stdout.write([shown.resolvedDefault || shown.defaultModel, ...probePlainLines(shown.probes ?? [])].map((l) => `${l}\n`).join(''));
  else process.stdout.write(renderModelsStatus(shown, env.style));
  if (!o.check) return 0;
  return probesFailCheck(r.probes) ? 1 : r.check;
}
