/**
 * `import.openclaw` (§3, §6): OpenClaw's agents' profiles (every field of each), their usage
 * state, order overrides, the global `auth.order` of `openclaw.json` and `.env` provider keys,
 * compared with what OpenSoul already has and written through the one write path. An existing
 * profile, order or key that differs is reported as a conflict and never overwritten without
 * `force`; `dryRun` reports the same items and writes nothing. Anything left behind — a
 * conflict, a skipped item, a source part that could not be read — makes the result
 * incomplete (the CLI exits 1, a dry run too). The source is only ever read.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import { formatAssignment } from '../env/edit-dotenv.js';
import type { AuthUpsertParams, ImportOpenClawParams, ImportOpenClawResult } from '../../ipc/protocol.js';
import { PROFILE_ID_PATTERN, providerOfProfileId } from '../../ipc/providers.js';
import type { GatewayState } from '../state/gateway-state.js';
import { secretsOf } from '../stores/credentials.js';
import type { Credential, UsageStats } from '../stores/credentials.js';
import { extraSecrets } from '../stores/read-stores.js';
import type { StoreService } from '../stores/store-service.js';
import { toStoredCredential } from '../stores/validate-credential.js';
import { readOpenClawState } from './openclaw-source.js';
import type { ImportedAgent } from './openclaw-source.js';

type Item = ImportOpenClawResult['items'][number];

function upsertInput(c: Credential): AuthUpsertParams['credential'] {
  switch (c.type) {
    case 'api_key':
      return {
        type: 'api_key',
        ...(c.key !== undefined ? { key: c.key } : {}),
        ...(c.keyRef ? { keyRef: c.keyRef } : {}),
        ...(c.email ? { email: c.email } : {}),
      };
    case 'token':
      return {
        type: 'token',
        ...(c.token !== undefined ? { token: c.token } : {}),
        ...(c.tokenRef ? { tokenRef: c.tokenRef } : {}),
        ...(c.expires !== undefined ? { expires: c.expires } : {}),
        ...(c.email ? { email: c.email } : {}),
      };
    case 'oauth':
      return {
        type: 'oauth',
        access: c.access,
        refresh: c.refresh,
        expires: c.expires,
        ...(c.email ? { email: c.email } : {}),
        ...(c.accountId ? { accountId: c.accountId } : {}),
      };
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * The one rule for every item (profile, order, env key): absent here → added; the same →
 * unchanged; different → a conflict, unless `force` replaces it. Returns whether to write.
 */
function decide(item: Item, mine: unknown, theirs: unknown, force: boolean, conflictNote: string): boolean {
  if (mine === undefined) return true;
  if (same(mine, theirs)) {
    item.action = 'unchanged';
    return false;
  }
  if (!force) {
    item.action = 'conflict';
    item.note = conflictNote;
    return false;
  }
  item.action = 'replaced';
  return true;
}

/**
 * Source warnings that mean something was left behind (a layout, file, row, profile or agent
 * skipped). Not: a .env key that is no provider key (not a credential OpenSoul handles) or an
 * empty one (nothing to lose), nor a lenient-reading note such as "version is not 1".
 */
function isLoss(warning: string): boolean {
  if (/not provider keys were not imported|is empty; not imported/.test(warning)) return false;
  return /skipped|not imported|nothing imported|no keys read|nothing read/.test(warning);
}

interface Run {
  state: GatewayState;
  stores: StoreService;
  dryRun: boolean;
  force: boolean;
  /** "would not be replaced" in a dry run, "was not replaced" otherwise. */
  kept: string;
  items: Item[];
  /** The default agent's profiles as this run leaves them (a dry run writes nothing, so they are tracked here). */
  parentProfiles: Map<
    string,
    Credential
  >; /** Secret provider names a SecretRef can use after this run: opensoul.json's and those imported from openclaw.json. */
  secretProviders: ReadonlySet<string>;
}

/** The ids an agent holds itself (not read through from the default agent). */
function ownIds(state: GatewayState, agent: string): Set<string> {
  const view = state.agentView(agent);
  return new Set(Object.keys(view?.store.profiles ?? {}).filter((id) => !view?.inherited[id]));
}

