// One kafkajs client for the ingestor, logging through Nest's logger; the SASL and TLS options
// every kafkajs client of the ledger is given (the ingestor's, the notifications' producer).
import { Logger } from '@nestjs/common';
import { Kafka, KafkaConfig as KafkaJsConfig, logLevel, LogEntry, SASLOptions } from 'kafkajs';
import { KafkaConfig, KafkaSecurity } from './kafka-config';

/** kafkajs's `ssl` and `sasl` for these settings: the only place the password and key are revealed. */
export function kafkaSecurityOptions(security: KafkaSecurity): Pick<KafkaJsConfig, 'ssl' | 'sasl'> {
  const { tls, sasl } = security;
  const options: Pick<KafkaJsConfig, 'ssl' | 'sasl'> = {};
  if (tls)
    options.ssl = {
      rejectUnauthorized: tls.rejectUnauthorized,
      ...(tls.ca ? { ca: [tls.ca.pem] } : {}),
      ...(tls.client ? { cert: tls.client.cert, key: tls.client.key.reveal() } : {}),
    };
  if (sasl) options.sasl = { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password.reveal() } as SASLOptions;
  return options;
}

/** How a client connects, for a log line or an error: `SASL_SSL (scram-sha-512, user ledger)`; never a secret. */
export function describeSecurity(security: KafkaSecurity): string {
  const { tls, sasl } = security;
  const protocol = sasl ? (tls ? 'SASL_SSL' : 'SASL_PLAINTEXT') : tls ? 'SSL' : 'PLAINTEXT';
  const details = [
    ...(sasl ? [`${sasl.mechanism}, user ${sasl.username}`] : []),
    ...(tls && !tls.rejectUnauthorized ? ['certificates NOT verified'] : []),
  ];
  return details.length ? `${protocol} (${details.join('; ')})` : protocol;
}

/** Rebalances and coordinator moves are routine: kafkajs reports them as errors or warnings. */
const ROUTINE =
  /rebalanc|not aware of this member|REBALANCE_IN_PROGRESS|UNKNOWN_MEMBER_ID|ILLEGAL_GENERATION|coordinator is not available|COORDINATOR_NOT_AVAILABLE|NOT_COORDINATOR|coordinator is loading/i;

/** Which settings to look at when kafkajs could not connect, by what it said (or nothing). */
export function connectionHint(message: string): string {
  if (/SASL|authenticat/i.test(message)) return 'check KAFKA_SASL_MECHANISM, KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD';
  if (/certificate|altnames|self.signed|unable to verify/i.test(message))
    return "check that KAFKA_SSL_CA_FILE holds the CA that signed the brokers' certificates, for the host names of KAFKA_BROKERS";
  return '';
}

export function createKafka(config: KafkaConfig, logger = new Logger('kafkajs')): Kafka {
  if (config.security.tls && !config.security.tls.rejectUnauthorized)
    logger.warn("KAFKA_SSL_REJECT_UNAUTHORIZED=false: the brokers' certificates are not verified (anyone on the path can pose as them)");
  return new Kafka({
    clientId: config.clientId,
    brokers: config.brokers,
    ...kafkaSecurityOptions(config.security),
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
