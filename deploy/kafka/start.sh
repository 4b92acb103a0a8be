#!/usr/bin/env bash
# Starts a single-node Apache Kafka broker in KRaft mode (broker + controller in one JVM)
# for development, tests and benchmarks, and creates the topics of our contract.
#
#   deploy/kafka/start.sh            # fetches the jars first if needed (fetch.sh)
#   export "$(deploy/kafka/start.sh)" # stdout is exactly one line: KAFKA_BROKERS=127.0.0.1:<port>
#   deploy/kafka/stop.sh
#
# Progress goes to stderr; the last line printed is KAFKA_BROKERS=127.0.0.1:<port>.
# Idempotent: when a broker already answers on the port, it only creates missing topics.
#
# A second listener, SASL_SSL on KAFKA_SECURED_PORT (port+2, 19094; 0 = none): TLS with a CA and
# broker certificate made for this broker (deploy/tls/make-certs.sh: localhost, 127.0.0.1; a
# PKCS12 keystore, checked with keytool) and SCRAM-SHA-512 for user `ledger` with a random
# password (added when the storage is formatted). Everything in the data dir; a client's settings
# (KAFKA_SECURED_BROKERS, KAFKA_SASL_*, KAFKA_SSL, KAFKA_SSL_CA_FILE) go to
# <cache>/run/<port>/secured.env (mode 600) while the broker is up. Without openssl or keytool the
# broker starts with the plain listener only. The plain listener is the same either way.
#
# Env: KAFKA_PORT (19092), KAFKA_CONTROLLER_PORT (port+1), KAFKA_PARTITIONS (6: usage.renders,
# usage.streaming), KAFKA_DEAD_LETTER_PARTITIONS (1: usage.dead-letter),
# KAFKA_NOTIFICATIONS_PARTITIONS (1: ledger.notifications), KAFKA_HEAP_OPTS (-Xms256m -Xmx512m),
# KAFKA_START_TIMEOUT (seconds, 90), KAFKA_LOG_LEVEL (INFO), KAFKA_CACHE_DIR, KAFKA_VERSION,
# KAFKA_SECURED_PORT.
# Broker log: <cache>/run/<port>/broker.log; data: a temp dir, removed by stop.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

KAFKA_PARTITIONS=${KAFKA_PARTITIONS:-6}
KAFKA_DEAD_LETTER_PARTITIONS=${KAFKA_DEAD_LETTER_PARTITIONS:-1}
KAFKA_NOTIFICATIONS_PARTITIONS=${KAFKA_NOTIFICATIONS_PARTITIONS:-1}
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}
KAFKA_START_TIMEOUT=${KAFKA_START_TIMEOUT:-90}
BOOTSTRAP=$KAFKA_HOST:$KAFKA_PORT
TOPICS=(
  "usage.renders:$KAFKA_PARTITIONS"
  "usage.streaming:$KAFKA_PARTITIONS"
  "usage.dead-letter:$KAFKA_DEAD_LETTER_PARTITIONS"
  "ledger.notifications:$KAFKA_NOTIFICATIONS_PARTITIONS"
)

ensure_topics() { # $1 = timeout in seconds
  java -Xmx128m -Dlog4j2.configurationFile="$KAFKA_DEPLOY_DIR/log4j2.properties" -Dkafka.log.level=ERROR \
    -cp "$KAFKA_LIBS_DIR/*:$KAFKA_TOOLS_DIR" EnsureTopics "$BOOTSTRAP" "$(($1 * 1000))" "${TOPICS[@]}" \
    | sed 's/^/kafka: /' >&2
}

"$KAFKA_DEPLOY_DIR/fetch.sh"

# Says whether the secured listener of a running broker can be used (secured.env and its port).
report_secured() {
  [ "$KAFKA_SECURED_PORT" = 0 ] && return 0
  if [ -s "$KAFKA_SECURED_ENV" ] && kafka_port_open "$KAFKA_HOST" "$KAFKA_SECURED_PORT"; then
    kafka_log "SASL_SSL (SCRAM-SHA-512) on $KAFKA_HOST:$KAFKA_SECURED_PORT, client settings in $KAFKA_SECURED_ENV"
  else
    kafka_log "no SASL_SSL listener of ours on $KAFKA_HOST:$KAFKA_SECURED_PORT (this broker was started without it: stop.sh, then start.sh)"
  fi
}

if kafka_port_open "$KAFKA_HOST" "$KAFKA_PORT"; then
  if pid=$(kafka_running_pid); then
    kafka_log "already running (pid $pid, log $KAFKA_RUN_DIR/broker.log); ensuring topics"
  else
    kafka_log "a broker (not started by this script) already answers on $BOOTSTRAP; ensuring topics"
  fi
  ensure_topics 30
  report_secured
  echo "KAFKA_BROKERS=$BOOTSTRAP"
  exit 0
