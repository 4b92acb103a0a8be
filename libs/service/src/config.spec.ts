// The configuration refuses simulation mode in production, however NODE_ENV spells it.
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
