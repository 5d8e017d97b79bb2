/**
 * daemon/status/status-answers: the cached models.status answer is, at every instant, the one a
 * fresh computation gives — across file reloads, writes, usage reports and cooldowns, the clock
 * passing an expiry, a warning window, a cooldown end or a shown wait, and a SecretRef's file
 * changing outside the state. Real GatewayState, StoreService and UsageLedger on a temp state dir.
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { statePaths } from '../../../ipc/paths.js';
import { createHandlers, statusOf } from '../../../daemon/server/handlers.js';
import { SerializedResult } from '../../../daemon/server/socket-server.js';
import { UsageLedger } from '../../../daemon/resolver/usage.js';
import { GatewayState } from '../../../daemon/state/gateway-state.js';
import { StatusAnswers, clockTemplate, renderTemplate } from '../../../daemon/status/status-answers.js';
import type { StatusRequest } from '../../../daemon/status/status-answers.js';
import { StoreService } from '../../../daemon/stores/store-service.js';
import type { ModelsStatusResult } from '../../../ipc/protocol.js';
import { tempDir } from '../../support/harness.js';

const T0 = 1_800_000_000_000;
const S = 1000;
const H = 3_600_000;
const WINDOW = 24 * H;

interface Rig {
  state: GatewayState;
  stores: StoreService;
  usage: UsageLedger;
  paths: ReturnType<typeof statePaths>;
  answers: StatusAnswers;
  /** How many times the cache computed a status. */
  computes: () => number;
  /** The cached answer and a fresh one at `now`, asserted equal; returns the parsed answer. */
  check: (now: number, request?: Partial<StatusRequest>) => ModelsStatusResult;
}

async function rig(profiles: Record<string, unknown>, opts: { config?: unknown; usage?: unknown } = {}): Promise<Rig> {
  const paths = statePaths(path.join(tempDir(), 'state'));
  mkdirSync(paths.agentDir('main'), { recursive: true });
  writeFileSync(paths.authProfiles('main'), JSON.stringify({ version: 1, profiles }), { mode: 0o600 });
  if (opts.config) writeFileSync(paths.config, JSON.stringify(opts.config));
  if (opts.usage) writeFileSync(paths.authState('main'), JSON.stringify(opts.usage), { mode: 0o600 });
  const state = new GatewayState({ paths, processEnv: {}, retainSecrets: () => undefined });
  await state.reload('start');
  const stores = new StoreService(state, { warn: () => undefined });
  const usage = new UsageLedger({ state, stores, emit: () => undefined });
  let computes = 0;
  const answers = new StatusAnswers({
    generation: () => state.generation,
    compute: (r, at, refProbe) => {
      computes++;
      return statusOf(state, state.agentView(r.agent)!, at, r.clientEnvNames, undefined, refProbe, r.loadShellEnv);
    },
    refProbe: state.refProbe,
  });
  const check = (now: number, over: Partial<StatusRequest> = {}) => {
    const request: StatusRequest = { agent: 'main', loadShellEnv: false, ...over };
    const cached = answers.json(request, now);
    const fresh = JSON.stringify(statusOf(state, state.agentView('main')!, now, request.clientEnvNames, undefined, state.refProbe, request.loadShellEnv));
    assert.equal(cached, fresh, `cached answer at T0${now >= T0 ? '+' : ''}${now - T0} ms`);
    return JSON.parse(cached) as ModelsStatusResult;
  };
  return { state, stores, usage, paths, answers, computes: () => computes, check };
}

const profileOf = (s: ModelsStatusResult, id: string) => s.providers.flatMap((p) => p.profiles).find((p) => p.id === id);

