/**
 * `import.openclaw` (§3, §6): OpenClaw's agents' profiles, order overrides and `.env` provider
 * keys, compared with what OpenSoul already has and written through the one write path. An
 * existing profile or key that differs is reported as a conflict and never overwritten without
 * `force`; `dryRun` reports the same items and writes nothing. The source is only ever read.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import type { AuthUpsertParams, ImportOpenClawParams, ImportOpenClawResult } from '../../ipc/protocol.js';
import { PROFILE_ID_PATTERN, providerOfProfileId } from '../../ipc/providers.js';
import type { GatewayState } from '../state/gateway-state.js';
import { secretsOf } from '../stores/credentials.js';
import type { Credential } from '../stores/credentials.js';
import type { StoreService } from '../stores/store-service.js';
import { toStoredCredential } from '../stores/validate-credential.js';
import { readOpenClawState } from './openclaw-source.js';

type Item = ImportOpenClawResult['items'][number];

function upsertInput(c: Credential): AuthUpsertParams['credential'] {
  switch (c.type) {
    case 'api_key':
      return { type: 'api_key', ...(c.key !== undefined ? { key: c.key } : {}), ...(c.keyRef ? { keyRef: c.keyRef } : {}), ...(c.email ? { email: c.email } : {}) };
    case 'token':
      return { type: 'token', ...(c.token !== undefined ? { token: c.token } : {}), ...(c.tokenRef ? { tokenRef: c.tokenRef } : {}), ...(c.expires !== undefined ? { expires: c.expires } : {}), ...(c.email ? { email: c.email } : {}) };
    case 'oauth':
      return { type: 'oauth', access: c.access, refresh: c.refresh, expires: c.expires, ...(c.email ? { email: c.email } : {}), ...(c.accountId ? { accountId: c.accountId } : {}) };
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

export async function importOpenClaw(
  params: ImportOpenClawParams & { from: string },
  state: GatewayState,
  stores: StoreService,
  registerSecrets: (values: string[]) => void,
): Promise<ImportOpenClawResult> {
  const dryRun = params.dryRun === true;
  const force = params.force === true;
  const snapshot = await readOpenClawState(params.from, { providerEnvVars: state.providers.allEnvVars() });
  // Known to the redactor from the moment they are read (even for a dry run, or a failing write).
  registerSecrets([...snapshot.agents.flatMap((a) => Object.values(a.profiles).flatMap(secretsOf)), ...Object.values(snapshot.env)]);
  const items: Item[] = [];
  const warnings = [...snapshot.warnings];

  for (const agent of snapshot.agents) {
    const existing = state.agentView(agent.id)?.store ?? { profiles: {}, order: {} };
    const imported = new Set<string>(Object.keys(existing.profiles));
    for (const [id, credential] of Object.entries(agent.profiles).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const item: Item = { agent: agent.id, kind: 'profile', id, action: 'added' };
      items.push(item);
      let stored: Credential;
      try {
        if (!PROFILE_ID_PATTERN.test(id)) throw new OpenSoulError('INVALID_INPUT', { reason: 'not a profile id of the form <provider>:<name>' });
        stored = toStoredCredential(id, upsertInput(credential), state.providers);
      } catch (err) {
        item.action = 'skipped';
        item.note = err instanceof OpenSoulError ? err.message : 'cannot be imported';
        continue;
      }
      if (!decide(item, existing.profiles[id], stored, force, 'OpenSoul already has this profile with a different secret or expiry')) continue;
      if (!dryRun) {
        try {
          await stores.upsertProfile(agent.id, id, upsertInput(credential), force);
        } catch (err) {
          item.action = err instanceof OpenSoulError && err.kind === 'CONFLICT' ? 'conflict' : 'skipped';
          item.note = err instanceof OpenSoulError ? err.message : 'could not be written';
          continue;
        }
      }
      imported.add(id);
    }

    for (const [provider, ids] of Object.entries(agent.order)) {
      const item: Item = { agent: agent.id, kind: 'order', id: provider, action: 'added' };
      items.push(item);
      const usable = ids.filter((id, i) => imported.has(id) && providerOfProfileId(id) === provider && ids.indexOf(id) === i);
      if (usable.length === 0) {
        item.action = 'skipped';
        item.note = 'none of its profiles was imported';
        continue;
      }
      const mine = existing.order[provider];
      if (decide(item, mine, usable, force, `OpenSoul's order is ${(mine ?? []).join(', ')}`) && !dryRun) await stores.setOrder(agent.id, provider, usable);
    }
  }

  for (const [name, value] of Object.entries(snapshot.env).sort(([a], [b]) => (a < b ? -1 : 1))) {
    const item: Item = { agent: '-', kind: 'env', id: name, action: 'added' };
    items.push(item);
    if (decide(item, state.dotenv.value[name], value, force, 'the .env of OpenSoul already has a different value') && !dryRun) await stores.setEnv(name, value, { replace: force });
  }
  return { from: snapshot.from, dryRun, items, warnings };
}
