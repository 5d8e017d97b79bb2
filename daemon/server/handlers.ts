/**
 * The RPC handlers: they only translate between the protocol and the owners of state
 * (STYLE "The daemon is a set of small owners"): credentials and usage (resolver/), sessions and
 * chat turns (sessions/), provider calls and probes (providers/, status/).
 */
import { randomUUID } from 'node:crypto';
import { dirname } from 'node:path';
import { dict } from '../../ipc/dict.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { PROTOCOL_VERSION, VERSION } from '../../ipc/version.js';
import type { AuthOrderResult, EventName, ImportOpenClawParams, ImportOpenClawResult, ModelsStatusResult } from '../../ipc/protocol.js';
import { runDoctorChecks } from '../doctor/doctor-checks.js';
import { LoginService } from '../oauth/login-service.js';
import { adoptCliCredentials } from '../oauth/adopt-cli.js';
import { CHAT_EVENT_METHOD } from '../../ipc/protocol.js';
import type { SessionView } from '../../ipc/protocol.js';
import { execCredentials } from '../resolver/exec-credentials.js';
import { RunningTurns, runChatTurn } from '../sessions/chat-turn.js';
import { SessionService } from '../sessions/session-service.js';
import type { SessionView as InternalSessionView } from '../sessions/session-view.js';
import { probeStatus } from '../status/probe-status.js';
import { orderFor, resolveCredential } from '../resolver/resolve.js';
import type { UsageLedger } from '../resolver/usage.js';
import { secretsOfInput } from '../stores/credentials.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import { computeModelsStatus } from '../status/models-status.js';
import { StatusAnswers } from '../status/status-answers.js';
import type { RefProbe } from '../stores/credentials.js';
import type { StoreService } from '../stores/store-service.js';
import type { ProxyService } from '../proxy/proxy-service.js';
import { SerializedResult } from './socket-server.js';
import type { Handlers } from './socket-server.js';

export interface HandlerDeps {
  state: GatewayState;
  stores: StoreService;
  /** The usage owner (cooldowns, lastGood, lastUsed), shared with the proxy. */
  usage: UsageLedger;
  startedAt: number;
  socketPath: string;
  logFile: string;
  connectionCount: () => number;
  shutdown: (reason: string) => void;
  /** Announces an event to subscribed connections. */
  emit: (event: EventName, data: Record<string, unknown>) => void;
  /**
   * Tells the log redactor about secrets as they arrive — before the write, so a call that fails
   * half-way cannot log a value the registry has not seen yet.
   */
  registerSecrets: (values: string[]) => void;
  /** The OpenClaw import (loaded only when called). */
  importOpenClaw: (params: ImportOpenClawParams) => Promise<ImportOpenClawResult>;
  /** The daemon's log, for the sessions owner's warnings (a sessions file that does not parse) and notes (a file pruned). */
  log?: { warn: (message: string) => void; info?: (message: string, meta: Record<string, unknown>) => void };
  /** Registers work to stop when the daemon shuts down (running chat turns). */
  onShutdown?: (stop: () => void) => void;
  /** What the daemon narrowed at start (`<path> 0755 → 0700`), shown by doctor as a warning. */
  tightenedAtStart?: () => string[];
  now?: () => number;
  /** The local credential proxy (§12): its status, keys and `exec --proxy` environment. */
  proxy?: ProxyService;
}

/** The agent a call names, or the configured default; AGENT_NOT_FOUND for an unknown one (§3). */
export function resolveAgent(state: GatewayState, agent: string | undefined): string {
  const id = agent ?? state.defaultAgent();
  if (!state.hasAgent(id)) throw new OpenSoulError('AGENT_NOT_FOUND', { agent: id, known: state.agentIds().join(', ') });
  return id;
}

/** The agent a write names, or the default; writes create an unknown agent (§3). */
function writeAgent(state: GatewayState, agent: string | undefined): string {
  return agent ?? state.defaultAgent();
}

