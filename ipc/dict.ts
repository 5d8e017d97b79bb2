/**
 * Maps keyed by what a person wrote (provider ids, profile ids, agent ids, aliases, env names).
 * They have no prototype: on a plain `{}`, `map["constructor"]` is Object's constructor and
 * `map["toString"]` a function, so a provider or profile named like that made every lookup
 * answer with something that is not ours (and status failed for the whole agent).
 */
export type Dict<T> = Record<string, T>;

/** A null-prototype record, filled from entries or from other records (later ones win). */
export function dict<T>(...sources: (Iterable<readonly [string, T]> | Readonly<Record<string, T>> | null | undefined)[]): Dict<T> {
  const out = Object.create(null) as Dict<T>;
  for (const source of sources) {
    if (!source) continue;
    const entries = Symbol.iterator in source ? source : Object.entries(source as Record<string, T>);
    for (const [k, v] of entries) out[k] = v;
  }
  return out;
}

/** `record[key]` only when `key` is the record's own property. */
export function own<T>(record: Readonly<Record<string, T>> | null | undefined, key: string): T | undefined {
  return record && Object.hasOwn(record, key) ? record[key] : undefined;
}