async function importProfiles(run: Run, agent: ImportedAgent): Promise<Set<string>> {
  const { state, stores, force, dryRun } = run;
  const view = state.agentView(agent.id);
  const isParent = agent.id === state.defaultAgent();
  const mine = (id: string): Credential | undefined => (view && !view.inherited[id] ? view.store.profiles[id] : undefined);
  const readThrough = (id: string): Credential | undefined =>
    isParent ? undefined : (run.parentProfiles.get(id) ?? (view?.inherited[id] ? view.store.profiles[id] : undefined));
  const have = ownIds(state, agent.id);
  for (const [id, credential] of Object.entries(agent.profiles).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item: Item = { agent: agent.id, kind: 'profile', id, action: 'added' };
    run.items.push(item);
    let stored: Credential;
    try {
      if (!PROFILE_ID_PATTERN.test(id)) throw new OpenSoulError('INVALID_INPUT', { reason: 'not a profile id of the form <provider>:<name>' });
      // Any provider: a profile of one we have no client for (openai-codex, minimax…) is kept and listed (§4).
      stored = toStoredCredential(id, upsertInput(credential), state.providers, { anyProvider: true });
    } catch (err) {
      item.action = 'skipped';
      item.note = err instanceof OpenSoulError ? err.message : 'cannot be imported';
      continue;
    }
    const ref = stored.type === 'api_key' ? stored.keyRef : stored.type === 'token' ? stored.tokenRef : undefined;
    const refProvider = ref ? (ref.provider ?? state.config.value.secrets.defaults[ref.source] ?? 'default') : undefined;
    if (ref && refProvider && !run.secretProviders.has(refProvider) && !(ref.source === 'env' && refProvider === 'default')) {
      // Imported as it is, but it cannot resolve until the provider is configured: say so now.
      item.note = `its SecretRef names secret provider "${refProvider}", configured neither in opensoul.json nor in openclaw.json secrets.providers`;
    }
    if (mine(id) === undefined && same(readThrough(id), stored)) {
      // OpenClaw kept a copy of main's profile in this agent: read through, never copied (§3).
      item.action = 'unchanged';
      item.note = `read through from agent ${state.defaultAgent()}`;
      have.add(id);
      continue;
    }
    if (!decide(item, mine(id), stored, force, `OpenSoul already has this profile with a different secret or expiry; it ${run.kept}`)) {
      if (item.action === 'unchanged') have.add(id);
      if (isParent && item.action === 'unchanged') run.parentProfiles.set(id, stored);
      continue;
    }
    if (!dryRun) {
      try {
        await stores.upsertProfile(agent.id, id, upsertInput(credential), force, {
          anyProvider: true,
          ...(agent.extras[id] ? { extra: agent.extras[id] } : {}),
        });
      } catch (err) {
        item.action = err instanceof OpenSoulError && err.kind === 'CONFLICT' ? 'conflict' : 'skipped';
        item.note = err instanceof OpenSoulError ? err.message : 'could not be written';
        continue;
      }
    }
    if (isParent) run.parentProfiles.set(id, stored);
    have.add(id);
  }
  return have;
}

/** lastGood and usageStats into auth-state.json, for imported profiles OpenSoul has no state of yet (ours is live). */
async function importUsage(run: Run, agent: ImportedAgent, imported: ReadonlySet<string>): Promise<void> {
  const files = run.state.agentFiles(agent.id);
  const mine = files?.state.exists ? files.state.value : (files?.profiles.value.embeddedUsage ?? { lastGood: {}, usageStats: {} });
  const stats: Record<string, UsageStats> = {};
  const lastGood: Record<string, string> = {};
  let offered = 0;
  for (const [id, s] of Object.entries(agent.usage.usageStats)) {
    if (!imported.has(id) || !agent.profiles[id]) continue;
    offered++;
    if (mine.usageStats[id] === undefined) stats[id] = s;
  }
  for (const [provider, id] of Object.entries(agent.usage.lastGood)) {
    if (!imported.has(id) || providerOfProfileId(id) !== provider) continue;
    offered++;
    if (mine.lastGood[provider] === undefined) lastGood[provider] = id;
  }
  if (offered === 0) return;
  const item: Item = { agent: agent.id, kind: 'usage', id: 'auth-state.json', action: 'added' };
  run.items.push(item);
  const n = Object.keys(stats).length;
  const g = Object.keys(lastGood);
  if (n === 0 && g.length === 0) {
    item.action = 'unchanged';
    return;
  }
  item.note = [n > 0 ? `usage state of ${n} profile(s)` : '', g.length > 0 ? `lastGood for ${g.sort().join(', ')}` : ''].filter(Boolean).join('; ');
  if (run.dryRun) return;
  const ok = await run.stores.recordUsage(agent.id, (doc) => {
    for (const [id, s] of Object.entries(stats)) doc.usageStats[id] ??= s;
    for (const [p, id] of Object.entries(lastGood)) doc.lastGood[p] ??= id;
  });
  if (!ok) {
    item.action = 'skipped';
    item.note = 'auth-state.json could not be written';
  }
}

async function importOrders(run: Run, agent: ImportedAgent, visible: ReadonlySet<string>): Promise<void> {
  const { state, stores, force, dryRun } = run;
  for (const [provider, ids] of Object.entries(agent.order)) {
    const item: Item = { agent: agent.id, kind: 'order', id: provider, action: 'added' };
    run.items.push(item);
    const usable = ids.filter((id, i) => visible.has(id) && providerOfProfileId(id) === provider && ids.indexOf(id) === i);
    const dropped = ids.filter((id) => !usable.includes(id));
    if (usable.length === 0) {
      item.action = 'skipped';
      item.note = 'none of its profiles was imported';
      continue;
    }
    const mine = state.agentView(agent.id)?.store.order[provider];
    if (decide(item, mine, usable, force, `OpenSoul's order is ${(mine ?? []).join(', ')}; it ${run.kept}`) && !dryRun) {
      try {
        await stores.setOrder(agent.id, provider, usable);
      } catch (err) {
        item.action = 'skipped';
        item.note = err instanceof OpenSoulError ? err.message : 'could not be written';
        continue;
      }
    }
    if (dropped.length > 0) {
      // Imported in part: the order still leaves something behind, and says what.
      item.action = 'skipped';
      item.note = `imported without ${dropped.join(', ')} (not imported, or of another provider)`;
    }
  }
}