function viewOf(state: GatewayState, agent: string | undefined): AgentView {
  const id = resolveAgent(state, agent);
  const view = state.agentView(id);
  if (!view) throw new OpenSoulError('AGENT_NOT_FOUND', { agent: id });
  return view;
}

/** A fresh status of one agent view from the state (the status cache's compute, and the reference its tests compare with). */
export function statusOf(
  state: GatewayState,
  view: AgentView,
  now: number,
  clientEnvNames?: readonly string[],
  pin?: string,
  refProbe: RefProbe = state.refProbe,
  loadShellEnv = process.env.OPENSOUL_LOAD_SHELL_ENV === '1',
): ModelsStatusResult {
  return computeModelsStatus({
    agent: view.id,
    agents: state.agentIds(),
    authStorePath: view.authStorePath,
    store: view.store,
    usage: view.usage,
    config: state.config.value,
    model: view.model,
    env: state.env,
    providers: state.providers,
    fileErrors: state.fileErrors(view.id),
    now,
    refProbe,
    inherited: view.inherited,
    configPath: state.paths.config,
    envFile: state.paths.dotenv,
    ...(clientEnvNames ? { clientEnvNames } : {}),
    pin,
    shellEnvEnabled: state.config.value.shellEnv.enabled || loadShellEnv,
  });
}

function orderResult(state: GatewayState, agent: string, provider: string, path: string, now: number): AuthOrderResult {
  const view = state.agentView(agent);
  const stored = view?.store.order[provider];
  const effective = view ? orderFor(state, view, provider, now).candidates.map((c) => c.id) : [];
  return { agent, provider, path, order: stored ?? null, effective, agentId: agent, agentDir: state.paths.agentDir(agent) };
}

/** A session as the protocol shows it (its notes are already in the reply text). */
function publicSession(s: InternalSessionView): SessionView {
  return { id: s.id, agent: s.agent, model: s.model, provider: s.provider, pin: s.pin };
}

