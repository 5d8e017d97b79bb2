/**
 * What a person should do after a call fails in a way only they can fix (§8.2): one wording,
 * shown alike by status, doctor, probes and chat replies. A refused credential is replaced where
 * it came from — its profile, or the source its env key was read from — since replacing it
 * anywhere else leaves the refused one in use.
 */
import type { CallOutcome, EnvSource, ProfileType } from '../../ipc/protocol.js';
import { providerSpec } from '../../ipc/providers.js';
import { shellQuote } from '../../ipc/shell-quote.js';
import { tildePath } from '../../ipc/tilde-path.js';
import { managingCommand } from '../stores/credentials.js';
import type { ManagedBy } from '../stores/credentials.js';

/** A profile the provider refuses outside its own client (a Claude Code setup-token used elsewhere). */
export const CREDENTIAL_SCOPE_REMEDY = "this credential only works in the provider's own client: use an Anthropic API key instead";

/**
 * Where the credential a call used came from: a profile (`agent`: its owner, when that is not the
 * default agent, which the CLI writes to), or a provider env key with the source it was read from
 * (`path`: its file) and the state dir's `.env`, which the CLI writes with `--target env`.
 */
export type CredentialOrigin =
  | { kind: 'profile'; id: string; type: ProfileType; managedBy?: ManagedBy | undefined; agent?: string | undefined }
  | { kind: 'env'; name: string; source: EnvSource; path: string | null; dotenvPath: string };

/** The next step for an outcome, or null when waiting (a cooldown) or retrying is the answer. */
export function remedyFor(outcome: CallOutcome, provider: string, origin: CredentialOrigin | null): string | null {
  switch (outcome) {
    case 'credential_scope':
      return CREDENTIAL_SCOPE_REMEDY;
    case 'auth':
    case 'auth_permanent':
      return `the provider refused the credential: ${replaceRemedy(provider, origin)}`;
    case 'billing':
      // Only a profile is set aside (an env key has no usage state): it is tried again on the next call.
      return "the provider's account is out of credit or its billing needs attention" + (origin?.kind === 'env' ? '' : '; it is set aside for hours');
    case 'model_not_found':
      return 'the provider does not know this model: pick another with `/model`, or fix the model id in opensoul.json';
    case 'network':
      return 'the provider could not be reached: check the network and the base URL (models.providers.<id>.baseUrl in opensoul.json)';
    default:
      return null;
  }
}

/** How to replace a refused credential where it is, so that the replacement is what the next call uses. */
function replaceRemedy(provider: string, origin: CredentialOrigin | null): string {
  if (origin === null) return 'replace it or remove it (`opensoul models status` shows where it comes from)';
  if (origin.kind === 'profile') {
    const agent = origin.agent !== undefined ? ` --agent ${shellQuote(origin.agent)}` : '';
    const id = shellQuote(origin.id);
    const remove = `remove it (\`opensoul models auth remove ${id}${agent}\`)`;
    const again = ` --provider ${shellQuote(provider)} --profile-id ${id}${agent} --force`;
    if (origin.type === 'oauth' && origin.managedBy)
      return `sign in again with \`${managingCommand(origin.managedBy)}\`, whose sign-in the gateway reads, or ${remove}`;
    if (origin.type === 'oauth') return `sign in again (\`opensoul models auth login${again}\`) or ${remove}`;
    return `replace it (\`opensoul models auth ${origin.type === 'token' ? 'paste-token' : 'paste-api-key'}${again}\`) or ${remove}`;
  }
  const { name } = origin;
  const dotenv = tildePath(origin.dotenvPath);
  // `paste-api-key --target env` writes the provider's first variable: advise it only for that one.
  const paste = providerSpec(provider)?.envVars[0] === name ? `opensoul models auth paste-api-key --provider ${shellQuote(provider)} --target env` : null;
  // `.env` wins over opensoul.json's env and the login shell, and the process environment over all of them (§4).
  const intoDotenv = `put the new key in ${dotenv}, which wins over it (${paste ? `\`${paste}\`` : `as ${name}=…`})`;
  switch (origin.source) {
    case 'dotenv':
      return paste
        ? `replace ${name} in ${dotenv} (\`${paste} --force\`) or remove it there`
        : `replace ${name} in ${dotenv}, or remove it there (the gateway reloads the file live)`;
    case 'config':
      return `${name} is set in the env of ${tildePath(origin.path ?? 'opensoul.json')}: replace it there, or ${intoDotenv}`;
    case 'shell':
      return `${name} comes from your login shell: ${intoDotenv}, or fix it in your shell's startup files and restart the gateway`;
    case 'process':
      return (
        `${name} is set in the gateway's own environment, which wins over ${dotenv} and opensoul.json: correct or unset it where the ` +
        'gateway is started (the shell that ran `opensoul gateway start`, the service manager), then restart it from there (`opensoul gateway restart`)'
      );
  }
}
