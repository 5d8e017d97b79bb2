/**
 * What `opensoul exec` puts in its child's environment (§7): for each provider, the credential
 * §8 resolves now, under the variable the provider's own tools read. Nothing here is written
 * anywhere; the CLI hands the values to the child's environment only.
 */
import { dict, own } from '../../ipc/dict.js';
import { OpenSoulError } from '../../ipc/errors.js';
import type { ExecCredentialsResult, ExecVariable } from '../../ipc/protocol.js';
import { firstEnvKey } from '../env/environment.js';
import type { AgentView, GatewayState } from '../state/gateway-state.js';
import { resolveCredential } from './resolve.js';

/**
 * The variable a resolved credential goes in. An API key: the provider's first variable
 * (`ANTHROPIC_API_KEY`). An Anthropic setup-token or OAuth token is not an API key — the SDKs
 * send `ANTHROPIC_API_KEY` as `x-api-key`, which the API refuses for it — so it goes where
 * Claude Code reads a setup-token, `CLAUDE_CODE_OAUTH_TOKEN`. A key from the environment keeps
 * the name it had there.
 */
export function variableFor(provider: string, envVars: readonly string[], type: string, fromEnv: string | null): string | null {
  if (fromEnv) return fromEnv;
  if (provider === 'anthropic' && type !== 'api_key') return 'CLAUDE_CODE_OAUTH_TOKEN';
  return envVars[0] ?? null;
}

/**
 * The variables a provider's tools read the same credential from. The child gets only the one
 * `exec` sets, none of the others from the caller's environment: Claude Code and the SDKs take
 * ANTHROPIC_AUTH_TOKEN or ANTHROPIC_API_KEY over CLAUDE_CODE_OAUTH_TOKEN, Google's SDK takes
 * GOOGLE_API_KEY over GEMINI_API_KEY, so the caller's own key would be used instead of the one
 * resolved (a session's pin included). Not GitHub's GH_TOKEN and GITHUB_TOKEN: they serve much
 * more than Copilot.
 */
const SAME_CREDENTIAL = dict<readonly string[]>([
  ['anthropic', ['ANTHROPIC_API_KEY', 'ANTHROPIC_AUTH_TOKEN', 'ANTHROPIC_OAUTH_TOKEN', 'CLAUDE_CODE_OAUTH_TOKEN']],
  ['google', ['GEMINI_API_KEY', 'GOOGLE_API_KEY']],
]);

/** The variables the child must not inherit when `name` carries the provider's credential. */
export function competingVariables(provider: string, name: string): string[] {
  return (own(SAME_CREDENTIAL, provider) ?? []).filter((n) => n !== name);
}

/** Every provider the agent has a credential for: a profile of its own or inherited, or an env key. */
export function providersWithCredentials(state: GatewayState, view: AgentView): string[] {
  const ids = new Set<string>();
  for (const c of Object.values(view.store.profiles)) ids.add(c.provider);
  for (const p of state.providers.all()) if (firstEnvKey(state.env, p.envVars)) ids.add(p.id);
  return [...ids].sort();
}

export async function execCredentials(
  state: GatewayState,
  view: AgentView,
  providers: readonly string[] | undefined,
  now: number,
  pin?: string,
): Promise<ExecCredentialsResult> {
  const named = providers !== undefined && providers.length > 0;
  const asked = named ? [...new Set(providers)] : providersWithCredentials(state, view);
  const variables: ExecVariable[] = [];
  const missing: ExecCredentialsResult['missing'] = [];
  const unset: { name: string; provider: string }[] = [];
  for (const provider of asked) {
    const spec = state.providers.require(provider);
    try {
      const r = await resolveCredential(state, view, provider, now, { pin });
      const name = variableFor(provider, spec.envVars, r.type, r.envVar);
      if (!name) {
        const reason = `no environment variable is known for ${provider}: declare one in opensoul.json models.providers.${provider}.envVars`;
        // Asked for by name, the command would run without the credential it was started for.
        if (named) {
          throw new OpenSoulError('INVALID_INPUT', {
            reason: `${provider} has a credential (${r.profileId ?? r.envVar ?? 'resolved'}), but ${reason} (e.g. ["MY_TOKEN"]); nothing was run`,
          });
        }
        missing.push({ provider, reason });
        continue;
      }
      if (variables.some((v) => v.name === name)) continue;
      variables.push({ name, value: r.secret, provider, profileId: r.profileId, source: r.source });
      for (const other of competingVariables(provider, name)) unset.push({ name: other, provider });
    } catch (err) {
      // Asked for by name: its absence is the answer; found by looking: it is only reported.
      if (err instanceof OpenSoulError && err.kind === 'NO_CREDENTIALS') {
        if (named) throw err;
        missing.push({ provider, reason: err.message });
        continue;
      }
      throw err;
    }
  }
  return { agent: view.id, variables, missing, unset: unset.filter((u) => !variables.some((v) => v.name === u.name)) };
}
