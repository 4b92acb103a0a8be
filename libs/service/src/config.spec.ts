// The configuration refuses simulation mode in production, however NODE_ENV spells it, and a
// DATABASE_URL whose TLS files cannot be read.
import { ConfigError, readConfig } from './config';

describe('LEDGER_SIMULATION=true', () => {
  it.each(['production', 'Production', 'PRODUCTION', 'prod', 'Prod', ' production '])('is refused with NODE_ENV=%j', (nodeEnv) => {
    expect(() => readConfig({ LEDGER_SIMULATION: 'true', NODE_ENV: nodeEnv })).toThrow(ConfigError);
    expect(() => readConfig({ LEDGER_SIMULATION: 'true', NODE_ENV: nodeEnv })).toThrow(/LEDGER_SIMULATION/);
  });

  it.each(['development', 'test', 'staging', 'production-like', ''])('is allowed with NODE_ENV=%j', (nodeEnv) => {
    expect(readConfig({ LEDGER_SIMULATION: 'true', NODE_ENV: nodeEnv }).simulation.enabled).toBe(true);
  });
});

describe('LEDGER_MAX_BODY_BYTES', () => {
  it('is 10 MiB by default, a setting otherwise, and refused below 1 KiB', () => {
    expect(readConfig({}).maxBodyBytes).toBe(10 * 1024 * 1024);
    expect(readConfig({ LEDGER_MAX_BODY_BYTES: '2048' }).maxBodyBytes).toBe(2048);
    expect(() => readConfig({ LEDGER_MAX_BODY_BYTES: '10' })).toThrow(/LEDGER_MAX_BODY_BYTES/);
  });
});

describe('access settings', () => {
  it('checks keys unless LEDGER_AUTH=off, which production refuses', () => {
    expect(readConfig({}).access.enabled).toBe(true);
    expect(readConfig({ LEDGER_AUTH: 'off' }).access.enabled).toBe(false);
    for (const NODE_ENV of ['production', ' Prod '])
      expect(() => readConfig({ LEDGER_AUTH: 'off', NODE_ENV })).toThrow(/LEDGER_AUTH \(off\) is refused in production/);
    expect(() => readConfig({ LEDGER_AUTH: 'maybe' })).toThrow(/LEDGER_AUTH must be "on" or "off"/);
  });

  it('keeps only the hash of LEDGER_ADMIN_KEY, and never quotes a bad one', () => {
    const secret = 'a'.repeat(20) + 'b'.repeat(20);
    const config = readConfig({ LEDGER_ADMIN_KEY: secret });
    expect(config.access.adminKeyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(config)).not.toContain(secret);
    const short = 'short-secret-123';
    expect(() => readConfig({ LEDGER_ADMIN_KEY: short })).toThrow(/LEDGER_ADMIN_KEY must be at least 32 characters/);
    try {
      readConfig({ LEDGER_ADMIN_KEY: short });
    } catch (err) {
      expect((err as Error).message).not.toContain(short);
    }
  });
});

describe('DATABASE_URL with TLS (sslmode, sslrootcert in the URL)', () => {
  const url = (query: string) => `postgres://ledger:s3cret-pw@db.example:5432/ledger?${query}`;

  it('is taken as it is: pg reads sslmode and the CA file when it connects', () => {
    const withCa = url(`sslmode=verify-full&sslrootcert=${encodeURIComponent(__filename)}`);
    expect(readConfig({ DATABASE_URL: withCa }).store).toEqual({ kind: 'postgres', url: withCa });
    expect(readConfig({ DATABASE_URL: url('sslmode=disable') }).store).toEqual({ kind: 'postgres', url: url('sslmode=disable') });
  });

  it.each([
    [
      'sslmode=verify_full',
      /DATABASE_URL has sslmode=verify_full: must be one of disable, prefer, require, verify-ca, verify-full, no-verify/,
    ],
    [
      'sslmode=verify-full&sslrootcert=/nonexistent/ca.crt',
      /DATABASE_URL has sslrootcert=\/nonexistent\/ca.crt, which cannot be read \(ENOENT\)/,
    ],
    ['sslcert=/nonexistent/client.crt&sslkey=/nonexistent/client.key', /DATABASE_URL has sslcert=\/nonexistent\/client.crt/],
  ])('refuses %j naming the parameter, never the URL (it holds the password)', (query, message) => {
    for (const env of [
      { DATABASE_URL: url(query) },
      { LEDGER_STORE: 'kurrentdb', KURRENTDB_URL: 'kurrentdb://k:2113', DATABASE_URL: url(query) },
    ]) {
      let error: unknown;
      try {
        readConfig(env);
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain('s3cret-pw');
    }
  });
});

describe('LEDGER_HOST and KAFKA_INGEST (settings of a deployment)', () => {
  it('binds 127.0.0.1 unless LEDGER_HOST names another address', () => {
    expect(readConfig({}).host).toBe('127.0.0.1');
    expect(readConfig({ LEDGER_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(readConfig({ LEDGER_HOST: '::' }).host).toBe('::');
    expect(() => readConfig({ LEDGER_HOST: '0.0.0.0:3000 x' })).toThrow(/LEDGER_HOST must be an address/);
  });

  it('KAFKA_INGEST=off keeps the consumer out of this process and the notifications on Kafka', () => {
    const on = readConfig({ KAFKA_BROKERS: 'kafka:9092' });
    expect(on.kafka?.brokers).toEqual(['kafka:9092']);
    const off = readConfig({ KAFKA_BROKERS: 'kafka:9092', KAFKA_INGEST: 'off' });
    expect(off.kafka).toBeUndefined();
    expect(off.notifications.sink).toMatchObject({ kind: 'kafka', brokers: ['kafka:9092'] });
    expect(() => readConfig({ KAFKA_BROKERS: 'kafka:9092', KAFKA_INGEST: 'no' })).toThrow(/KAFKA_INGEST/);
  });
});
