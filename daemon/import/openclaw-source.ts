/**
 * The read side of `opensoul import openclaw` (§3, "OpenClaw's layouts"): everything OpenClaw
 * holds about credentials — per-agent profiles and order overrides in any of its four layouts,
 * and the provider keys of its `.env` — read into one snapshot, without changing a byte of the
 * source. Deciding what to write into OpenSoul is the caller's job.
 *
 * Precedence when an agent has several layouts (OpenClaw migrated forward and may have left
 * older files behind): sqlite > auth-profiles.json (+ auth-state.json) > auth.json, merged per
 * profile id so that a profile only an older layout has is still imported; the order comes from
 * the highest layout that has one.
 */
import path from 'node:path';
import { OpenSoulError } from '../../ipc/errors.js';
import { AGENT_ID_PATTERN } from '../../ipc/providers.js';
import { parseDotenv } from '../env/dotenv-file.js';
import { isRecord } from '../../ipc/jsonc.js';
import type { Credential, UsageState } from '../stores/credentials.js';
import { AGENT_FILES, SHARED_DB, readAgentStore, readJsonLayer, readLegacyLayer, readSharedStore, readSqliteLayer } from './openclaw-layers.js';
import type { Layer, Layout, SqliteStore } from './openclaw-layers.js';
import { listDir, parseLabeled, readSourceFile } from './source-files.js';
import { dict } from '../../ipc/dict.js';

/** One OpenClaw agent's credentials, merged over its layouts. */
export interface ImportedAgent {
  /** The agent id (its directory name under `agents/`, or `main` for the shared store). */
  id: string;
  /** The highest layout that was read for this agent. */
  layout: Layout;
  profiles: Record<string, Credential>;
  /** Per profile id, the fields beside the credential, kept as they are. */
  extras: Record<string, Record<string, unknown>>;
  /** The agent's order override: provider → profile ids. */
  order: Record<string, string[]>;
  /** lastGood and usageStats (cooldowns, a billing disable) of its profiles. */
  usage: UsageState;
  /** The files it was read from, highest layout first (for the report). */
  sources: string[];
}

/** Everything an import could take from one OpenClaw state dir. */
export interface OpenClawSnapshot {
  /** The absolute source dir. */
  from: string;
  agents: ImportedAgent[];
  /** Provider keys found in `<from>/.env` (only names in `providerEnvVars`). */
  env: Record<string, string>;
  /** `auth.order` of `<from>/openclaw.json` (the global order), null when there is none. */
  configOrder: Record<string, string[]> | null;
  /** `secrets.providers` of `<from>/openclaw.json`, as they are (paths and commands, no secrets). */
  secretProviders: Record<string, Record<string, unknown>>;
  /** Files, rows and profiles that were skipped, and why — never a secret value. */
  warnings: string[];
}

const LOOKED_FOR = [...Object.values(AGENT_FILES).map((f) => `agents/*/agent/${f}`), SHARED_DB.split(path.sep).join('/'), '.env', 'openclaw.json'].join(', ');

interface ConfigParts {
  order: Record<string, string[]> | null;
  secretProviders: Record<string, Record<string, unknown>>;
}

/**
 * `auth.order` and `secrets.providers` of OpenClaw's config. Its config is JSON5; comments and
 * trailing commas are read, anything more exotic that does not parse is reported (and then
 * neither is imported). Null when there is no config file.
 */
async function readOpenClawConfig(root: string, warnings: string[]): Promise<ConfigParts | null> {
  const file = path.join(root, 'openclaw.json');
  const read = await readSourceFile(file);
  if (read.kind === 'missing') return null;
  const lost = 'its auth.order and secrets.providers were not imported';
  if (read.kind === 'unreadable') {
    warnings.push(`${file}: ${read.reason}; ${lost}`);
    return null;
  }
  const parsed = parseLabeled({ label: file, text: read.bytes.toString('utf8') }, warnings);
  if (!parsed.ok) {
    warnings.push(`${file} does not parse (${parsed.position}); ${lost}`);
    return null;
  }
  const root_ = isRecord(parsed.value) ? parsed.value : {};
  const parts: ConfigParts = { order: null, secretProviders: {} };
  const order = isRecord(root_.auth) ? root_.auth.order : undefined;
  if (order !== undefined && !isRecord(order)) warnings.push(`${file}: auth.order is not an object of provider → profile ids; skipped`);
  else if (order !== undefined) {
    parts.order = {};
    for (const [provider, ids] of Object.entries(order)) {
      if (Array.isArray(ids) && ids.every((i) => typeof i === 'string')) parts.order[provider] = ids;
      else warnings.push(`${file}: auth.order.${provider} is not a list of profile ids; skipped`);
    }
  }
  const providers = isRecord(root_.secrets) ? root_.secrets.providers : undefined;
  for (const [name, p] of Object.entries(isRecord(providers) ? providers : {})) {
    if (isRecord(p)) parts.secretProviders[name] = p;
    else warnings.push(`${file}: secrets.providers.${name} is not an object; skipped`);
  }
  return parts;
}

const MAIN_AGENT = 'main';

