/**
 * Fake OpenClaw state dirs (`~/.openclaw`) in every layout of SPEC §3 — single-file, split,
 * flat auth.json, SQLite (built with sql.js itself) and `.env` — with fake secrets that no
 * provider would accept, for the import tests.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import initSqlJs from 'sql.js';
import type { SqlJsStatic } from 'sql.js';
import { fakeSecret, tempDir } from './harness.js';

/** A fresh, empty `.openclaw` dir inside a temp dir (removed after the test). */
export function openclawDir(): string {
  const dir = path.join(tempDir('opensoul-openclaw-'), '.openclaw');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Fake secrets of the shapes OpenClaw holds, each ≥ 80 characters, unique per call. */
export function fakeSecrets() {
  return {
    anthropicKey: fakeSecret('sk-ant-api03-', 80),
    setupToken: fakeSecret('sk-ant-oat01-', 80),
    oauthAccess: fakeSecret('sk-ant-oat01-ACCESS-', 80),
    oauthRefresh: fakeSecret('sk-ant-ort01-REFRESH-', 80),
    openaiKey: fakeSecret('sk-proj-', 80),
    groqKey: fakeSecret('gsk_', 80),
  };
}

export type FakeSecrets = ReturnType<typeof fakeSecrets>;

export function agentDir(root: string, agent: string): string {
  const dir = path.join(root, 'agents', agent, 'agent');
  mkdirSync(dir, { recursive: true });
  return dir;
}

function writeJson(file: string, value: unknown): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value, null, 2), { mode: 0o600 });
  return file;
}

/** (a) early 2026: one auth-profiles.json with profiles, order, lastGood, usageStats. A string is written as is. */
export function writeSingleFile(root: string, agent: string, content: unknown): string {
  return writeJson(path.join(agentDir(root, agent), 'auth-profiles.json'), content);
}

/** (b) to mid 2026: auth-profiles.json {version, profiles} + auth-state.json {order, lastGood, usageStats}. */
export function writeSplit(root: string, agent: string, store: unknown, state: unknown): { store: string; state: string } {
  const dir = agentDir(root, agent);
  return { store: writeJson(path.join(dir, 'auth-profiles.json'), store), state: writeJson(path.join(dir, 'auth-state.json'), state) };
}

/** (d) older still: a flat auth.json `{ "<provider>": credential }`. */
export function writeLegacyAuthJson(root: string, agent: string, content: unknown): string {
  return writeJson(path.join(agentDir(root, agent), 'auth.json'), content);
}

export function writeEnvFile(root: string, text: string): string {
  const file = path.join(root, '.env');
  writeFileSync(file, text, { mode: 0o600 });
  return file;
}

let sqlJs: Promise<SqlJsStatic> | null = null;
function sql(): Promise<SqlJsStatic> {
  const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
  sqlJs ??= initSqlJs({ locateFile: () => wasm });
  return sqlJs;
}

/** A key/value table: its DDL columns and which of them hold the key and the value. */
export interface KvSchema {
  columns: string;
  key: string;
  value: string;
  /** Store values as BLOB (UTF-8 bytes) rather than TEXT. */
  blob?: boolean;
}

/** The schema we assume for OpenClaw (a guess, see daemon/import/openclaw-sqlite.ts). */
export const DEFAULT_SCHEMA: KvSchema = { columns: 'key TEXT PRIMARY KEY, value TEXT NOT NULL', key: 'key', value: 'value' };

/** A value given as a string is stored verbatim (for broken rows); anything else as JSON. */
export type RowValue = unknown;

export interface SqliteFixture {
  tables: Record<string, { schema?: KvSchema; rows: Record<string, RowValue> }>;
  /** Mark the file as WAL mode in its header, as a database OpenClaw used in WAL mode is. */
  walMode?: boolean;
}

/** Writes a SQLite database built with sql.js. */
export async function writeSqlite(file: string, fixture: SqliteFixture): Promise<string> {
  const SQL = await sql();
  const db = new SQL.Database();
  try {
    for (const [table, { schema = DEFAULT_SCHEMA, rows }] of Object.entries(fixture.tables)) {
      db.run(`CREATE TABLE "${table}" (${schema.columns})`);
      for (const [key, value] of Object.entries(rows)) {
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        db.run(`INSERT INTO "${table}" ("${schema.key}", "${schema.value}") VALUES (?, ?)`, [key, schema.blob ? new TextEncoder().encode(text) : text]);
      }
    }
    const bytes = db.export();
    // Header bytes 18–19 are the read/write format versions: 2 means WAL mode.
    if (fixture.walMode) bytes.set([2, 2], 18);
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, bytes, { mode: 0o600 });
    return file;
  } finally {
    db.close();
  }
}

