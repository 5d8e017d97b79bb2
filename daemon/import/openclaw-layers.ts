/**
 * One agent's credentials in each of OpenClaw's layouts (§3 (a)–(d)), read into one shape, a
 * `Layer`, so that precedence and merging are decided in one place (`openclaw-source.ts`).
 * Every profile goes through the daemon's own lenient readers (read-stores.ts): an imported
 * profile is read exactly as the daemon would read it from its own files.
 *
 * A file or row that does not parse skips its whole layout for that agent (with a warning
 * naming it and the position): half of a layout — profiles without the order that goes with
 * them, or the shared store without the agent's own overrides — would be imported as if it
 * were the whole truth. Lower layouts still apply.
 */
import path from 'node:path';
import type { Credential, UsageState } from '../stores/credentials.js';
import { readAuthProfilesFile, readAuthStateFile, readLegacyAuthFile } from '../stores/read-stores.js';
import { readDatabaseRows } from './openclaw-sqlite.js';
import type { DatabaseRead, RowRequest, RowResult } from './openclaw-sqlite.js';
import { parseLabeled, readSourceFile } from './source-files.js';
import type { LabeledText } from './source-files.js';
import { dict } from '../../ipc/dict.js';

export type Layout = 'sqlite' | 'split' | 'single-file' | 'legacy-auth-json';

/** What one layout holds for one agent. */
export interface Layer {
  layout: Layout;
  profiles: Record<string, Credential>;
  /** Per profile id, the fields beside the credential (`idToken`, `displayName`, …), kept as they are. */
  extras: Record<string, Record<string, unknown>>;
  order: Record<string, string[]>;
  /** lastGood/usageStats (a profile OpenClaw disabled for billing must stay disabled). */
  usage: UsageState;
  sources: string[];
}

const noUsage = (): UsageState => ({ lastGood: dict(), usageStats: dict() });

export const AGENT_FILES = {
  profiles: 'auth-profiles.json',
  state: 'auth-state.json',
  legacy: 'auth.json',
  sqlite: 'openclaw-agent.sqlite',
} as const;

export const SHARED_DB = path.join('state', 'openclaw.sqlite');
const SHARED_ROWS = {
  store: { table: 'config_machine_state', key: 'authProfiles.store' },
  state: { table: 'config_machine_state', key: 'authProfiles.state' },
};
const AGENT_ROWS = { store: { table: 'auth_profile_store', key: 'primary' }, state: { table: 'auth_profile_state', key: 'primary' } };

const isEmpty = (o: object): boolean => Object.keys(o).length === 0;

/**
 * A store (`{version, profiles}`, maybe with `order`) and its state (`{order, lastGood,
 * usageStats}`), from two files or two rows. The state's order is the one OpenClaw's split
 * layouts kept; a store's own `order` (the single-file layout) is used when the state has none.
 * Null when either does not parse.
 */
function readStorePair(store: LabeledText | null, state: LabeledText | null, skipped: string, warnings: string[]): Omit<Layer, 'layout' | 'sources'> | null {
  const parsedStore = store ? parseLabeled(store, warnings) : null;
  const parsedState = state ? parseLabeled(state, warnings) : null;
  let broken = false;
  for (const [source, parsed] of [
    [store, parsedStore],
    [state, parsedState],
  ] as const) {
    if (source && parsed && !parsed.ok) {
      warnings.push(`${source.label} does not parse (${parsed.position}); ${skipped}`);
      broken = true;
    }
  }
  if (broken) return null;
  let profiles = dict<Credential>();
  let extras = dict<Record<string, unknown>>();
  let order = dict<string[]>();
  let usage = noUsage();
  if (store && parsedStore?.ok) {
    const read = readAuthProfilesFile(parsedStore.value);
    for (const w of read.warnings) warnings.push(`${store.label}: ${w}`);
    profiles = read.value.profiles;
    extras = read.value.extras ?? {};
    order = read.value.order;
    usage = read.value.embeddedUsage ?? usage;
  }
  if (state && parsedState?.ok) {
    const read = readAuthStateFile(parsedState.value);
    for (const w of read.warnings) warnings.push(`${state.label}: ${w}`);
    if (!isEmpty(read.value.order)) order = read.value.order;
    usage = { lastGood: { ...usage.lastGood, ...read.value.lastGood }, usageStats: { ...usage.usageStats, ...read.value.usageStats } };
  }
  return { profiles, extras, order, usage };
}

/** The text of a file, null when missing; 'broken' (with a warning) when it cannot be read. */
async function fileText(file: string, skipped: string, warnings: string[]): Promise<LabeledText | null | 'broken'> {
  const read = await readSourceFile(file);
  if (read.kind === 'missing') return null;
  if (read.kind === 'unreadable') {
    warnings.push(`${file}: ${read.reason}; ${skipped}`);
    return 'broken';
  }
  return { label: file, text: read.bytes.toString('utf8') };
}

