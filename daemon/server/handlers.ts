/**
 * The RPC handlers: they only translate between the protocol and the owners of state
 * (STYLE "The daemon is a set of small owners"). Methods that later capabilities fill in answer
 * NOT_IMPLEMENTED rather than pretending to work.
 */
import { existsSync } from 'node:fs';
import { OpenSoulError } from '../../ipc/errors.js';
import { PROTOCOL_VERSION, VERSION } from '../../ipc/version.js';
import type { MethodKey } from '../../ipc/protocol.js';
import { methods } from '../../ipc/protocol.js';
import type { GatewayState } from '../state/gateway-state.js';
import { computeModelsStatus } from '../status/models-status.js';
import type { Handlers } from './socket-server.js';

export interface HandlerDeps {
  state: GatewayState;
  startedAt: number;
  socketPath: string;
  logFile: string;
  connectionCount: () => number;
  shutdown: (reason: string) => void;
  now?: () => number;
}

function notImplemented(key: MethodKey) {
  return (): never => {
    throw new OpenSoulError('NOT_IMPLEMENTED', { method: methods[key].name });
  };
}

/** The agent a call names, or the configured default; AGENT_NOT_FOUND for an unknown one (§3). */
export function resolveAgent(state: GatewayState, agent: string | undefined): string {
  const id = agent ?? state.defaultAgent();
  if (!state.hasAgent(id)) throw new OpenSoulError('AGENT_NOT_FOUND', { agent: id, known: state.agentIds().join(', ') });
  return id;
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const now = deps.now ?? Date.now;
  const { state } = deps;
  return {
    hello: () => ({ protocolVersion: PROTOCOL_VERSION, daemonVersion: VERSION, pid: process.pid, stateDir: state.paths.stateDir }),
    gatewayStatus: () => ({
      pid: process.pid,
      version: VERSION,
      protocolVersion: PROTOCOL_VERSION,
      nodeVersion: process.version,
      stateDir: state.paths.stateDir,
      socket: deps.socketPath,
      startedAt: deps.startedAt,
      uptimeMs: now() - deps.startedAt,
      agents: state.agentIds(),
      defaultAgent: state.defaultAgent(),
      files: state.files(),
      reloads: { ...state.reloads, byTrigger: { ...state.reloads.byTrigger } },
      connections: deps.connectionCount(),
      logFile: deps.logFile,
    }),
    gatewayReload: async () => {
      const outcome = await state.reload('rpc');
      return { changed: outcome.changed, files: state.files() };
    },
    gatewayShutdown: (params) => {
      // Answer first, then stop: the caller learns the request was taken.
      setImmediate(() => deps.shutdown(params.reason ? `requested over RPC: ${params.reason}` : 'requested over RPC'));
      return { stopping: true as const };
    },
    modelsStatus: (params) => {
      if (params.probe) throw new OpenSoulError('NOT_IMPLEMENTED', { method: 'models.status probe' });
      const agent = resolveAgent(state, params.agent);
      const view = state.agentView(agent);
      if (!view) throw new OpenSoulError('AGENT_NOT_FOUND', { agent });
      return computeModelsStatus({
        agent,
        authStorePath: view.authStorePath,
        store: view.store,
        usage: view.usage,
        config: state.config.value,
        model: view.model,
        env: state.env,
        providers: state.providers,
        fileErrors: state.fileErrors(agent),
        now: now(),
        refProbe: (ref) => (ref.source === 'file' ? (existsSync(ref.id) ? 'available' : 'missing') : 'unknown'),
      });
    },
    authList: notImplemented('authList'),
    authUpsert: notImplemented('authUpsert'),
    authRemove: notImplemented('authRemove'),
    authOrderGet: notImplemented('authOrderGet'),
    authOrderSet: notImplemented('authOrderSet'),
    authOrderClear: notImplemented('authOrderClear'),
    envSet: notImplemented('envSet'),
    envUnset: notImplemented('envUnset'),
    importOpenClaw: notImplemented('importOpenClaw'),
    authResolve: notImplemented('authResolve'),
    authReport: notImplemented('authReport'),
    sessionCommand: notImplemented('sessionCommand'),
    chatSend: notImplemented('chatSend'),
    doctorRun: notImplemented('doctorRun'),
    eventsSubscribe: (params, ctx) => {
      const events = params.events ?? ['state.reloaded', 'store.error', 'profile.cooldown', 'token.expiring'];
      for (const e of events) ctx.connection.subscriptions.add(e);
      return { subscribed: [...ctx.connection.subscriptions] };
    },
  };
}