fi

if kafka_port_open "$KAFKA_HOST" "$KAFKA_CONTROLLER_PORT"; then
  kafka_log "the controller port $KAFKA_CONTROLLER_PORT is taken; set KAFKA_CONTROLLER_PORT"
  exit 1
fi

# A broker of ours that died (or a pid file left behind): clear it up first.
if [ -f "$KAFKA_PID_FILE" ]; then
  "$KAFKA_DEPLOY_DIR/stop.sh" >&2 || true
fi

mkdir -p "$KAFKA_RUN_DIR"
CONFIG=$KAFKA_RUN_DIR/server.properties
LOG=$KAFKA_RUN_DIR/broker.log

# KAFKA_KEEP_DATA=1: start again on the data of the last broker of this port (its topics, offsets,
# cluster id, certificates and SCRAM user), as a restarted production broker would; else a fresh one.
kept=
secured=
if [ "${KAFKA_KEEP_DATA:-0}" = 1 ] && [ -f "$KAFKA_RUN_DIR/data-dir" ] && [ -f "$CONFIG" ]; then
  DATA_DIR=$(cat "$KAFKA_RUN_DIR/data-dir")
  if [ -f "$DATA_DIR/metadata/meta.properties" ]; then
    kept=yes
    kafka_log "KAFKA_KEEP_DATA=1: starting on the kept data in $DATA_DIR"
  fi
fi
read -r -a HEAP_OPTS <<<"$KAFKA_HEAP_OPTS"
JAVA_OPTS=(
  -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
  -Djava.awt.headless=true
  -Dlog4j2.configurationFile="$KAFKA_DEPLOY_DIR/log4j2.properties"
  -Dkafka.log.level="${KAFKA_LOG_LEVEL:-INFO}"
  -Dkafka.logs.dir="$KAFKA_RUN_DIR"
)
started_ms=$(($(date +%s%N) / 1000000))

if [ -z "$kept" ]; then
DATA_DIR=$(mktemp -d "${TMPDIR:-/tmp}/kafka-$KAFKA_PORT.XXXXXX")
echo "$DATA_DIR" >"$KAFKA_RUN_DIR/data-dir"
rm -f "$KAFKA_SECURED_ENV"

# The secured listener's certificates, keystore and SCRAM password, in the data dir (or none).
secured=
scram_args=()
if [ "$KAFKA_SECURED_PORT" != 0 ]; then
  if kafka_port_open "$KAFKA_HOST" "$KAFKA_SECURED_PORT"; then
    kafka_log "port $KAFKA_SECURED_PORT is taken: no SASL_SSL listener (set KAFKA_SECURED_PORT, 0 for none)"
  elif ! command -v openssl >/dev/null || ! command -v keytool >/dev/null; then
    kafka_log "openssl or keytool not found: no SASL_SSL listener"
  else
    tls=$DATA_DIR/tls
    store_password=$(openssl rand -hex 16)
    scram_password=$(openssl rand -hex 24)
    bash "$KAFKA_DEPLOY_DIR/../tls/make-certs.sh" "$tls" localhost
    openssl pkcs12 -export -name broker -in "$tls/server.crt" -inkey "$tls/server.key" -certfile "$tls/ca.crt" \
      -passout "pass:$store_password" -out "$tls/broker.p12"
    chmod 600 "$tls/broker.p12"
    # the JVM must read what openssl wrote: keytool lists the key entry, or the listener is left out
    if keytool -list -storetype PKCS12 -keystore "$tls/broker.p12" -storepass "$store_password" 2>&1 | grep -q PrivateKeyEntry; then
      secured=yes
      scram_args=(--add-scram "SCRAM-SHA-512=[name=ledger,password=$scram_password]")
    else
      kafka_log "keytool cannot read the PKCS12 keystore $tls/broker.p12: no SASL_SSL listener"
    fi
  fi
fi
listeners=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT,CONTROLLER://$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
advertised=PLAINTEXT://$KAFKA_HOST:$KAFKA_PORT
protocols=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
if [ -n "$secured" ]; then
  listeners+=,SASL_SSL://$KAFKA_HOST:$KAFKA_SECURED_PORT
  advertised+=,SASL_SSL://$KAFKA_HOST:$KAFKA_SECURED_PORT
  protocols+=,SASL_SSL:SASL_SSL
fi

cat >"$CONFIG" <<PROPS
# written by deploy/kafka/start.sh: one node, broker and controller (KRaft)
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@$KAFKA_HOST:$KAFKA_CONTROLLER_PORT
listeners=$listeners
advertised.listeners=$advertised
inter.broker.listener.name=PLAINTEXT
controller.listener.names=CONTROLLER
listener.security.protocol.map=$protocols
log.dirs=$DATA_DIR/logs
metadata.log.dir=$DATA_DIR/metadata
num.partitions=1
default.replication.factor=1
min.insync.replicas=1
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=false
num.network.threads=2
num.io.threads=4
PROPS
if [ -n "$secured" ]; then
  cat >>"$CONFIG" <<PROPS
