/**
 * Control characters made visible in caret notation, as `cat -v` and git show them: ESC as `^[`,
 * BEL as `^G`, DEL as `^?`, U+009B as `M-^[`. Shared by the CLI's views (client/render/terminal-text.ts)
 * and the daemon's chat replies, which name profiles and files read from disk.
 */

/** `^[` for ESC, `^?` for DEL, `M-^[` for U+009B. */
export function caret(c: string): string {
  const code = c.charCodeAt(0);
  if (code === 0x7f) return '^?';
  if (code >= 0x80) return `M-^${String.fromCharCode(code - 0x80 + 0x40)}`;
  return `^${String.fromCharCode(code + 0x40)}`;
}

// eslint-disable-next-line no-control-regex -- every control character, line feed and tab too
const ANY_CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * Every string in a JSON value (keys too) with all its control characters shown, line feeds and
 * tabs included: for a view built from names read from files (profile ids, labels, model ids,
 * paths). A line feed in a profile id would start a line of its own that looks like another
 * profile's, so in a field it is shown (`^J`), not kept as a reply's text keeps it (forTerminal, client/render/terminal-text.ts).
 */
export function visibleStrings<T>(value: T): T {
  if (typeof value === 'string') return (HAS_CONTROL.test(value) ? value.replace(ANY_CONTROL, caret) : value) as T;
  // Copied only where something changed: a status of many profiles is ~10 KB of objects, and
  // rebuilding all of them cost the human `models status` a garbage collection at every run.
  if (Array.isArray(value)) {
    let copy: unknown[] | null = null;
    value.forEach((v: unknown, i) => {
      const shown = visibleStrings(v);
      if (shown !== v) (copy ??= [...(value as unknown[])])[i] = shown;
    });
    return (copy ?? value) as T;
  }
  if (value !== null && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    const keys = Object.keys(o);
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i] as string;
      const [shownKey, shown] = [visibleStrings(k), visibleStrings(o[k])];
      if (shownKey === k && shown === o[k]) continue;
      // Rebuilt from its entries: fromEntries keeps a key named `__proto__` an own property.
      const entries = keys.map((key, j) => (j < i ? [key, o[key]] : j === i ? [shownKey, shown] : [visibleStrings(key), visibleStrings(o[key])]));
      return Object.fromEntries(entries) as T;
    }
    return value;
  }
  return value;
}

// eslint-disable-next-line no-control-regex -- the same characters as ANY_CONTROL, tested without its global state
const HAS_CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
