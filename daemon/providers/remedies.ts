/**
 * What a person should do after a call fails in a way only they can fix (§8.2): one wording,
 * shown alike by status, doctor, probes and chat replies.
 */
import type { CallOutcome } from '../../ipc/protocol.js';

/** A profile the provider refuses outside its own client (a Claude Code setup-token used elsewhere). */
export const CREDENTIAL_SCOPE_REMEDY = "this credential only works in the provider's own client: use an Anthropic API key instead";

/** The next step for an outcome, or null when waiting (a cooldown) or retrying is the answer. */
export function remedyFor(outcome: CallOutcome, provider: string): string | null {
  switch (outcome) {
    case 'credential_scope':
      return CREDENTIAL_SCOPE_REMEDY;
    case 'auth':
    case 'auth_permanent':
      return `the provider refused the credential: replace it (\`opensoul models auth paste-api-key --provider ${provider} --force\`) or remove it`;
    case 'billing':
      return "the provider's account is out of credit or its billing needs attention; it is set aside for hours";
    case 'model_not_found':
      return 'the provider does not know this model: pick another with `/model`, or fix the model id in opensoul.json';
    case 'network':
      return 'the provider could not be reached: check the network and the base URL (models.providers.<id>.baseUrl in opensoul.json)';
    default:
      return null;
  }
}
