/**
 * Runtime validators for RPC params: tiny combinators, so both sides share one description of
 * every method's params without a schema dependency on the CLI's start path. A failure names
 * the path and what was expected, never the value (it may be a secret).
 */

export class ValidationError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
  ) {
    super(`${path}: ${expected}`);
    this.name = 'ValidationError';
  }
}

/** Checks `value` (found at `path`) and returns it typed, or throws ValidationError. */
export type Validator<T> = (value: unknown, path: string) => T;

/** The type a validator returns. */
export type Infer<V> = V extends Validator<infer T> ? T : never;

interface StringOptions {
  minLength?: number;
  maxLength?: number;
  pattern?: RegExp;
  /** Words for `pattern` in an error ("a profile id such as anthropic:default"). */
  patternName?: string;
}

export function string(opts: StringOptions = {}): Validator<string> {
  const max = opts.maxLength ?? 65536;
  return (value, path) => {
    if (typeof value !== 'string') throw new ValidationError(path, 'expected a string');
    if (opts.minLength !== undefined && value.length < opts.minLength)
      throw new ValidationError(path, opts.minLength === 1 ? 'must not be empty' : `expected at least ${opts.minLength} characters`);
    if (value.length > max) throw new ValidationError(path, `expected at most ${max} characters`);
    if (opts.pattern && !opts.pattern.test(value)) throw new ValidationError(path, `expected ${opts.patternName ?? `a match of ${String(opts.pattern)}`}`);
    return value;
  };
}

export function number(opts: { integer?: boolean; min?: number; max?: number } = {}): Validator<number> {
  return (value, path) => {
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new ValidationError(path, 'expected a finite number');
    if (opts.integer && !Number.isInteger(value)) throw new ValidationError(path, 'expected an integer');
    if (opts.min !== undefined && value < opts.min) throw new ValidationError(path, `expected a number >= ${opts.min}`);
    if (opts.max !== undefined && value > opts.max) throw new ValidationError(path, `expected a number <= ${opts.max}`);
    return value;
  };
}

export function boolean(): Validator<boolean> {
  return (value, path) => {
    if (typeof value !== 'boolean') throw new ValidationError(path, 'expected true or false');
    return value;
  };
}

export function literal<const T extends readonly (string | number | boolean)[]>(...allowed: T): Validator<T[number]> {
  return (value, path) => {
    if (!allowed.includes(value as T[number])) throw new ValidationError(path, `expected one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
    return value as T[number];
  };
}

export function array<T>(item: Validator<T>, opts: { max?: number } = {}): Validator<T[]> {
  const max = opts.max ?? 1000;
  return (value, path) => {
    if (!Array.isArray(value)) throw new ValidationError(path, 'expected an array');
    if (value.length > max) throw new ValidationError(path, `expected at most ${max} items`);
    return value.map((v, i) => item(v, `${path}[${i}]`));
  };
}

/** Marks a property optional: absent and `undefined` give `undefined`; `null` is refused. */
export interface OptionalValidator<T> extends Validator<T | undefined> {
  readonly optional: true;
}

export function optional<T>(inner: Validator<T>): OptionalValidator<T> {
  const v = ((value: unknown, path: string) => (value === undefined ? undefined : inner(value, path))) as OptionalValidator<T>;
  (v as { optional: true }).optional = true;
  return v;
}

type Shape = Record<string, Validator<unknown>>;
type RequiredKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalValidator<unknown> ? never : K }[keyof S];
type OptionalKeys<S extends Shape> = { [K in keyof S]: S[K] extends OptionalValidator<unknown> ? K : never }[keyof S];
export type ObjectOf<S extends Shape> = { [K in RequiredKeys<S>]: Infer<S[K]> } & { [K in OptionalKeys<S>]?: Infer<S[K]> };

const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An object with exactly these properties: unknown properties are refused, so a typo is an error, not a no-op. */
export function object<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  return (value, path) => {
    if (!isPlainObject(value)) throw new ValidationError(path, 'expected an object');
    for (const key of Object.keys(value)) {
      if (!Object.prototype.hasOwnProperty.call(shape, key)) throw new ValidationError(`${path}.${key}`, 'unknown property');
    }
    const out: Record<string, unknown> = {};
    for (const [key, check] of Object.entries(shape)) {
      const v = check(value[key], `${path}.${key}`);
      if (v !== undefined) out[key] = v;
    }
    return out as ObjectOf<S>;
  };
}

/** Params of a method that takes none: absent, `{}` or `[]` (some clients always send params). */
export function none(): Validator<Record<string, never>> {
  return (value, path) => {
    if (value === undefined) return {};
    if (Array.isArray(value) && value.length === 0) return {};
    if (isPlainObject(value) && Object.keys(value).length === 0) return {};
    throw new ValidationError(path, 'this method takes no params');
  };
}

/** Params given as an object or omitted (omitted = `{}`). */
export function paramsObject<S extends Shape>(shape: S): Validator<ObjectOf<S>> {
  const inner = object(shape);
  return (value, path) => inner(value === undefined ? {} : value, path);
}

/** Union of validators: the first that accepts wins; the type is the union of theirs. */
export function oneOf<const Vs extends readonly Validator<unknown>[]>(name: string, ...options: Vs): Validator<Infer<Vs[number]>> {
  return (value, path) => {
    for (const option of options) {
      try {
        return option(value, path) as Infer<Vs[number]>;
      } catch (err) {
        if (!(err instanceof ValidationError)) throw err;
      }
    }
    throw new ValidationError(path, `expected ${name}`);
  };
}