/** OpenClaw's global `auth.order` and `secrets.providers` into opensoul.json (edited in place, comments kept). */
async function importConfig(run: Run, order: Record<string, string[]>, secretProviders: Record<string, Record<string, unknown>>): Promise<void> {
  const write = async (item: Item, entry: Parameters<StoreService['setConfigEntry']>[0]) => {
    if (run.dryRun) return;
    try {
      await run.stores.setConfigEntry(entry);
    } catch (err) {
      item.action = 'skipped';
      item.note = err instanceof OpenSoulError ? err.message : 'could not be written';
    }
  };
  for (const [provider, ids] of Object.entries(order).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item: Item = { agent: '-', kind: 'config-order', id: provider, action: 'added' };
    run.items.push(item);
    const mine = run.state.config.value.authOrder[provider];
    if (decide(item, mine, ids, run.force, `opensoul.json auth.order.${provider} is ${(mine ?? []).join(', ')}; it ${run.kept}`))
      await write(item, { order: [provider, ids] });
  }
  for (const [name, value] of Object.entries(secretProviders).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item: Item = { agent: '-', kind: 'secret-provider', id: name, action: 'added' };
    run.items.push(item);
    const mine = run.state.config.value.secrets.raw[name];
    if (decide(item, mine, value, run.force, `opensoul.json secrets.providers.${name} differs; it ${run.kept}`))
      await write(item, { secretProvider: [name, value] });
  }
}

export async function importOpenClaw(
  params: ImportOpenClawParams & { from: string },
  state: GatewayState,
  stores: StoreService,
  registerSecrets: (values: string[]) => void,
): Promise<ImportOpenClawResult> {
  const dryRun = params.dryRun === true;
  const snapshot = await readOpenClawState(params.from, { providerEnvVars: state.providers.allEnvVars() });
  // Known to the redactor from the moment they are read (even for a dry run, or a failing write).
  registerSecrets([
    ...snapshot.agents.flatMap((a) => [...Object.values(a.profiles).flatMap(secretsOf), ...extraSecrets(a.extras)]),
    ...Object.values(snapshot.env),
  ]);
  const run: Run = {
    state,
    stores,
    dryRun,
    force: params.force === true,
    kept: dryRun ? 'would not be replaced' : 'was not replaced',
    items: [],
    parentProfiles: new Map(),
    secretProviders: new Set([...Object.keys(state.config.value.secrets.providers), ...Object.keys(snapshot.secretProviders)]),
  };

  // Profiles of every agent first, the default agent's before the others': an agent's order may
  // name profiles it reads through from the default agent (§3) — OpenClaw's `work` with
  // `[agentwork, work]` keeps both — and a copy of one of those is not written again.
  const held = new Map<string, Set<string>>();
  const parent = state.defaultAgent();
  const agents = [...snapshot.agents].sort((a, b) => Number(b.id === parent) - Number(a.id === parent));
  for (const agent of agents) {
    const have = await importProfiles(run, agent);
    held.set(agent.id, have);
    await importUsage(run, agent, have);
  }
  const parentIds = new Set([...(held.get(parent) ?? []), ...ownIds(state, parent)]);
  for (const agent of snapshot.agents) {
    const visible = new Set([...(held.get(agent.id) ?? []), ...ownIds(state, agent.id), ...(agent.id === parent ? [] : parentIds)]);
    await importOrders(run, agent, visible);
  }
  await importConfig(run, snapshot.configOrder ?? {}, snapshot.secretProviders);

  for (const [name, value] of Object.entries(snapshot.env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item: Item = { agent: '-', kind: 'env', id: name, action: 'added' };
    run.items.push(item);
    try {
      // Checked before anything is decided, so a dry run reports what the real run would: a
      // value with a line break (a quoted "\n" in OpenClaw's .env) cannot go into ours.
      formatAssignment(name, value);
    } catch (err) {
      item.action = 'skipped';
      item.note = err instanceof OpenSoulError ? err.message : 'cannot be written to .env';
      continue;
    }
    if (!decide(item, state.dotenv.value[name], value, run.force, `the .env of OpenSoul already has a different value; it ${run.kept}`) || dryRun) continue;
    try {
      await stores.setEnv(name, value, { replace: run.force });
    } catch (err) {
      // One key that cannot be written must not abort the import after profiles were written:
      // the report is the only place that says what was copied and what was not.
      item.action = err instanceof OpenSoulError && err.kind === 'CONFLICT' ? 'conflict' : 'skipped';
      item.note = err instanceof OpenSoulError ? err.message : 'could not be written';
    }
  }
  const complete = !run.items.some((i) => i.action === 'conflict' || i.action === 'skipped') && !snapshot.warnings.some(isLoss);
  return { from: snapshot.from, dryRun, items: run.items, warnings: snapshot.warnings, complete };
}
