/**
 * What a model name typed in a chat means (§8.3), as a pure function of the aliases and the
 * known providers: an alias (config's first, then the built-ins), or `provider/model`. A bare
 * model without a provider is refused with a reply rather than guessed: the same name exists at
 * several providers (OpenRouter re-sells most of them), and a guess would send the conversation
 * and the bill somewhere the person did not choose.
 */
import { dict, own } from '../../ipc/dict.js';
import type { Dict } from '../../ipc/dict.js';
import { splitModelRef } from '../../ipc/providers.js';

/** Aliases that work with no config at all; config `agents.defaults.models.*.alias` wins over them. */
export const BUILTIN_ALIASES: Readonly<Record<string, string>> = Object.freeze(
  dict<string>([
    ['opus', 'anthropic/claude-opus-4-5'],
    ['sonnet', 'anthropic/claude-sonnet-4-5'],
    ['haiku', 'anthropic/claude-haiku-4-5'],
    ['gpt', 'openai/gpt-5'],
  ]),
);

/** The aliases in effect: the built-ins, overlaid by config's (config wins on the same name). */
export function effectiveAliases(configAliases: Readonly<Record<string, string>>): Dict<string> {
  return dict(BUILTIN_ALIASES, configAliases);
}

/** A model ref resolved to `provider/model`. */
export interface ResolvedModel {
  /** `provider/model`, the provider in lower case. */
  ref: string;
  provider: string;
  model: string;
  /** The alias the person typed, when they typed one. */
  alias: string | null;
}

/** A resolved model, or the reply that says why the text names none. */
export type ModelResolution = { ok: true; model: ResolvedModel } | { ok: false; reply: string };

/** The longest model id we take; real ones are under 100 characters. */
const MAX_MODEL_REF = 200;
/** Whitespace, and every control character: C0, DEL and C1 (some terminals read U+009B as `ESC [`), as session ids refuse them. */
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNSAFE = /[\s\u0000-\u001f\u007f-\u009f]/;

function lookupAlias(name: string, aliases: Readonly<Record<string, string>>): { alias: string; target: string } | null {
  const exact = own(aliases, name);
  if (exact !== undefined) return { alias: name, target: exact };
  // Aliases are typed on phones: `Opus` means `opus`, unless config defines both spellings.
  const lower = name.toLowerCase();
  const folded = own(aliases, lower);
  return folded !== undefined ? { alias: lower, target: folded } : null;
}

/**
 * Resolves `input` (an alias or `provider/model`) against `aliases` (already the effective
 * ones: see {@link effectiveAliases}) and the providers the gateway knows.
 */
export function resolveModelRef(input: string, aliases: Readonly<Record<string, string>>, knownProviders: readonly string[]): ModelResolution {
  const text = input.trim();
  if (text === '' || text.length > MAX_MODEL_REF || UNSAFE.test(text)) {
    return { ok: false, reply: `"${printable(text)}" is not a model name: use an alias or provider/model, e.g. /model anthropic/claude-sonnet-4-5.` };
  }
  const hit = text.includes('/') ? null : lookupAlias(text, aliases);
  const target = hit ? hit.target : text;
  const split = splitModelRef(target);
  if (!split) {
    if (hit) return { ok: false, reply: `The alias "${hit.alias}" points to "${printable(target)}", which is not provider/model: fix it in opensoul.json.` };
    const known = Object.keys(aliases).sort();
    return {
      ok: false,
      reply:
        `"${text}" is neither an alias nor provider/model. Write the provider too, e.g. /model anthropic/${text}` +
        (known.length > 0 ? `, or use an alias: ${known.join(', ')}.` : '.'),
    };
  }
  const provider = split.provider.toLowerCase();
  if (!knownProviders.includes(provider)) {
    return {
      ok: false,
      reply: `Unknown provider "${printable(split.provider)}". Known providers: ${[...knownProviders].sort().join(', ')}.`,
    };
  }
  return { ok: true, model: { ref: `${provider}/${split.model}`, provider, model: split.model, alias: hit ? hit.alias : null } };
}

/** A name for display: anything odd cut and quoted safely (a reply is plain text, one line per item). */
function printable(text: string): string {
  // eslint-disable-next-line no-control-regex -- control characters and line separators are replaced for display
  const clean = text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '?');
  return clean.length > 80 ? `${clean.slice(0, 77)}...` : clean;
}

/** `provider/model` of a configured ref that may be an alias; null when it resolves to nothing usable. */
export function resolveConfiguredRef(ref: string, aliases: Readonly<Record<string, string>>): string | null {
  const target = ref.includes('/') ? ref : (lookupAlias(ref, aliases)?.target ?? ref);
  const split = splitModelRef(target);
  return split ? `${split.provider.toLowerCase()}/${split.model}` : null;
}
