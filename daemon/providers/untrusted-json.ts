/**
 * Reading JSON that a provider (or anything pretending to be one) sent: parsing never throws
 * (a `JSON.parse` error quotes its input, and that input may echo a secret), and field access
 * checks each type instead of trusting a cast.
 */

/** The parsed value, or undefined when the text is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** `v` as an object (not an array, not null), or undefined. */
export function asRecord(v: unknown): Record<string, unknown> | undefined {
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** `v` when it is a string. */
export function asString(v: unknown): string | undefined {
  return typeof v === 'string' ? v : undefined;
}

/** `v` when it is a finite number. */
export function asNumber(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

/** `v` when it is an array. */
export function asArray(v: unknown): unknown[] | undefined {
  return Array.isArray(v) ? (v as unknown[]) : undefined;
}

/** The field at a path of object keys, or undefined as soon as one step is not an object. */
export function at(v: unknown, ...path: string[]): unknown {
  let cur = v;
  for (const key of path) {
    const r = asRecord(cur);
    if (!r || !Object.hasOwn(r, key)) return undefined;
    cur = r[key];
  }
  return cur;
}
