/**
 * The numbered models `/model` offers (§8.3), as a pure function of the agent's model selection,
 * the aliases and the session: the default first, then the fallbacks, the aliases' models, and
 * the session's own model when it is none of those. The refs are stored with the session so that
 * `/model <n>` picks what the person saw, even if config changed in between.
 */
import { resolveConfiguredRef } from './model-ref.js';

/** One line of the list. */
export interface ModelListItem {
  /** `provider/model`. */
  ref: string;
  /** Every alias naming this model, sorted. */
  aliases: string[];
  isDefault: boolean;
  isFallback: boolean;
  isCurrent: boolean;
}

/** What the list is built from. */
export interface ModelListInput {
  /** The agent's default model (`provider/model` or an alias). */
  defaultModel: string;
  fallbacks: readonly string[];
  /** The effective aliases (built-ins overlaid by config). */
  aliases: Readonly<Record<string, string>>;
  /** The session's effective model, `provider/model`. */
  current: string;
  knownProviders: readonly string[];
}

/** The most models a list shows: a picker, not a catalogue. */
export const MAX_LIST_ITEMS = 30;

/** The numbered list, in display order (number = index + 1). */
export function buildModelList(input: ModelListInput): ModelListItem[] {
  const items = new Map<string, ModelListItem>();
  const aliasesOf = new Map<string, string[]>();
  for (const [alias, target] of Object.entries(input.aliases)) {
    const ref = resolveConfiguredRef(target, input.aliases);
    if (ref) aliasesOf.set(ref, [...(aliasesOf.get(ref) ?? []), alias]);
  }
  const add = (raw: string, mark: (item: ModelListItem) => void, onlyKnown: boolean, always = false) => {
    const ref = resolveConfiguredRef(raw, input.aliases);
    if (!ref) return;
    // A model of a provider the gateway does not know could not be chosen: not offered.
    if (onlyKnown && !input.knownProviders.includes(ref.slice(0, ref.indexOf('/')))) return;
    let item = items.get(ref);
    if (!item) {
      if (items.size >= MAX_LIST_ITEMS && !always) return;
      item = { ref, aliases: (aliasesOf.get(ref) ?? []).sort(), isDefault: false, isFallback: false, isCurrent: false };
      items.set(ref, item);
    }
    mark(item);
  };
  add(input.defaultModel, (i) => (i.isDefault = true), false);
  for (const f of input.fallbacks) add(f, (i) => (i.isFallback = true), false);
  for (const alias of Object.keys(input.aliases).sort()) add(alias, () => undefined, true);
  // The session's model is always listed, even past the limit: the person must see where they are.
  add(input.current, (i) => (i.isCurrent = true), false, true);
  return [...items.values()];
}
