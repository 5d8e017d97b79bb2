/**
 * Whether `opensoul chat --model ref` took effect. The daemon answers `/model …` with a reply
 * for people and the session as it now is; a refusal (unknown model, unknown profile, a profile
 * of another provider) leaves the session as it was. So the session is compared with the ask.
 */
import type { SessionView } from '../../ipc/protocol.js';

/** `sonnet@anthropic:work` → model `sonnet`, pin `anthropic:work`: split at the first `@` after the last `/` (as the daemon does). */
export function splitModelRef(ref: string): { model: string; pin: string | null } {
  const slash = ref.lastIndexOf('/');
  const at = ref.indexOf('@', slash + 1);
  return at < 0 ? { model: ref, pin: null } : { model: ref.slice(0, at), pin: ref.slice(at + 1) };
}

/**
 * True when the session after `/model ref` is what `ref` asked for: the pin it named (or none),
 * and a model that either changed or reads like the ask (`anthropic/claude-sonnet-4-5` for
 * `sonnet`, the full ref, or its model part). An alias with an unrelated name for the model the
 * session already had reads as refused; its reply is then shown, which does no harm.
 */
export function modelAccepted(ref: string, before: SessionView, after: SessionView): boolean {
  const asked = splitModelRef(ref.trim());
  if (after.pin !== asked.pin) return false;
  if (after.model !== before.model) return true;
  const name = asked.model.toLowerCase();
  const model = after.model.toLowerCase();
  return model === name || model.endsWith(`/${name}`) || (model.split('/').pop() ?? '').includes(name);
}
