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