/** (a) `auth-profiles.json` alone, or (b) with `auth-state.json`. */
export async function readJsonLayer(agent: string, agentDir: string, warnings: string[]): Promise<Layer | null> {
  const profilesPath = path.join(agentDir, AGENT_FILES.profiles);
  const statePath = path.join(agentDir, AGENT_FILES.state);
  const skipped = `the auth-profiles.json/auth-state.json layout of agent "${agent}" was skipped`;
  const store = await fileText(profilesPath, skipped, warnings);
  const state = await fileText(statePath, skipped, warnings);
  if (store === 'broken' || state === 'broken') return null;
  if (!store && !state) return null;
  const read = readStorePair(store, state, skipped, warnings);
  if (!read) return null;
  return {
    layout: state ? 'split' : 'single-file',
    ...read,
    sources: [store, state].flatMap((s) => (s ? [s.label] : [])),
  };
}

/** (d) The flat `auth.json`: `{ "<provider>": credential }` → `<provider>:default`. */
export async function readLegacyLayer(agent: string, agentDir: string, warnings: string[]): Promise<Layer | null> {
  const file = path.join(agentDir, AGENT_FILES.legacy);
  const skipped = `the auth.json layout of agent "${agent}" was skipped`;
  const text = await fileText(file, skipped, warnings);
  if (text === null || text === 'broken') return null;
  const parsed = parseLabeled(text, warnings);
  if (!parsed.ok) {
    warnings.push(`${file} does not parse (${parsed.position}); ${skipped}`);
    return null;
  }
  const read = readLegacyAuthFile(parsed.value);
  for (const w of read.warnings) warnings.push(`${file}: ${w}`);
  return { layout: 'legacy-auth-json', profiles: read.value, extras: {}, order: {}, usage: noUsage(), sources: [file] };
}

/** The store and state rows of one database, as read before any agent is assembled. */
export interface SqliteStore {
  path: string;
  read: DatabaseRead;
}

/** Reads the shared `state/openclaw.sqlite` (the store of agent `main`); throws CONFLICT on an unsaved WAL. */
export async function readSharedStore(root: string): Promise<SqliteStore> {
  const file = path.join(root, SHARED_DB);
  return { path: file, read: await readDatabaseRows(file, [SHARED_ROWS.store, SHARED_ROWS.state]) };
}

export async function readAgentStore(agentDir: string): Promise<SqliteStore> {
  const file = path.join(agentDir, AGENT_FILES.sqlite);
  return { path: file, read: await readDatabaseRows(file, [AGENT_ROWS.store, AGENT_ROWS.state]) };
}

function rowText(rows: RowResult[], request: RowRequest): LabeledText | null | 'unusable' {
  const row = rows.find((r) => r.request === request);
  if (row?.kind === 'text') return { label: row.label, text: row.text };
  return row?.kind === 'unusable' ? 'unusable' : null;
}

/**
 * One database's contribution: null when the file is absent or holds neither row; 'broken'
 * (with a warning) when it or a row cannot be read.
 */
function readDatabaseStore(db: SqliteStore, rowsOf: typeof AGENT_ROWS, skipped: string, warnings: string[]): Omit<Layer, 'layout'> | null | 'broken' {
  if (db.read.kind === 'missing') return null;
  if (db.read.kind === 'unreadable') {
    warnings.push(`${db.path} ${db.read.reason}; ${skipped}`);
    return 'broken';
  }
  for (const row of db.read.rows) {
    if (row.kind === 'unusable') warnings.push(`${row.label}: ${row.problem}; ${skipped}`);
  }
  const store = rowText(db.read.rows, rowsOf.store);
  const state = rowText(db.read.rows, rowsOf.state);
  if (store === 'unusable' || state === 'unusable') return 'broken';
  if (!store && !state) {
    warnings.push(`${db.path}: no ${rowsOf.store.table} row "${rowsOf.store.key}" or ${rowsOf.state.table} row "${rowsOf.state.key}"; nothing read from it`);
    return null;
  }
  const read = readStorePair(store, state, skipped, warnings);
  return read ? { ...read, sources: [db.path] } : 'broken';
}

/**
 * (c) The agent's own database and, for `main`, the shared one. The agent's database wins per
 * profile id and for the order; profiles only in the shared store are kept.
 */
export function readSqliteLayer(agent: string, own: SqliteStore, shared: SqliteStore | null, warnings: string[]): Layer | null {
  const skipped = `the sqlite layout of agent "${agent}" was skipped`;
  const mine = readDatabaseStore(own, AGENT_ROWS, skipped, warnings);
  const theirs = shared ? readDatabaseStore(shared, SHARED_ROWS, skipped, warnings) : null;
  if (mine === 'broken' || theirs === 'broken') return null;
  if (!mine && !theirs) return null;
  return {
    layout: 'sqlite',
    profiles: { ...theirs?.profiles, ...mine?.profiles },
    extras: { ...theirs?.extras, ...mine?.extras },
    order: mine && !isEmpty(mine.order) ? mine.order : (theirs?.order ?? {}),
    usage: {
      lastGood: { ...theirs?.usage.lastGood, ...mine?.usage.lastGood },
      usageStats: { ...theirs?.usage.usageStats, ...mine?.usage.usageStats },
    },
    sources: [...(mine?.sources ?? []), ...(theirs?.sources ?? [])],
  };
}
