// Reading settings from the environment, once at start. A bad setting stops the service with a
// message that names it (ConfigError); every module's config reader uses these.

export type Env = NodeJS.ProcessEnv;

export class ConfigError extends Error {
  constructor(setting: string, problem: string) {
    super(`configuration: ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/**
 * NODE_ENV names production: `production` or `prod`, in any case, with any surrounding spaces
 * (`Production`, ` PROD `). What production refuses (simulation mode) must not hinge on spelling.
 */
export const isProduction = (env: Env): boolean => /^\s*(production|prod)\s*$/i.test(env.NODE_ENV ?? '');

/** A whole number setting within [min, max], or `fallback` when unset or empty. */
export function readInt(env: Env, name: string, fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < min || Number(v) > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `>= ${min}` : `from ${min} to ${max}`;
    throw new ConfigError(name, `must be a whole number ${range}, got "${v}"`);
  }
  return Number(v);
}

/** A setting that must be one of `choices` (`fallback` when unset). */
export function readChoice<T extends string>(env: Env, name: string, choices: readonly T[], fallback: T): T {
  const v = env[name];
  if (v === undefined || v === '') return fallback;
  if (!(choices as readonly string[]).includes(v))
    throw new ConfigError(name, `must be ${choices.map((c) => `"${c}"`).join(' or ')}, got "${v}"`);
  return v as T;
}

/** KAFKA_BROKERS as a list of host:port, or undefined when unset or empty. */
export function readBrokers(env: Env): string[] | undefined {
  const raw = env.KAFKA_BROKERS?.trim();
  if (!raw) return undefined;
  const brokers = raw
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  for (const b of brokers)
    if (!/^[^\s:]+:\d{1,5}$/.test(b)) throw new ConfigError('KAFKA_BROKERS', `must be host:port[,host:port...], got "${b}"`);
  return brokers;
}
