/**
 * The provider table of SPEC §4 and §9. Both sides need it: the daemon to resolve credentials
 * and call providers, the CLI for doctor's env-gap check and the recovery hints it prints.
 * Config `models.providers.<id>` may add providers and env var names (the daemon merges them).
 */

/** Which client speaks to a provider (§9). */
export type ProviderApi = 'anthropic-messages' | 'openai-chat';

export interface ProviderSpec {
  readonly id: string;
  readonly name: string;
  /** Env var names, first non-empty wins; the first is where `--target env` writes an API key. */
  readonly envVars: readonly string[];
  readonly api: ProviderApi;
  readonly defaultBaseUrl: string;
  /** What to do when the provider has no credential, recommended path first (§8.1). */
  readonly hint: string;
  /** Prefixes every API key of this provider starts with; absent = no prefix rule. */
  readonly apiKeyPrefixes?: readonly string[];
  /** A cheap model that `models status --probe` asks when no model is named (§9). */
  readonly probeModel?: string;
}

const apiKeyHint = (envVar: string, provider: string): string =>
  `Put an API key in ~/.opensoul/.env as ${envVar}=… (the gateway reloads it live), or run \`opensoul models auth paste-api-key --provider ${provider}\`.`;

export const PROVIDERS: readonly ProviderSpec[] = [
  {
    id: 'anthropic',
    name: 'Anthropic',
    envVars: ['ANTHROPIC_API_KEY', 'ANTHROPIC_OAUTH_TOKEN'],
    api: 'anthropic-messages',
    defaultBaseUrl: 'https://api.anthropic.com',
    hint:
      'Recommended: put an Anthropic API key in ~/.opensoul/.env as ANTHROPIC_API_KEY=… (the gateway reloads it live). ' +
      'For a Claude subscription: run `claude setup-token`, then `opensoul models auth setup-token --provider anthropic`.',
    apiKeyPrefixes: ['sk-ant-api'],
    probeModel: 'claude-haiku-4-5',
  },
  {
    id: 'openai',
    name: 'OpenAI',
    envVars: ['OPENAI_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://api.openai.com/v1',
    hint: apiKeyHint('OPENAI_API_KEY', 'openai'),
    apiKeyPrefixes: ['sk-'],
    probeModel: 'gpt-4o-mini',
  },
  {
    id: 'openrouter',
    name: 'OpenRouter',
    envVars: ['OPENROUTER_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://openrouter.ai/api/v1',
    hint: apiKeyHint('OPENROUTER_API_KEY', 'openrouter'),
    apiKeyPrefixes: ['sk-or-'],
    probeModel: 'openai/gpt-4o-mini',
  },
  {
    id: 'google',
    name: 'Google Gemini',
    envVars: ['GEMINI_API_KEY', 'GOOGLE_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://generativelanguage.googleapis.com/v1beta/openai',
    hint: apiKeyHint('GEMINI_API_KEY', 'google'),
    probeModel: 'gemini-2.0-flash',
  },
  {
    id: 'xai',
    name: 'xAI',
    envVars: ['XAI_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://api.x.ai/v1',
    hint: apiKeyHint('XAI_API_KEY', 'xai'),
    apiKeyPrefixes: ['xai-'],
    probeModel: 'grok-3-mini',
  },
  {
    id: 'mistral',
    name: 'Mistral',
    envVars: ['MISTRAL_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://api.mistral.ai/v1',
    hint: apiKeyHint('MISTRAL_API_KEY', 'mistral'),
    probeModel: 'mistral-small-latest',
  },
  {
    id: 'groq',
    name: 'Groq',
    envVars: ['GROQ_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://api.groq.com/openai/v1',
    hint: apiKeyHint('GROQ_API_KEY', 'groq'),
    apiKeyPrefixes: ['gsk_'],
    probeModel: 'llama-3.1-8b-instant',
  },
  {
    id: 'deepseek',
    name: 'DeepSeek',
    envVars: ['DEEPSEEK_API_KEY'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://api.deepseek.com/v1',
    hint: apiKeyHint('DEEPSEEK_API_KEY', 'deepseek'),
    apiKeyPrefixes: ['sk-'],
    probeModel: 'deepseek-chat',
  },
  {
    id: 'github-copilot',
    name: 'GitHub Copilot',
    envVars: ['COPILOT_GITHUB_TOKEN', 'GH_TOKEN', 'GITHUB_TOKEN'],
    api: 'openai-chat',
    defaultBaseUrl: 'https://api.githubcopilot.com',
    hint: 'Put a GitHub token in ~/.opensoul/.env as COPILOT_GITHUB_TOKEN=…, or run `opensoul models auth paste-token --provider github-copilot`.',
  },
];

const byId = new Map(PROVIDERS.map((p) => [p.id, p]));

export function providerSpec(id: string): ProviderSpec | undefined {
  return byId.get(id);
}

/** The built-in probe model of a provider (its own id, no `provider/` prefix), if it has one. */
export function probeModelFor(provider: string): string | undefined {
  return byId.get(provider)?.probeModel;
}

/** Every env var name of the built-in table, in table order. */
export function knownProviderEnvVars(): string[] {
  return PROVIDERS.flatMap((p) => p.envVars);
}

/** A provider id: lower-case letters, digits, `-`, `_` and `.`. */
export const PROVIDER_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}$/;

/** A profile id: `<provider>:<name>`. */
export const PROFILE_ID_PATTERN = /^[a-z0-9][a-z0-9._-]{0,63}:[A-Za-z0-9@._+-]{1,128}$/;

/** An agent id, also a directory name under agents/: no separators, no dot-dot. */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The provider part of a profile id (`anthropic:work` → `anthropic`). */
export function providerOfProfileId(profileId: string): string {
  const i = profileId.indexOf(':');
  return i < 0 ? profileId : profileId.slice(0, i);
}

/** Anthropic setup-tokens (`claude setup-token`) start with this and are long; a short one is a truncated copy. */
export const ANTHROPIC_SETUP_TOKEN_PREFIX = 'sk-ant-oat01-';
export const ANTHROPIC_SETUP_TOKEN_MIN_LENGTH = 80;
/**
 * The floor for every secret of every provider. Real keys are 32 characters and more (a Mistral
 * key, the shortest we know, is 32; OpenAI's are 51+; GitHub's classic tokens 40); 20 still lets
 * through any plausible custom gateway's key while a stray keystroke, a word, or the first line
 * of a wrapped paste — the way a 1-character key once replaced a real one — is refused.
 */
export const MIN_SECRET_LENGTH = 20;

/** Why a secret does not have its provider's shape (both sides check; the daemon is the authority). */
export type SecretShapeProblem = {
  provider: string;
  /** What the secret was given as. */
  kind: 'api_key' | 'token';
  problem: 'too-short' | 'prefix' | 'setup-token-as-api-key' | 'api-key-as-token';
  length: number;
  minLength: number;
  /** The prefixes a secret of this kind must start with (for `prefix`). */
  expected: string[];
};

/**
 * The shape check of a literal secret, before anything is written: an Anthropic setup-token
 * given as an API key (or the other way round), a secret shorter than its floor, a prefix that
 * the provider table says every such secret has. Unknown providers get the length floor only.
 */
export function secretShapeProblem(provider: string, kind: 'api_key' | 'token', secret: string): SecretShapeProblem | null {
  const base = { provider, kind, length: secret.length, minLength: MIN_SECRET_LENGTH, expected: [] as string[] };
  if (provider === 'anthropic') {
    if (kind === 'api_key' && secret.startsWith('sk-ant-oat')) return { ...base, problem: 'setup-token-as-api-key' };
    if (kind === 'token' && secret.startsWith('sk-ant-api')) return { ...base, problem: 'api-key-as-token' };
  }
  const anthropicToken = provider === 'anthropic' && kind === 'token';
  const minLength = anthropicToken ? ANTHROPIC_SETUP_TOKEN_MIN_LENGTH : MIN_SECRET_LENGTH;
  const expected = anthropicToken ? [ANTHROPIC_SETUP_TOKEN_PREFIX] : kind === 'api_key' ? [...(providerSpec(provider)?.apiKeyPrefixes ?? [])] : [];
  if (expected.length > 0 && !expected.some((p) => secret.startsWith(p))) return { ...base, minLength, expected, problem: 'prefix' };
  if (secret.length < minLength) return { ...base, minLength, expected, problem: 'too-short' };
  return null;
}

/** The default model when config names none (§3), so the quick-start flow reports OK with no config. */
export const DEFAULT_MODEL = 'anthropic/claude-sonnet-4-5';

/** Splits `provider/model` at the first `/` (OpenRouter model ids contain more slashes). */
export function splitModelRef(ref: string): { provider: string; model: string } | null {
  const i = ref.indexOf('/');
  if (i <= 0 || i === ref.length - 1) return null;
  return { provider: ref.slice(0, i), model: ref.slice(i + 1) };
}
