// A consumer that crashes for good is replaced after a backoff, as often as it takes, and /health
// and /metrics say so meanwhile (no broker here: the consumers are fakes that crash on demand).
import { MetricsRegistry } from '../kit/metrics-registry';
import { UsageIngest } from '../usage/usage-ingest';
import { IngestMetrics } from './ingest-metrics';
import { KafkaConfig } from './kafka-config';
import { KafkaIngestService, RESTART_BACKOFF, RestartableConsumer } from './kafka-ingest.service';
import { UsageConsumerOptions } from './usage-consumer';

class FakeConsumer implements RestartableConsumer {
  stopped = false;
  constructor(
    readonly options: UsageConsumerOptions,
    private readonly failStart: boolean,
  ) {}
  async start(): Promise<void> {
    if (this.failStart) throw new Error('There is no leader for this topic-partition');
    this.options.metrics!.up = 1;
  }
  async stop(): Promise<void> {
    this.stopped = true;
    this.options.metrics!.up = 0;
  }
  async lag() {
    return undefined;
  }
  crash(message: string): void {
    this.options.onFatal!(new Error(message));
  }
}

const config = { groupId: 'ledger-ingestor' } as KafkaConfig;

function service(failStarts: number[] = []) {
  const consumers: FakeConsumer[] = [];
  const registry = new MetricsRegistry();
  const s = new KafkaIngestService(config, {} as UsageIngest, registry, (o) => {
    const c = new FakeConsumer(o, failStarts.includes(consumers.length));
    consumers.push(c);
    return c;
  });
  return { s, consumers, registry };
}

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

describe('the Kafka ingest of a service', () => {
  it('replaces a consumer that crashed for good after the backoff; health says down meanwhile, then up with the restart counted', async () => {
    const { s, consumers, registry } = service();
    await s.onApplicationBootstrap();
    expect(registry.health().kafka).toMatchObject({ ok: true, up: true, restarts: 0, lastCrash: null });

    consumers[0].crash('Failed to find group coordinator');
    await jest.advanceTimersByTimeAsync(0);
    expect(consumers[0].stopped).toBe(true);
    expect(registry.health().kafka).toMatchObject({
      ok: false,
      up: false,
      restarts: 0,
      lastCrash: { message: 'Failed to find group coordinator' },
    });
    expect(consumers).toHaveLength(1);

    await jest.advanceTimersByTimeAsync(RESTART_BACKOFF.initialMs);
    expect(consumers).toHaveLength(2);
    expect(registry.health().kafka).toMatchObject({ ok: true, up: true, restarts: 1 });
    expect(await registry.render()).toMatch(/ledger_kafka_consumer_restarts_total\{group="ledger-ingestor"\} 1/);
    await s.onModuleDestroy();
  });

  it('keeps trying with a doubling backoff while the broker is not back', async () => {
    const { s, consumers } = service([1, 2]); // the first two restarts fail to start
    await s.onApplicationBootstrap();
    consumers[0].crash('Connection error: connect ECONNREFUSED 127.0.0.1:19092');
    await jest.advanceTimersByTimeAsync(RESTART_BACKOFF.initialMs); // restart 1: fails
    expect(consumers).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(2 * RESTART_BACKOFF.initialMs - 1);
    expect(consumers).toHaveLength(2); // not before the doubled backoff
    await jest.advanceTimersByTimeAsync(1); // restart 2: fails
    expect(consumers).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(4 * RESTART_BACKOFF.initialMs); // restart 3: runs
    expect(consumers).toHaveLength(4);
    expect(s.health()).toMatchObject({ up: true, restarts: 3 });
    await s.onModuleDestroy();
  });

  it('ignores a late crash report of a consumer already replaced, and restarts nothing after shutdown', async () => {
    const { s, consumers } = service();
    await s.onApplicationBootstrap();
    consumers[0].crash('first');
    await jest.advanceTimersByTimeAsync(RESTART_BACKOFF.initialMs);
    consumers[0].crash('stale');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(2);
    expect(s.health()).toMatchObject({ up: true, restarts: 1, lastCrash: { message: 'first' } });
    await s.onModuleDestroy();
    consumers[1].crash('during shutdown');
    await jest.advanceTimersByTimeAsync(60_000);
    expect(consumers).toHaveLength(2);
  });

  it('counts restarts in the metrics text even before any consumer ran', async () => {
    const registry = new MetricsRegistry();
    new IngestMetrics('g').register(registry, async () => undefined);
    expect(await registry.render()).toContain('ledger_kafka_consumer_restarts_total{group="g"} 0');
  });
});
