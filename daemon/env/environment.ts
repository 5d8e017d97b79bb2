/**
 * The daemon's effective environment (§4): one function, used by status, doctor and calls
 * alike, so they can never disagree about which key the daemon sees. First source wins per key:
 * 1. the process environment, 2. `<stateDir>/.env`, 3. config `env.vars`, 4. the login shell
 * (only known provider key names still missing). Every value keeps its source.
 */
import type { EnvSource } from '../../ipc/protocol.js';

export interface EnvEntry {
  name: string;
  value: string;
  source: EnvSource;
  /** The file the value came from (`.env` or `opensoul.json`), null for the process and shell. */
  path: string | null;
}

export type EffectiveEnv = ReadonlyMap<string, EnvEntry>;

export interface EnvSources {
  process: Readonly<Record<string, string | undefined>>;
  dotenv: { values: Readonly<Record<string, string>>; path: string };
  config: { values: Readonly<Record<string, string>>; path: string };
  /** Provider keys imported from the login shell, when enabled. */
  shell?: { values: Readonly<Record<string, string>>; allowed: ReadonlySet<string> };
}

/**
 * An empty value counts as unset: an empty `ANTHROPIC_API_KEY=` exported by a service manager
 * must not hide the key in `.env` and turn into a 401.
 */
export function resolveEnvironment(sources: EnvSources): EffectiveEnv {
  const out = new Map<string, EnvEntry>();
  const take = (name: string, value: string | undefined, source: EnvSource, path: string | null) => {
    if (value === undefined || value === '' || out.has(name)) return;
    out.set(name, { name, value, source, path });
  };
  for (const [name, value] of Object.entries(sources.process)) take(name, value, 'process', null);
  for (const [name, value] of Object.entries(sources.dotenv.values)) take(name, value, 'dotenv', sources.dotenv.path);
  for (const [name, value] of Object.entries(sources.config.values)) take(name, value, 'config', sources.config.path);
  if (sources.shell) {
    for (const [name, value] of Object.entries(sources.shell.values)) {
      if (sources.shell.allowed.has(name)) take(name, value, 'shell', null);
    }
  }
  return out;
}

/** The first of `names` with a non-empty value (§4: first non-empty wins). */
export function firstEnvKey(env: EffectiveEnv, names: readonly string[]): EnvEntry | null {
  for (const name of names) {
    const entry = env.get(name);
    if (entry) return entry;
  }
  return null;
}
