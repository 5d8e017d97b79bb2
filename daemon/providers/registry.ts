/**
 * The providers the daemon knows (§4): the built-in table (in ipc/), config
 * `models.providers.<id>` (a base URL, extra env var names, or a whole new provider), and every
 * provider a store holds a profile of — credentials of providers without a built-in client
 * (OpenClaw's `openai-codex`, `google-gemini-cli`, `minimax`, …) are kept and listed, not lost.
 * A hand command naming none of these gets PROVIDER_UNKNOWN with the nearest known id.
 */
import { OpenSoulError } from '../../ipc/errors.js';
import { PROVIDERS, providerSpec } from '../../ipc/providers.js';
import type { ProviderApi } from '../../ipc/providers.js';
import type { GatewayConfig } from '../config/config.js';

export interface ResolvedProvider {
  id: string;
  name: string;
  envVars: string[];
  api: ProviderApi;
  baseUrl: string;
  /** Whether config overrides the base URL (shown in status). */
  baseUrlConfigured: boolean;
  /** The base URL for display: without a user, password or query (where proxies put keys). */
  baseUrlDisplay: string;
  /** Credentials found in the base URL, for the log redactor. */
  baseUrlSecrets: string[];
  hint: string;
  builtIn: boolean;
}

/**
 * A base URL as status may show it. A proxy's URL can carry a key (`https://user:key@proxy/…`,
 * `…?key=…`): those parts are dropped from what is shown and returned as secrets to redact.
 */
export function displayUrl(url: string): { display: string; secrets: string[] } {
  if (url === '') return { display: '', secrets: [] };
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { display: '(not a valid URL)', secrets: [url] };
  }
  const raw = [
    u.username,
    u.password,
    ...u.search
      .slice(1)
      .split('&')
      .map((kv) => kv.slice(kv.indexOf('=') + 1)),
  ].filter((s) => s !== '');
  const secrets = [...new Set(raw.flatMap((s) => [s, safeDecode(s)]))];
  if (secrets.length === 0) return { display: url, secrets };
  u.username = '';
  u.password = '';
  u.search = '';
  return { display: `${u.toString().replace(/\/$/, '')} (credentials hidden)`, secrets };
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Levenshtein distance, for "did you mean". */
export function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min((prev[j] ?? 0) + 1, (cur[j - 1] ?? 0) + 1, (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

/** The known id closest to `id`, when close enough to be a typo (at most a third of its length, min 2). */
export function nearest(id: string, known: readonly string[]): string | null {
  let best: { id: string; d: number } | null = null;
  for (const k of known) {
    const d = editDistance(id.toLowerCase(), k);
    if (!best || d < best.d) best = { id: k, d };
  }
  return best && best.d <= Math.max(2, Math.floor(id.length / 3)) ? best.id : null;
}

export class ProviderRegistry {
  private readonly byId = new Map<string, ResolvedProvider>();

  constructor(config: GatewayConfig, storeProviders: Iterable<string> = []) {
    for (const spec of PROVIDERS) this.byId.set(spec.id, this.merge(spec.id, config));
    for (const id of Object.keys(config.providers)) if (!this.byId.has(id)) this.byId.set(id, this.merge(id, config));
    for (const id of storeProviders) if (!this.byId.has(id)) this.byId.set(id, this.merge(id, config));
  }

  /** The provider, or PROVIDER_UNKNOWN naming the known ids and the nearest one ("did you mean"). */
  require(id: string): ResolvedProvider {
    const p = this.byId.get(id);
    if (p) return p;
    const known = this.all().map((x) => x.id);
    const suggestion = nearest(id, known);
    throw new OpenSoulError('PROVIDER_UNKNOWN', { provider: id, known: known.join(', '), ...(suggestion ? { suggestion } : {}) });
  }

  private merge(id: string, config: GatewayConfig): ResolvedProvider {
    const spec = providerSpec(id);
    const override = config.providers[id];
    const envVars = [...(spec?.envVars ?? [])];
    for (const name of override?.envVars ?? []) if (!envVars.includes(name)) envVars.push(name);
    const baseUrl = override?.baseUrl ?? spec?.defaultBaseUrl ?? '';
    const shown = displayUrl(baseUrl);
    return {
      id,
      name: spec?.name ?? id,
      envVars,
      api: override?.api ?? spec?.api ?? 'openai-chat',
      baseUrl,
      baseUrlConfigured: Boolean(override?.baseUrl),
      baseUrlDisplay: shown.display,
      baseUrlSecrets: shown.secrets,
      hint:
        spec?.hint ??
        `Add a profile with \`opensoul models auth paste-api-key --provider ${id}\`` + (envVars[0] ? `, or put ${envVars[0]}=… in ~/.opensoul/.env.` : '.'),
      builtIn: spec !== undefined,
    };
  }

  get(id: string): ResolvedProvider | undefined {
    return this.byId.get(id);
  }

  /** A provider that is neither built in nor configured still gets a record, so status can show its profiles. */
  getOrUnknown(id: string): ResolvedProvider {
    return (
      this.byId.get(id) ?? {
        id,
        name: id,
        envVars: [],
        api: 'openai-chat',
        baseUrl: '',
        baseUrlConfigured: false,
        baseUrlDisplay: '',
        baseUrlSecrets: [],
        hint: `"${id}" is not a known provider: declare it in opensoul.json models.providers.${id} (baseUrl, envVars).`,
        builtIn: false,
      }
    );
  }

  all(): ResolvedProvider[] {
    return [...this.byId.values()];
  }

  /** Credentials embedded in base URLs (see displayUrl), for the redactor. */
  urlSecrets(): string[] {
    return this.all().flatMap((p) => p.baseUrlSecrets);
  }

  /** Every env var name any provider reads: these values are secrets. */
  allEnvVars(): Set<string> {
    return new Set(this.all().flatMap((p) => p.envVars));
  }
}
