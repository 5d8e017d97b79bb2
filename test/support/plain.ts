/**
 * The daemon keeps maps keyed by user input without a prototype (ipc/dict.ts); strict deep
 * equality compares prototypes too, so tests compare a plain copy with their literals.
 */
export function plain<T>(value: T): T {
  return value === undefined ? value : (JSON.parse(JSON.stringify(value)) as T);
}
