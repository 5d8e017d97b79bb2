/**
 * The providers the daemon knows: §4's built-in table (in ipc/) merged with config
 * `models.providers.<id>` (a base URL, extra env var names, or a whole new provider).
 */
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
  hint: string;
  builtIn: boolean;
}

export class ProviderRegistry {
  private readonly byId = new Map<string, ResolvedProvider>();

  constructor(config: GatewayConfig) {
    for (const spec of PROVIDERS) this.byId.set(spec.id, this.merge(spec.id, config));
    for (const id of Object.keys(config.providers)) if (!this.byId.has(id)) this.byId.set(id, this.merge(id, config));
  }

  private merge(id: string, config: GatewayConfig): ResolvedProvider {
    const spec = providerSpec(id);
    const override = config.providers[id];
    const envVars = [...(spec?.envVars ?? [])];
    for (const name of override?.envVars ?? []) if (!envVars.includes(name)) envVars.push(name);
    return {
      id,
      name: spec?.name ?? id,
      envVars,
      api: override?.api ?? spec?.api ?? 'openai-chat',
      baseUrl: override?.baseUrl ?? spec?.defaultBaseUrl ?? '',
      baseUrlConfigured: Boolean(override?.baseUrl),
      hint:
        spec?.hint ??
        `Add a profile with \`opensoul models auth paste-api-key --provider ${id}\`` +
          (envVars[0] ? `, or put ${envVars[0]}=… in ~/.opensoul/.env.` : '.'),
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
        hint: `"${id}" is not a known provider: declare it in opensoul.json models.providers.${id} (baseUrl, envVars).`,
        builtIn: false,
      }
    );
  }

  all(): ResolvedProvider[] {
    return [...this.byId.values()];
  }

  /** Every env var name any provider reads: these values are secrets. */
  allEnvVars(): Set<string> {
    return new Set(this.all().flatMap((p) => p.envVars));
  }
}