export function createHandlers(deps: HandlerDeps): Handlers {
  const now = deps.now ?? Date.now;
  const { state, stores } = deps;
  const { usage } = deps;
  const sessions = new SessionService({
    sessionsPath: (agent) => state.paths.sessions(agent),
    aliases: () => state.config.value.aliases,
    defaultModel: (agent) => state.agentView(agent)?.model.primary ?? null,
    fallbacks: (agent) => state.agentView(agent)?.model.fallbacks ?? [],
    knownProviders: () => state.providers.all().map((p) => p.id),
    profiles: (agent) => state.agentView(agent)?.store.profiles ?? {},
    status: (agent, pin, model) => {
      const view = viewOf(state, agent);
      // The session's model leads its provider's entry (a cooldown scoped to another model does not apply).
      return statusOf(state, model ? { ...view, model: { ...view.model, primary: model } } : view, now(), undefined, pin);
    },
    callOrder: (agent, provider, pin, model) => {
      const view = state.agentView(agent);
      return view ? orderFor(state, view, provider, now(), { pin, model }).candidates.map((c) => c.id) : [];
    },
    now,
    warn: (message) => deps.log?.warn(message),
    info: (message, meta) => deps.log?.info?.(message, meta),
  });
  // The proxy's x-opensoul-session header selects a session's pin, as auth.resolve's `session` does.
  deps.proxy?.useSessionPins((agent, session) => sessions.view(agent, session).pin ?? null);
  const proxy = (): ProxyService => {
    if (!deps.proxy) throw new OpenSoulError('INVALID_INPUT', { reason: 'this gateway runs without the proxy' });
    return deps.proxy;
  };
  const statusAnswers = new StatusAnswers({
    generation: () => state.generation,
    compute: (request, at, refProbe) => statusOf(state, viewOf(state, request.agent), at, request.clientEnvNames, undefined, refProbe, request.loadShellEnv),
    refProbe: state.refProbe,
  });
  const turns = new RunningTurns();
  deps.onShutdown?.(() => turns.cancelAll());
  const logins = new LoginService({ state, stores, registerSecrets: deps.registerSecrets, now });
  deps.onShutdown?.(() => logins.stopAll());
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
      memory: (({ rss, heapUsed, heapTotal, external }) => ({ rss, heapUsed, heapTotal, external }))(process.memoryUsage()),
      proxy: deps.proxy?.status() ?? null,
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
    modelsStatus: async (params) => {
      if (!params.probe) {
        const request = {
          agent: resolveAgent(state, params.agent),
          clientEnvNames: params.clientEnvNames,
          loadShellEnv: process.env.OPENSOUL_LOAD_SHELL_ENV === '1',
        };
        return new SerializedResult<ModelsStatusResult>(statusAnswers.json(request, now()));
      }
      const view = viewOf(state, params.agent);
      const status = statusOf(state, view, now(), params.clientEnvNames);
      const probes = await probeStatus({ state, usage, registerSecrets: deps.registerSecrets, now }, view, status, params.probe);
      // The status after the probes: their outcomes may have set profiles aside.
      return { ...statusOf(state, state.agentView(view.id) ?? view, now(), params.clientEnvNames), probes };
    },
    authList: (params) => {
      const view = viewOf(state, params.agent);
      const status = statusOf(state, view, now());
      if (params.provider) state.providers.require(params.provider);
      const profiles = status.providers.filter((p) => !params.provider || p.provider === params.provider).flatMap((p) => p.profiles);
      // Narrowed like the profiles: `list --provider openai-codex` shows no other provider's order.
      const order = params.provider ? dict(Object.entries(view.store.order).filter(([provider]) => provider === params.provider)) : view.store.order;
      return {
        agent: view.id,
        authStore: view.authStorePath,
        profiles,
        order,
        agentId: view.id,
        agentDir: dirname(view.authStorePath),
        storePath: view.authStorePath,
      };
    },
    authUpsert: async (params) => {
      deps.registerSecrets(secretsOfInput(params.credential));
      const agent = writeAgent(state, params.agent);
      return stores.upsertProfile(agent, params.profileId, params.credential, params.replace === true, { checkShape: true });
    },
    authAdopt: (params) => adoptCliCredentials(state, stores, params, deps.registerSecrets),
    authRemove: (params) => stores.removeProfile(resolveAgent(state, params.agent), params.profileId),
    authOrderGet: (params) => {
      const agent = resolveAgent(state, params.agent);
      state.providers.require(params.provider);
      return orderResult(state, agent, params.provider, state.paths.authProfiles(agent), now());
    },
    authOrderSet: async (params) => {
      const agent = resolveAgent(state, params.agent);
      state.providers.require(params.provider);
      const path = await stores.setOrder(agent, params.provider, params.order);
      return orderResult(state, agent, params.provider, path, now());
    },
    authOrderClear: async (params) => {
      const agent = resolveAgent(state, params.agent);
      state.providers.require(params.provider);
      const path = await stores.setOrder(agent, params.provider, null);
      return orderResult(state, agent, params.provider, path, now());
    },
    authLoginStart: (params) => logins.start({ ...params, agent: writeAgent(state, params.agent) }),
    authLoginComplete: (params) => logins.complete(params),
    authLoginCancel: (params) => logins.cancel(params.loginId),
    envSet: (params) => {
      deps.registerSecrets([params.value]);
      return stores.setEnv(params.key, params.value, { replace: params.replace === true, checkShape: true });
    },
    envUnset: (params) => stores.unsetEnv(params.key),
    importOpenClaw: (params) => deps.importOpenClaw(params),
    authResolve: async (params) => {
      const view = viewOf(state, params.agent);
      const at = now();
      // A session's pin applies to its provider's calls (§8.1 first rule).
      const pin = params.session ? (sessions.view(view.id, params.session).pin ?? undefined) : undefined;
      const r = await resolveCredential(state, view, params.provider, at, { model: params.model, pin });
      // A SecretRef's value (a command's output, a file) is known only now.
      deps.registerSecrets([r.secret]);
      if (r.profileId) await usage.markUsed(view.id, r.profileId, at);
      return r;
    },
    authReport: async (params) => {
      const view = viewOf(state, params.agent);
      if (!view.store.profiles[params.profileId]) throw new OpenSoulError('PROFILE_NOT_FOUND', { profileId: params.profileId, agent: view.id });
      await usage.report(view, params.profileId, params.outcome, { at: now(), model: params.model, retryAfterMs: params.retryAfterMs });
      return { ok: true as const };
    },
    sessionCommand: async (params) => {
      const agent = resolveAgent(state, params.agent);
      const r = await sessions.command(agent, params.session, params.line);
      return { reply: r.reply, handled: r.handled, ok: r.ok, session: publicSession(r.session) };
    },
    chatSend: async (params, ctx) => {
      const view = viewOf(state, params.agent);
      const session = sessions.view(view.id, params.session);
      const turnId = params.turnId ?? `turn-${randomUUID()}`;
      const controller = turns.start(view.id, params.session, turnId);
      const signal = AbortSignal.any([controller.signal, ctx.connection.closed]);
      try {
        const result = await runChatTurn(
          { state, usage, registerSecrets: deps.registerSecrets, now },
          view,
          { view: session, history: sessions.history(view.id, params.session) },
          { ...params, turnId },
          { push: (event) => ctx.connection.notify(CHAT_EVENT_METHOD, event), signal },
        );
        if (!result.cancelled)
          sessions.appendTurn(view.id, params.session, { role: 'user', content: params.message }, { role: 'assistant', content: result.reply });
        return { ...result, session: publicSession(session), notes: session.notes };
      } finally {
        turns.finish(view.id, params.session, turnId);
      }
    },
    chatCancel: (params) => ({ cancelled: turns.cancel(resolveAgent(state, params.agent), params.session, params.turnId) }),
    execCredentials: async (params) => {
      const view = viewOf(state, params.agent);
      const at = now();
      const session = params.session ? sessions.view(view.id, params.session) : null;
      const result = await execCredentials(state, view, params.providers, at, session?.pin ?? undefined);
      deps.registerSecrets(result.variables.map((v) => v.value));
      for (const v of result.variables) if (v.profileId) await usage.markUsed(view.id, v.profileId, at);
      return { ...result, notes: session?.notes ?? [] };
    },
    proxyKeyCreate: (params) => proxy().createKey(params, resolveAgent(state, params.agent)),
    proxyKeyList: () => proxy().listKeys(),
    proxyKeyRevoke: async (params) => {
      await proxy().keys.revoke(params.id);
      return { id: params.id, revoked: true as const };
    },
    proxyEnv: (params, ctx) => proxy().env(params, resolveAgent(state, params.agent), ctx.connection),
    proxyKeyHold: async (params, ctx) => {
      await proxy().hold(params.id, ctx.connection);
      return { id: params.id, held: true as const };
    },
    doctorRun: (params) => {
      const at = now();
      const statuses = state
        .agentIds()
        .map((id) => state.agentView(id))
        .filter((v): v is AgentView => v !== undefined)
        .map((v) => statusOf(state, v, at));
      const checks = runDoctorChecks(state, statuses, params);
      const tightened = deps.tightenedAtStart?.() ?? [];
      if (tightened.length > 0) {
        checks.unshift({
          id: 'permissions',
          status: 'warn',
          message: `the gateway narrowed what other users could read when it started: ${tightened.join(', ')}`,
          fix: 'nothing left to do; `umask 077` before creating files in the state dir keeps them private from the start',
          fixed: true,
        });
      }
      return { checks };
    },
    eventsSubscribe: (params, ctx) => {
      const events = params.events ?? ['state.reloaded', 'store.error', 'profile.cooldown', 'token.expiring'];
      for (const e of events) ctx.connection.subscriptions.add(e);
      return { subscribed: [...ctx.connection.subscriptions] };
    },
  };
}
