/** A StatusInput for the pure status tests: an agent `main` under /s, a fixed clock, overrides as given. */
import { defaultConfig } from '../../daemon/config/config.js';
import type { GatewayConfig } from '../../daemon/config/config.js';
import { resolveEnvironment } from '../../daemon/env/environment.js';
import { ProviderRegistry } from '../../daemon/providers/registry.js';
import type { StatusInput } from '../../daemon/status/models-status.js';
import type { Credential, UsageState } from '../../daemon/stores/credentials.js';

export const NOW = 1_800_000_000_000;
export const H = 3_600_000;

export function input(
  over: {
    profiles?: Record<string, Credential>;
    usage?: UsageState;
    env?: Record<string, string>;
    dotenv?: Record<string, string>;
    config?: Partial<GatewayConfig>;
    model?: { primary: string; fallbacks: string[] };
    fileErrors?: StatusInput['fileErrors'];
    clientEnvNames?: string[];
  } = {},
): StatusInput {
  const config = { ...defaultConfig(), ...over.config };
  const env = resolveEnvironment({
    process: over.env ?? {},
    dotenv: { values: over.dotenv ?? {}, path: '/s/.env' },
    config: { values: {}, path: '/s/opensoul.json' },
  });
  return {
    agent: 'main',
    authStorePath: '/s/agents/main/agent/auth-profiles.json',
    store: { profiles: over.profiles ?? {}, order: {} },
    usage: over.usage ?? { lastGood: {}, usageStats: {} },
    config,
    model: over.model ?? { primary: 'anthropic/claude-sonnet-4-5', fallbacks: [] },
    env,
    providers: new ProviderRegistry(config),
    fileErrors: over.fileErrors ?? [],
    ...(over.clientEnvNames ? { clientEnvNames: over.clientEnvNames } : {}),
    now: NOW,
    // As the daemon's probe: an env ref to an unset variable is missing; exec refs are never run.
    refProbe: (ref) => (ref.source === 'env' && !env.has(ref.id) ? `env var ${ref.id} is not set` : null),
    configPath: '/s/opensoul.json',
    envFile: '/s/.env',
  };
}
