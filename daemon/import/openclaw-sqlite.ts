/**
 * OpenClaw's current layout (§3 (c)): auth profiles kept as JSON values in SQLite.
 *
 * Assumed schema — a GUESS, checked only against our own fixtures, not against OpenClaw's DDL:
 *   state/openclaw.sqlite                     table config_machine_state (key TEXT PRIMARY KEY, value TEXT)
 *                                             rows 'authProfiles.store', 'authProfiles.state'
 *   agents/<id>/agent/openclaw-agent.sqlite   tables auth_profile_store, auth_profile_state
 *                                             (key TEXT PRIMARY KEY, value TEXT), row 'primary'
 * Because the column names are not known, each table's columns are found from
 * `pragma_table_info`: the key column is `key`, else `id`, else `name`, else the first TEXT
 * column; the value column is `value`, else `json`, else `data`, else the second column. Values
 * may be TEXT or BLOB (decoded as UTF-8); keys are compared as text.
 *
 * The database is read with sql.js from the file's bytes: sql.js keeps the copy in its own
 * in-memory file system, so nothing can be written back to the source (a native driver would
 * open the file, and could create -wal/-shm files or checkpoint into it).
 */
import { createRequire } from 'node:module';
import type { Database, SqlJsStatic, SqlValue } from 'sql.js';
import { OpenSoulError } from '../../ipc/errors.js';
import { MAX_SOURCE_DATABASE_BYTES, readSourceFile, sizeOf } from './source-files.js';

export interface RowRequest {
  table: string;
  key: string;
}

export type RowResult =
  | { request: RowRequest; kind: 'text'; text: string; label: string }
  | { request: RowRequest; kind: 'no-table' | 'no-row' }
  | { request: RowRequest; kind: 'unusable'; label: string; problem: string };

export type DatabaseRead = { kind: 'missing' } | { kind: 'unreadable'; reason: string } | { kind: 'read'; rows: RowResult[] };

let sqlJs: Promise<SqlJsStatic> | null = null;

/**
 * sql.js is loaded on first use only: the daemon imports this module for `import openclaw`,
 * and then only when a database exists. The wasm file is located through Node's resolution
 * from this module's URL, not sql.js's `__dirname`: in the daemon bundle (`dist/gateway.mjs`,
 * npm packages external) `import.meta.url` is the bundle, and resolving `sql.js/dist/…` from
 * there finds the same installed package that `import('sql.js')` loads.
 */
function loadSqlJs(): Promise<SqlJsStatic> {
  sqlJs ??= (async () => {
    const wasm = createRequire(import.meta.url).resolve('sql.js/dist/sql-wasm.wasm');
    const { default: initSqlJs } = await import('sql.js');
    return initSqlJs({ locateFile: () => wasm });
  })().catch((err: unknown) => {
    sqlJs = null;
    throw err;
  });
  return sqlJs;
}

/**
 * sql.js reads only the main file: rows committed into `<db>-wal` but not yet checkpointed
 * would be silently missing (or stale). A running OpenClaw keeps a non-empty WAL; a clean stop
 * checkpoints and removes it (or leaves it empty), which is when an import is safe.
 */
async function refuseUnsavedWal(dbPath: string): Promise<void> {
  const wal = `${dbPath}-wal`;
  const size = await sizeOf(wal);
  if (size !== null && size > 0) {
    throw new OpenSoulError('CONFLICT', {
      reason: `OpenClaw must be stopped first (its database has unsaved changes in ${wal}); stop OpenClaw, then run the import again`,
      path: wal,
    });
  }
}

const quoteIdent = (name: string): string => `"${name.replace(/"/g, '""')}"`;

interface ColumnInfo {
  name: string;
  type: string;
}

function columnsOf(db: Database, table: string): ColumnInfo[] {
  const [result] = db.exec('SELECT name, type FROM pragma_table_info(?) ORDER BY cid', [table]);
  return (result?.values ?? []).map(([name, type]) => ({ name: String(name), type: typeof type === 'string' ? type : '' }));
}

/** SQLite's TEXT affinity rule: the declared type contains CHAR, CLOB or TEXT. */
const hasTextAffinity = (type: string): boolean => /CHAR|CLOB|TEXT/i.test(type);

function keyAndValueColumns(columns: ColumnInfo[]): { key: string; value: string } | null {
  const named = (...names: string[]): ColumnInfo | undefined => {
    for (const n of names) {
      const c = columns.find((col) => col.name.toLowerCase() === n);
      if (c) return c;
    }
    return undefined;
  };
  const key = named('key') ?? named('id') ?? named('name') ?? columns.find((c) => hasTextAffinity(c.type));
  if (!key) return null;
  const second = columns[1];
  const value = named('value') ?? named('json') ?? named('data') ?? (second && second !== key ? second : columns.find((c) => c !== key && c !== columns[0]));
  if (!value || value === key) return null;
  return { key: key.name, value: value.name };
}

function tableName(db: Database, table: string): string | null {
  const [result] = db.exec("SELECT name FROM sqlite_master WHERE type IN ('table', 'view') AND name = ? COLLATE NOCASE", [table]);
  const name = result?.values[0]?.[0];
  return typeof name === 'string' ? name : null;
}

function decodeValue(value: SqlValue | undefined): string | null {
  if (typeof value === 'string') return value;
  if (value instanceof Uint8Array) return new TextDecoder('utf-8').decode(value);
  return null;
}

function readRow(db: Database, dbPath: string, request: RowRequest): RowResult {
  const label = `${dbPath} (table ${request.table}, row "${request.key}")`;
  const table = tableName(db, request.table);
  if (!table) return { request, kind: 'no-table' };
  const columns = keyAndValueColumns(columnsOf(db, table));
  if (!columns) return { request, kind: 'unusable', label, problem: 'no key and value columns were found' };
  const [result] = db.exec(`SELECT ${quoteIdent(columns.value)} FROM ${quoteIdent(table)} WHERE CAST(${quoteIdent(columns.key)} AS TEXT) = ?`, [request.key]);
  const rows = result?.values ?? [];
  if (rows.length === 0) return { request, kind: 'no-row' };
  if (rows.length > 1) return { request, kind: 'unusable', label, problem: `${rows.length} rows have this key; which one is current cannot be told` };
  const text = decodeValue(rows[0]?.[0]);
  if (text === null) return { request, kind: 'unusable', label, problem: `column ${columns.value} holds no JSON text` };
  return { request, kind: 'text', text, label };
}

/**
 * Reads the JSON values of some rows of a database. Throws CONFLICT when OpenClaw has unsaved
 * changes in the WAL — checked before and after the bytes are read, so a write that lands
 * meanwhile is caught too.
 */
export async function readDatabaseRows(dbPath: string, requests: readonly RowRequest[]): Promise<DatabaseRead> {
  await refuseUnsavedWal(dbPath);
  const file = await readSourceFile(dbPath, MAX_SOURCE_DATABASE_BYTES);
  if (file.kind !== 'bytes') return file;
  await refuseUnsavedWal(dbPath);
  const SQL = await loadSqlJs();
  let db: Database | null = null;
  try {
    db = new SQL.Database(file.bytes);
    const open = db;
    return { kind: 'read', rows: requests.map((request) => readRow(open, dbPath, request)) };
  } catch {
    // SQLite's own message is not passed on: it is not needed to act, and keeping every
    // warning built from our own words means no database content can ride along.
    return { kind: 'unreadable', reason: 'is not a readable SQLite database (corrupt, or not a database)' };
  } finally {
    db?.close();
  }
}
