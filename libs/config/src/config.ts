/**
 * Validated configuration from the environment. A service declares the variables it reads as a
 * schema; `loadConfig` parses all of them and, if any is missing or malformed, throws one
 * `ConfigError` that names every bad variable, so start-up stops with a message a person can act on.
 */

export type Env = Record<string, string | undefined>;

export interface Field<T> {
  /** Parses the raw value (undefined when unset); throws an Error whose message says what is expected. */
  parse(raw: string | undefined): T;
}

export type ConfigOf<S extends Record<string, Field<unknown>>> = {
  [K in keyof S]: ReturnType<S[K]['parse']>;
};

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Reads every field of `schema` from `env`, where each key of the schema is the variable's name.
 * Throws ConfigError listing every problem at once (not only the first).
 */
export function loadConfig<S extends Record<string, Field<unknown>>>(
  schema: S,
  env: Env = process.env,
): ConfigOf<S> {
  const problems: string[] = [];
  const config: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(schema)) {
    try {
      config[name] = field.parse(blankToUndefined(env[name]));
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return config as ConfigOf<S>;
}

function blankToUndefined(raw: string | undefined): string | undefined {
  return raw === undefined || raw.trim() === '' ? undefined : raw.trim();
}

function required<T>(raw: string | undefined, fallback: T | undefined, parse: (raw: string) => T): T {
  if (raw === undefined) {
    if (fallback === undefined) throw new Error('is required but not set');
    return fallback;
  }
  return parse(raw);
}

/** A string; `fallback` is used when unset. */
export function str(options: { fallback?: string; pattern?: RegExp; describe?: string } = {}): Field<string> {
  return {
    parse: (raw) =>
      required(raw, options.fallback, (value) => {
        if (options.pattern && !options.pattern.test(value)) {
          throw new Error(`"${value}" is not ${options.describe ?? `matching ${options.pattern}`}`);
        }
        return value;
      }),
  };
}

/** An integer within [min, max]. */
export function int(options: { fallback?: number; min?: number; max?: number } = {}): Field<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = options;
  return {
    parse: (raw) =>
      required(raw, options.fallback, (value) => {
        if (!/^-?\d+$/.test(value)) throw new Error(`"${value}" is not an integer`);
        const parsed = Number(value);
        if (parsed < min || parsed > max) throw new Error(`${parsed} is outside ${min}..${max}`);
        return parsed;
      }),
  };
}

/** One of a fixed set of words. */
export function oneOf<const T extends string>(
  values: readonly T[],
  options: { fallback?: T } = {},
): Field<T> {
  return {
    parse: (raw) =>
      required(raw, options.fallback, (value) => {
        if (!(values as readonly string[]).includes(value)) {
          throw new Error(`"${value}" is not one of ${values.join(', ')}`);
        }
        return value as T;
      }),
  };
}

/** A comma-separated list of host:port addresses, such as Kafka bootstrap brokers. */
export function hostPortList(options: { fallback?: string[] } = {}): Field<string[]> {
  return {
    parse: (raw) =>
      required(raw, options.fallback, (value) => {
        const items = value.split(',').map((item) => item.trim());
        const bad = items.filter((item) => !/^[^\s:/]+:\d{1,5}$/.test(item));
        if (bad.length > 0 || items.length === 0) {
          throw new Error(`"${value}" is not a comma-separated list of host:port (bad: ${bad.join(', ')})`);
        }
        return items;
      }),
  };
}

/** A MongoDB connection string (mongodb:// or mongodb+srv://). */
export function mongoUri(options: { fallback?: string } = {}): Field<string> {
  return str({
    ...options,
    pattern: /^mongodb(\+srv)?:\/\/\S+$/,
    describe: 'a mongodb:// or mongodb+srv:// URI',
  });
}