describe('status answers (the cached models.status)', () => {
  it('serves a repeat from the cache, with now and every remainingMs moved to the ms', async () => {
    const r = await rig({
      'anthropic:a': { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'a'.repeat(80)}`, expires: T0 + 90 * 86_400_000 },
      'openai:k': { type: 'api_key', provider: 'openai', key: `sk-proj-${'k'.repeat(40)}` },
    });
    r.check(T0);
    assert.equal(r.computes(), 1);
    const later = r.check(T0 + 1234);
    assert.equal(r.computes(), 1, 'same generation, same clock window: no recompute');
    assert.equal(later.now, T0 + 1234);
    assert.equal(profileOf(later, 'anthropic:a')?.remainingMs, 90 * 86_400_000 - 1234);
    r.check(T0 + 1234, { clientEnvNames: ['OPENAI_API_KEY'] });
    assert.equal(r.computes(), 2, 'another request shape is its own entry');
    r.check(T0 + 2000.5);
    assert.equal(r.computes(), 3, 'a non-integer clock is computed fresh');
  });

  it('a file changed on disk and reloaded: recomputed', async () => {
    const r = await rig({ 'openai:k': { type: 'api_key', provider: 'openai', key: `sk-proj-${'k'.repeat(40)}` } });
    r.check(T0);
    writeFileSync(
      r.paths.authProfiles('main'),
      JSON.stringify({ version: 1, profiles: { 'openai:k2': { type: 'api_key', provider: 'openai', key: `sk-proj-${'z'.repeat(40)}` } } }),
    );
    await r.state.reload('watch');
    const after = r.check(T0 + 1);
    assert.equal(r.computes(), 2);
    assert.ok(profileOf(after, 'openai:k2') && !profileOf(after, 'openai:k'));
    writeFileSync(r.paths.dotenv, `ANTHROPIC_API_KEY=sk-ant-api03-${'e'.repeat(30)}\n`);
    await r.state.reload('periodic');
    assert.equal(r.check(T0 + 2).providers.find((p) => p.provider === 'anthropic')?.env?.var, 'ANTHROPIC_API_KEY');
    writeFileSync(r.paths.config, '{ "agents": { "defaults": { "model": "openai/gpt-5" } } ');
    await r.state.reload('signal');
    assert.equal(r.check(T0 + 3).fileErrors.length, 1, 'a config that stops parsing shows as a file error');
    assert.equal(r.computes(), 4);
  });

  it("the daemon's own write (read-your-writes): recomputed", async () => {
    const r = await rig({ 'openai:k': { type: 'api_key', provider: 'openai', key: `sk-proj-${'k'.repeat(40)}` } });
    r.check(T0);
    await r.stores.upsertProfile('main', 'anthropic:new', { type: 'api_key', key: `sk-ant-api03-${'n'.repeat(40)}` }, false);
    assert.ok(profileOf(r.check(T0 + 1), 'anthropic:new'));
    await r.stores.setOrder('main', 'openai', ['openai:k']);
    assert.equal(r.check(T0 + 2).providers.find((p) => p.provider === 'openai')?.orderSource, 'agent');
    assert.equal(r.computes(), 3);
  });

  it('a usage report that cools a profile down, and one that clears it: recomputed', async () => {
    const r = await rig({
      'openai:a': { type: 'api_key', provider: 'openai', key: `sk-proj-${'a'.repeat(40)}` },
      'openai:b': { type: 'api_key', provider: 'openai', key: `sk-proj-${'b'.repeat(40)}` },
    });
    r.check(T0);
    const view = r.state.agentView('main')!;
    await r.usage.report(view, 'openai:a', 'rate_limit', { at: T0 + 10 });
    const cooling = r.check(T0 + 20);
    assert.equal(profileOf(cooling, 'openai:a')?.status, 'cooldown');
    assert.equal(cooling.auth.unusableProfiles[0]?.profileId, 'openai:a');
    await r.usage.report(r.state.agentView('main')!, 'openai:a', 'ok', { at: T0 + 30 });
    assert.equal(profileOf(r.check(T0 + 40), 'openai:a')?.status, 'static');
    await r.usage.markUsed('main', 'openai:b', T0 + 50);
    r.check(T0 + 60);
    assert.equal(r.computes(), 4);
  });

  it('the clock passing a cooldown end, a disable end and every shown wait: the answer a fresh one gives', async () => {
    const r = await rig(
      {
        'openai:cool': { type: 'api_key', provider: 'openai', key: `sk-proj-${'c'.repeat(40)}` },
        'openai:off': { type: 'api_key', provider: 'openai', key: `sk-proj-${'d'.repeat(40)}` },
      },
      {
        usage: {
          version: 1,
          lastGood: {},
          usageStats: {
            'openai:cool': { cooldownUntil: T0 + 90 * S, cooldownReason: 'rate_limit' },
            'openai:off': { disabledUntil: T0 + 2 * H + 5 * S, disabledReason: 'billing' },
          },
        },
      },
    );
    const label = (s: ModelsStatusResult) => s.auth.providers.find((p) => p.provider === 'openai')?.profiles.labels.join(' ');
    assert.match(label(r.check(T0)) ?? '', /\[cooldown 1m 30s\].*\[disabled:billing 2h\]/);
    // Every ms across the first second: one compute, then the wait reads `1m 29s` from T0+1 ms on.
    for (let t = T0 + 1; t <= T0 + S; t += 37) r.check(t);
    assert.match(label(r.check(T0 + 1)) ?? '', /\[cooldown 1m 29s\]/);
    const before = r.computes();
    r.check(T0 + 500);
    assert.equal(r.computes(), before, 'inside the window: cached');
    // Across the cooldown's end, to the ms.
    for (const t of [T0 + 90 * S - 1, T0 + 90 * S, T0 + 90 * S + 1]) r.check(t);
    assert.equal(profileOf(r.check(T0 + 90 * S), 'openai:cool')?.status, 'static');
    assert.equal(profileOf(r.check(T0 + 90 * S - 1), 'openai:cool')?.status, 'cooldown', 'the clock went back: computed for that instant');
    // Across the disable's end.
    for (const t of [T0 + 2 * H + 5 * S - 1, T0 + 2 * H + 5 * S]) r.check(t);
    assert.equal(profileOf(r.check(T0 + 2 * H + 5 * S), 'openai:off')?.status, 'static');
    assert.deepEqual(r.check(T0 + 3 * H).auth.unusableProfiles, []);
  });

  it('the clock passing an expiry and the start of its warning window: the answer a fresh one gives', async () => {
    const expires = T0 + WINDOW + 10 * S;
    const r = await rig({ 'anthropic:t': { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'t'.repeat(80)}`, expires } });
    const at = (t: number) => profileOf(r.check(t), 'anthropic:t')?.status;
    assert.equal(at(T0), 'ok');
    assert.equal(at(expires - WINDOW - 1), 'ok');
    assert.equal(at(expires - WINDOW), 'expiring');
    assert.equal(r.check(expires - WINDOW).check, 2);
    assert.equal(at(expires - 1), 'expiring');
    assert.equal(at(expires), 'expired');
    assert.equal(r.check(expires + 5).auth.oauth.profiles[0]?.status, 'expired');
  });

  it('a SecretRef whose file changes outside the state: recomputed', async () => {
    const dir = tempDir();
    const vault = path.join(dir, 'vault.json');
    writeFileSync(vault, JSON.stringify({ openai: `sk-proj-${'v'.repeat(40)}` }), { mode: 0o600 });
    chmodSync(vault, 0o600);
    const r = await rig(
      { 'openai:ref': { type: 'api_key', provider: 'openai', keyRef: { source: 'file', provider: 'vault', id: '/openai' } } },
      { config: { secrets: { providers: { vault: { source: 'file', path: vault, mode: 'json' } } } } },
    );
    assert.equal(profileOf(r.check(T0), 'openai:ref')?.status, 'static');
    writeFileSync(vault, JSON.stringify({ other: 'x' }));
    assert.equal(profileOf(r.check(T0 + 1), 'openai:ref')?.status, 'missing');
    assert.equal(r.computes(), 2);
    r.check(T0 + 2);
    assert.equal(r.computes(), 2, 'the same outcome: cached');
  });

  it('any sequence of instants over a state full of deadlines: always the fresh answer', async () => {
    const deadlines = [5 * S, 61 * S, 3 * H, WINDOW - 2 * S, WINDOW + 3 * S, 40 * 86_400_000];
    const r = await rig(
      {
        'anthropic:t0': { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'0'.repeat(80)}`, expires: T0 + (deadlines[3] as number) },
        'anthropic:t1': { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'1'.repeat(80)}`, expires: T0 + (deadlines[4] as number) },
        'anthropic:t2': { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'2'.repeat(80)}`, expires: T0 + (deadlines[5] as number) },
        'openai:a': { type: 'api_key', provider: 'openai', key: `sk-proj-${'a'.repeat(40)}` },
        'openai:b': { type: 'api_key', provider: 'openai', key: `sk-proj-${'b'.repeat(40)}` },
      },
      {
        config: { agents: { defaults: { model: { primary: 'anthropic/claude-sonnet-4-5', fallbacks: ['openai/gpt-5'] } } } },
        usage: {
          version: 1,
          lastGood: { openai: 'openai:b' },
          usageStats: {
            'openai:a': { cooldownUntil: T0 + (deadlines[0] as number), cooldownReason: 'rate_limit', cooldownModel: 'gpt-5' },
            'openai:b': { disabledUntil: T0 + (deadlines[2] as number), disabledReason: 'auth_permanent', cooldownUntil: T0 + (deadlines[1] as number) },
            'anthropic:t0': { cooldownUntil: T0 + (deadlines[1] as number), cooldownReason: 'overloaded' },
          },
        },
      },
    );
    // Instants near every deadline (and its warning window) and anywhere: sorted, as a clock gives them.
    const near = deadlines.flatMap((d) => [d, d - WINDOW]).map((d) => fc.integer({ min: d - 1500, max: d + 1500 }));
    const instant = fc.oneof(fc.integer({ min: 0, max: 45 * 86_400_000 }), ...near);
    fc.assert(
      fc.property(fc.array(instant, { minLength: 1, maxLength: 40 }), (offsets) => {
        const cache = new StatusAnswers({
          generation: () => r.state.generation,
          compute: (q, at, refProbe) => statusOf(r.state, r.state.agentView(q.agent)!, at, q.clientEnvNames, undefined, refProbe, q.loadShellEnv),
          refProbe: r.state.refProbe,
        });
        for (const offset of [...offsets].sort((a, b) => a - b)) {
          const now = T0 + Math.max(0, offset);
          const want = JSON.stringify(statusOf(r.state, r.state.agentView('main')!, now, undefined, undefined, r.state.refProbe, false));
          assert.equal(cache.json({ agent: 'main', loadShellEnv: false }, now), want);
        }
      }),
      { numRuns: 60 },
    );
  });

  it('the template gives back JSON.stringify exactly, and refuses what it cannot hold exactly', async () => {
    const r = await rig({ 'anthropic:t': { type: 'token', provider: 'anthropic', token: `sk-ant-oat01-${'t'.repeat(80)}`, expires: T0 + H } });
    const status = statusOf(r.state, r.state.agentView('main')!, T0, undefined);
    const built = clockTemplate(status);
    assert.ok(built);
    assert.equal(built.text, JSON.stringify(status));
    // now; the profile's remainingMs in providers[], auth.oauth.profiles, auth.oauth.providers[] (its
    // roll-up, its profiles, its effectiveProfiles).
    assert.equal(built.template.slots.length, 6);
    assert.equal(renderTemplate(built.template, T0 + 7), JSON.stringify({ ...status, now: T0 + 7 }).replace(/"remainingMs":3600000/g, '"remainingMs":3599993'));
    assert.equal(clockTemplate(statusOf(r.state, r.state.agentView('main')!, T0 + 0.5, undefined)), null);
  });

  it('rendering writes each number as JSON.stringify does, for any safe integers (fast-check)', () => {
    const safe = fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
    fc.assert(
      fc.property(safe, fc.array(fc.option(safe, { nil: null }), { minLength: 1, maxLength: 6 }), (now, slots) => {
        const parts = ['[', ...slots.slice(1).map(() => ','), ']'];
        const want = JSON.stringify(slots.map((instant) => (instant === null ? now : instant - now)));
        assert.equal(renderTemplate({ parts, slots }, now), want);
      }),
      { numRuns: 5000 },
    );
  });

  it('models.status over the handler table answers with the cached JSON, fresh after a write', async () => {
    const r = await rig({ 'openai:k': { type: 'api_key', provider: 'openai', key: `sk-proj-${'k'.repeat(40)}` } });
    let clock = T0;
    const handlers = createHandlers({
      state: r.state,
      stores: r.stores,
      usage: r.usage,
      startedAt: T0,
      socketPath: '/nowhere.sock',
      logFile: '/nowhere.log',
      connectionCount: () => 0,
      shutdown: () => undefined,
      emit: () => undefined,
      registerSecrets: () => undefined,
      importOpenClaw: () => Promise.reject(new Error('not here')),
      now: () => clock,
    });
    const ctx = {} as Parameters<typeof handlers.modelsStatus>[1];
    for (const t of [T0, T0 + 5, T0 + 5000]) {
      clock = t;
      const answer = await handlers.modelsStatus({ clientEnvNames: ['OPENAI_API_KEY'] }, ctx);
      assert.ok(answer instanceof SerializedResult);
      assert.equal(answer.json, JSON.stringify(statusOf(r.state, r.state.agentView('main')!, t, ['OPENAI_API_KEY'])));
    }
    await r.stores.removeProfile('main', 'openai:k');
    const after = await handlers.modelsStatus({}, ctx);
    assert.ok(after instanceof SerializedResult);
    assert.deepEqual(
      (JSON.parse(after.json) as ModelsStatusResult).providers.flatMap((p) => p.profiles),
      [],
    );
  });
});