/** The agent dirs that hold any OpenClaw credential file; invalid ids are skipped with a warning. */
async function findAgentDirs(root: string, warnings: string[]): Promise<{ dirs: Map<string, string>; skipped: number }> {
  const dirs = new Map<string, string>();
  let skipped = 0;
  const known = new Set<string>(Object.values(AGENT_FILES));
  for (const name of (await listDir(path.join(root, 'agents'))).sort()) {
    const agentDir = path.join(root, 'agents', name, 'agent');
    let names: string[];
    try {
      names = await listDir(agentDir);
    } catch (err) {
      // One unreadable agent dir must not keep the others from being imported.
      if (!(err instanceof OpenSoulError)) throw err;
      warnings.push(`${String(err.details.reason)}; agent skipped`);
      skipped++;
      continue;
    }
    if (!names.some((f) => known.has(f))) continue;
    if (!AGENT_ID_PATTERN.test(name)) {
      warnings.push(`agents/${JSON.stringify(name)}: not a valid agent id (letters, digits, ".", "_", "-"; at most 64); skipped`);
      skipped++;
      continue;
    }
    dirs.set(name, agentDir);
  }
  return { dirs, skipped };
}

/** Provider keys of `<root>/.env`; null when there is no such file. */
async function readEnv(root: string, providerEnvVars: ReadonlySet<string>, warnings: string[]): Promise<Record<string, string> | null> {
  const file = path.join(root, '.env');
  const read = await readSourceFile(file);
  if (read.kind === 'missing') return null;
  if (read.kind === 'unreadable') {
    warnings.push(`${file}: ${read.reason}; no keys read from it`);
    return {};
  }
  // parseDotenv's warnings are line numbers only, never content.
  const { values, warnings: lineWarnings } = parseDotenv(read.bytes.toString('utf8'));
  for (const w of lineWarnings) warnings.push(`${file}: ${w}`);
  const env = dict<string>();
  const others: string[] = [];
  for (const [key, value] of Object.entries(values)) {
    if (!providerEnvVars.has(key)) others.push(key);
    else if (value.trim() === '') warnings.push(`${file}: ${key} is empty; not imported`);
    else env[key] = value;
  }
  if (others.length > 0) warnings.push(`${file}: ${others.length} key(s) that are not provider keys were not imported (${others.sort().join(', ')})`);
  return env;
}

/** Merges an agent's layers, given highest first: a higher layer wins per profile id. */
function mergeLayers(id: string, layers: Layer[]): ImportedAgent | null {
  const [top] = layers;
  if (!top) return null;
  let profiles = dict<Credential>();
  let extras = dict<Record<string, unknown>>();
  const usage: UsageState = { lastGood: dict(), usageStats: dict() };
  for (const layer of [...layers].reverse()) {
    profiles = dict(profiles, layer.profiles);
    extras = dict(extras, layer.extras);
    Object.assign(usage.lastGood, layer.usage.lastGood);
    Object.assign(usage.usageStats, layer.usage.usageStats);
  }
  const order = layers.find((l) => Object.keys(l.order).length > 0)?.order ?? {};
  return { id, layout: top.layout, profiles, extras, order, usage, sources: layers.flatMap((l) => l.sources) };
}

async function readAgent(id: string, agentDir: string, shared: SqliteStore | null, warnings: string[]): Promise<ImportedAgent | null> {
  const own = await readAgentStore(agentDir);
  const layers = [
    readSqliteLayer(id, own, id === MAIN_AGENT ? shared : null, warnings),
    await readJsonLayer(id, agentDir, warnings),
    await readLegacyLayer(id, agentDir, warnings),
  ].filter((l): l is Layer => l !== null);
  const agent = mergeLayers(id, layers);
  if (!agent) warnings.push(`agent "${id}": no profiles or order could be read; nothing imported for it`);
  return agent;
}

/**
 * Reads OpenClaw's credential state from `from` (its state dir, `~/.openclaw` by default).
 * Throws INVALID_INPUT when `from` holds no OpenClaw state, and CONFLICT when one of its
 * databases has unsaved changes in a `-wal` file (OpenClaw is running).
 */
export async function readOpenClawState(from: string, opts: { providerEnvVars: ReadonlySet<string> }): Promise<OpenClawSnapshot> {
  const root = path.resolve(from);
  const warnings: string[] = [];
  const { dirs, skipped } = await findAgentDirs(root, warnings);
  const shared = await readSharedStore(root);
  const env = await readEnv(root, opts.providerEnvVars, warnings);
  const config = await readOpenClawConfig(root, warnings);
  const hasShared = shared.read.kind !== 'missing';
  if (dirs.size === 0 && skipped === 0 && !hasShared && env === null && config === null) {
    throw new OpenSoulError('INVALID_INPUT', { reason: `no OpenClaw state found in ${root} (looked for ${LOOKED_FOR})`, path: root });
  }
  const ids = [...new Set([...dirs.keys(), ...(hasShared ? [MAIN_AGENT] : [])])].sort();
  const agents: ImportedAgent[] = [];
  for (const id of ids) {
    const agent = await readAgent(id, dirs.get(id) ?? path.join(root, 'agents', id, 'agent'), hasShared ? shared : null, warnings);
    if (agent) agents.push(agent);
  }
  return { from: root, agents, env: env ?? {}, configOrder: config?.order ?? null, secretProviders: config?.secretProviders ?? {}, warnings };
}