/** (c) now: the per-agent `openclaw-agent.sqlite` (tables auth_profile_store / auth_profile_state, row `primary`). */
export function writeAgentSqlite(
  root: string,
  agent: string,
  values: { store?: RowValue; state?: RowValue },
  opts: { schema?: KvSchema; walMode?: boolean } = {},
): Promise<string> {
  const tables: SqliteFixture['tables'] = {};
  const schema = opts.schema ?? DEFAULT_SCHEMA;
  if (values.store !== undefined) tables.auth_profile_store = { schema, rows: { primary: values.store } };
  if (values.state !== undefined) tables.auth_profile_state = { schema, rows: { primary: values.state } };
  return writeSqlite(path.join(agentDir(root, agent), 'openclaw-agent.sqlite'), { tables, walMode: opts.walMode ?? false });
}

/** (c) now: the shared `state/openclaw.sqlite` (table config_machine_state, rows authProfiles.store / authProfiles.state). */
export function writeSharedSqlite(
  root: string,
  values: { store?: RowValue; state?: RowValue; other?: Record<string, RowValue> },
  opts: { schema?: KvSchema; walMode?: boolean } = {},
): Promise<string> {
  const rows: Record<string, RowValue> = { ...values.other };
  if (values.store !== undefined) rows['authProfiles.store'] = values.store;
  if (values.state !== undefined) rows['authProfiles.state'] = values.state;
  return writeSqlite(path.join(root, 'state', 'openclaw.sqlite'), {
    tables: { config_machine_state: { schema: opts.schema ?? DEFAULT_SCHEMA, rows } },
    walMode: opts.walMode ?? false,
  });
}

/** Every file under `root` with the hash of its bytes and its mtime, to prove a read changed nothing. */
export function snapshotTree(root: string): Record<string, { sha256: string; mtimeMs: number; mode: number }> {
  const out: Record<string, { sha256: string; mtimeMs: number; mode: number }> = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      const rel = path.relative(root, full);
      const st = statSync(full);
      if (entry.isDirectory()) {
        out[`${rel}/`] = { sha256: '', mtimeMs: st.mtimeMs, mode: st.mode };
        walk(full);
      } else {
        out[rel] = { sha256: createHash('sha256').update(readFileSync(full)).digest('hex'), mtimeMs: st.mtimeMs, mode: st.mode };
      }
    }
  };
  walk(root);
  return out;
}

/** Sets every file's and dir's atime and mtime under `root` (and root itself) to a day ago. */
export function backdateTree(root: string): void {
  const past = new Date(Date.now() - 86_400_000);
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      utimesSync(full, past, past);
    }
  };
  walk(root);
  utimesSync(root, past, past);
}

/** `~/.openclaw/openclaw.json` (OpenClaw's config: `auth.order`, `secrets.providers`); a string is written as is. */
export function writeOpenClawConfig(root: string, content: unknown): string {
  return writeJson(path.join(root, 'openclaw.json'), content);
}

/**
 * OpenClaw 2026.9.6's layout for a second agent: the shared store (agent main) holds
 * `anthropic:work`; agent `work`'s own database holds `anthropic:agentwork` and the order
 * `[anthropic:agentwork, anthropic:work]` — one id of its own, one read through from main.
 */
export async function writeAgentWorkFixture(root: string, s: FakeSecrets): Promise<void> {
  await writeSharedSqlite(root, {
    store: { version: 1, profiles: { 'anthropic:work': { type: 'api_key', provider: 'anthropic', key: s.anthropicKey } } },
    state: { order: {}, lastGood: {}, usageStats: {} },
  });
  await writeAgentSqlite(root, 'work', {
    store: { version: 1, profiles: { 'anthropic:agentwork': { type: 'token', provider: 'anthropic', token: s.setupToken } } },
    state: { order: { anthropic: ['anthropic:agentwork', 'anthropic:work'] }, lastGood: {}, usageStats: {} },
  });
}
