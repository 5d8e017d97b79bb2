/** A hand-built `models.status` result for the session tests: two providers, flags of every kind, fake secrets masked. */
import { maskSecret } from '../../../daemon/status/masking.js';
import { UNTIL_REPLACED_MS } from '../../../ipc/duration.js';
import type { ModelsStatusResult, ProfileStatusEntry, ProviderStatusEntry } from '../../../ipc/protocol.js';

export const NOW = Date.UTC(2026, 11, 2, 12, 0, 0);
const DAY = 86_400_000;

/** Full fake secrets; only their masks may ever appear in a reply. */
export const SECRETS = {
  work: `sk-ant-oat01-${'W'.repeat(60)}FAKEwork`,
  default: `sk-ant-api03-${'D'.repeat(40)}FAKEdflt`,
  scoped: `sk-ant-oat01-${'S'.repeat(60)}FAKEscop`,
  openai: `sk-proj-${'O'.repeat(40)}FAKEopen`,
  env: `sk-ant-api03-${'E'.repeat(40)}FAKEenvk`,
};

export function profile(over: Partial<ProfileStatusEntry> & { id: string; secret: string }): ProfileStatusEntry {
  const { secret, ...rest } = over;
  return {
    provider: over.id.slice(0, over.id.indexOf(':')),
    label: over.id,
    type: 'api_key',
    masked: maskSecret(secret),
    status: 'static',
    expiresAt: null,
    remainingMs: null,
    cooldownUntil: null,
    disabledUntil: null,
    reason: null,
    next: false,
    lastGood: false,
    ...rest,
  };
}

export function statusResult(providers: ProviderStatusEntry[], over: Partial<ModelsStatusResult> = {}): ModelsStatusResult {
  return {
    agent: 'main',
    authStore: '/state/agents/main/agent/auth-profiles.json',
    defaultModel: 'anthropic/claude-sonnet-4-5',
    fallbacks: [],
    providers,
    missingProvidersInUse: [],
    fileErrors: [],
    check: 0,
    expiringWindowMs: DAY,
    now: NOW,
    envGap: [],
    envFile: '/state/.env',
    configPath: '/state/opensoul.json',
    agentDir: '/state/agents/main/agent',
    resolvedDefault: 'anthropic/claude-sonnet-4-5',
    aliases: {},
    auth: {
      storePath: '/state/agents/main/agent/auth-profiles.json',
      shellEnvFallback: { enabled: false, appliedKeys: [] },
      providersWithOAuth: [],
      missingProvidersInUse: [],
      providers: [],
      unusableProfiles: [],
      oauth: { warnAfterMs: DAY, profiles: [], providers: [] },
    },
    ...over,
  };
}

/**
 * anthropic: work (token, next, exp ~11 months), default (api key, lastGood, cooldown 3m), scoped
 * (disabled credential_scope); env key too. openai: one key behind a base URL.
 */
export function sampleStatus(opts: { pinNext?: string } = {}): ModelsStatusResult {
  const next = opts.pinNext ?? 'anthropic:work';
  return statusResult([
    {
      provider: 'anthropic',
      effective: { kind: 'profile', detail: `${next} (token)` },
      profiles: [
        profile({
          id: 'anthropic:default',
          secret: SECRETS.default,
          status: 'cooldown',
          cooldownUntil: NOW + 3 * 60_000 + 5_000,
          reason: 'rate_limit',
          lastGood: true,
          next: next === 'anthropic:default',
        }),
        profile({
          id: 'anthropic:scoped',
          secret: SECRETS.scoped,
          type: 'token',
          status: 'disabled',
          disabledUntil: UNTIL_REPLACED_MS,
          reason: "credential_scope: this credential only works in the provider's own client: use an Anthropic API key instead",
        }),
        profile({
          id: 'anthropic:work',
          label: 'anthropic:work (me@example.com)',
          secret: SECRETS.work,
          type: 'token',
          status: 'ok',
          expiresAt: NOW + 340 * DAY,
          remainingMs: 340 * DAY,
          next: next === 'anthropic:work',
        }),
      ],
      env: { var: 'ANTHROPIC_API_KEY', source: 'dotenv', path: '/state/.env', masked: maskSecret(SECRETS.env) },
      inUse: true,
      orderSource: 'round-robin',
      baseUrl: null,
    },
    {
      provider: 'openai',
      effective: { kind: 'profile', detail: 'openai:main (api_key)' },
      profiles: [
        profile({ id: 'openai:main', secret: SECRETS.openai, next: true, status: 'disabled', disabledUntil: NOW + 4 * 3_600_000 + 60_000, reason: 'billing' }),
      ],
      env: null,
      inUse: false,
      orderSource: 'config',
      baseUrl: 'http://127.0.0.1:8080/v1',
    },
  ]);
}