# the SASL_SSL listener: server certificate only (no client certificates), SCRAM-SHA-512 users
listener.name.sasl_ssl.ssl.keystore.type=PKCS12
listener.name.sasl_ssl.ssl.keystore.location=$tls/broker.p12
listener.name.sasl_ssl.ssl.keystore.password=$store_password
listener.name.sasl_ssl.ssl.key.password=$store_password
listener.name.sasl_ssl.ssl.client.auth=none
listener.name.sasl_ssl.sasl.enabled.mechanisms=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;
PROPS
  chmod 600 "$CONFIG"
fi


# a 22-character base64url cluster id, as `kafka-storage random-uuid` makes (not starting with '-')
cluster_id=-
while [ "${cluster_id:0:1}" = - ]; do
  cluster_id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=')
done

kafka_log "formatting storage in $DATA_DIR"
if ! java -Xmx256m "${JAVA_OPTS[@]}" -cp "$KAFKA_LIBS_DIR/*" kafka.tools.StorageTool \
    format -t "$cluster_id" -c "$CONFIG" "${scram_args[@]}" >"$LOG" 2>&1; then
  cat "$LOG" >&2
  kafka_log "formatting failed"
  exit 1
fi

fi

kafka_log "starting the broker on $BOOTSTRAP (controller $KAFKA_HOST:$KAFKA_CONTROLLER_PORT), log $LOG"
# setsid: its own session, so it outlives this shell and a CI step's process group;
# the inner shell writes its pid, then becomes the JVM.
setsid bash -c 'echo $$ >"$0"; exec "$@"' "$KAFKA_PID_FILE" \
  java "${HEAP_OPTS[@]}" "${JAVA_OPTS[@]}" -cp "$KAFKA_LIBS_DIR/*" kafka.Kafka "$CONFIG" >>"$LOG" 2>&1 </dev/null &

deadline=$(($(date +%s) + KAFKA_START_TIMEOUT))
until kafka_port_open "$KAFKA_HOST" "$KAFKA_PORT"; do
  pid=$(cat "$KAFKA_PID_FILE" 2>/dev/null || true)
  if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
    tail -n 40 "$LOG" >&2
    kafka_log "the broker exited during start-up (log $LOG)"
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    tail -n 40 "$LOG" >&2
    kafka_log "no answer on $BOOTSTRAP after ${KAFKA_START_TIMEOUT}s; stopping it"
    "$KAFKA_DEPLOY_DIR/stop.sh" >&2 || true
    exit 1
  fi
  sleep 0.2
done

remaining=$((deadline - $(date +%s)))
if ! ensure_topics $((remaining > 10 ? remaining : 10)); then
  tail -n 40 "$LOG" >&2
  kafka_log "the broker does not serve requests; stopping it"
  "$KAFKA_DEPLOY_DIR/stop.sh" >&2 || true
  exit 1
fi
if [ -n "$secured" ]; then
  until kafka_port_open "$KAFKA_HOST" "$KAFKA_SECURED_PORT" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.2; done
  if kafka_port_open "$KAFKA_HOST" "$KAFKA_SECURED_PORT"; then
    (
      umask 077
      cat >"$KAFKA_SECURED_ENV" <<ENV
# written by deploy/kafka/start.sh: the SASL_SSL listener of the broker on $BOOTSTRAP (removed by stop.sh)
KAFKA_SECURED_BROKERS=$KAFKA_HOST:$KAFKA_SECURED_PORT
KAFKA_SASL_MECHANISM=scram-sha-512
KAFKA_SASL_USERNAME=ledger
KAFKA_SASL_PASSWORD=$scram_password
KAFKA_SSL=true
KAFKA_SSL_CA_FILE=$tls/ca.crt
ENV
      cp "$KAFKA_SECURED_ENV" "$DATA_DIR/secured.env" # for a start on the kept data
    )
  fi
  report_secured
elif [ -n "$kept" ] && [ -f "$DATA_DIR/secured.env" ]; then
  until kafka_port_open "$KAFKA_HOST" "$KAFKA_SECURED_PORT" || [ "$(date +%s)" -ge "$deadline" ]; do sleep 0.2; done
  (umask 077 && cp "$DATA_DIR/secured.env" "$KAFKA_SECURED_ENV")
  report_secured
fi
kafka_log "up (pid $(cat "$KAFKA_PID_FILE"), Kafka $(ls "$KAFKA_LIBS_DIR" | sed -n 's/^kafka-clients-\(.*\)\.jar$/\1/p')) in $(( $(date +%s%N) / 1000000 - started_ms )) ms"
echo "KAFKA_BROKERS=$BOOTSTRAP"
