// One kafkajs client for the ingestor, logging through Nest's logger.
import { Logger } from '@nestjs/common';
import { Kafka, logLevel, LogEntry } from 'kafkajs';
import { KafkaConfig } from './kafka-config';

/** Rebalances and coordinator moves are routine: kafkajs reports them as errors or warnings. */
const ROUTINE =
  /rebalanc|not aware of this member|REBALANCE_IN_PROGRESS|UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|coordinator is not available|COORDINATOR_NOT_AVAILABLE|NOT_COORDINATOR|coordinator is loading/i;

export function createKafka(config: KafkaConfig, logger = new Logger('kafkajs')): Kafka {
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: 5000,
    logLevel: logLevel.WARN,
    logCreator:
      () =>
      ({ namespace, level, log }: LogEntry) => {
        const { message, error } = log as { message: string; error?: string };
        const text = `${namespace ? `${namespace}: ` : ''}${message}${error ? ` (${error})` : ''}`;
        if (ROUTINE.test(text)) {
          // a heartbeat answered "rebalancing" is protocol chatter; the rejoin itself is worth a line
          if (namespace === 'Connection') logger.debug(text);
          else logger.log(text);
        } else if (level === logLevel.ERROR) logger.error(text);
        else if (level <= logLevel.WARN) logger.warn(text);
        else logger.debug(text);
      },
  });
}
