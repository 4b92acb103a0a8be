# Shared settings of fetch.sh, start.sh and stop.sh (sourced, not run).
# Everything can be overridden from the environment.

KAFKA_DEPLOY_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_kafka_repo_root=$(git -C "$KAFKA_DEPLOY_DIR" rev-parse --show-toplevel 2>/dev/null \
  || (cd "$KAFKA_DEPLOY_DIR/../.." && pwd))

# The cache (gitignored): libs/ = the broker's jars, tools/ = the compiled topic helper,
# run/<port>/ = config, pid file and log of a running broker.
KAFKA_CACHE_DIR=${KAFKA_CACHE_DIR:-$_kafka_repo_root/.deploy-cache/kafka}
KAFKA_LIBS_DIR=$KAFKA_CACHE_DIR/libs
KAFKA_TOOLS_DIR=$KAFKA_CACHE_DIR/tools

KAFKA_HOST=127.0.0.1
KAFKA_PORT=${KAFKA_PORT:-19092}
KAFKA_CONTROLLER_PORT=${KAFKA_CONTROLLER_PORT:-$((KAFKA_PORT + 1))}
KAFKA_RUN_DIR=$KAFKA_CACHE_DIR/run/$KAFKA_PORT
KAFKA_PID_FILE=$KAFKA_RUN_DIR/broker.pid
# The second listener, SASL_SSL with SCRAM-SHA-512 (0 = none). What a client needs to use it
# (address, mechanism, user, password, CA file) is written to KAFKA_SECURED_ENV while it is up.
KAFKA_SECURED_PORT=${KAFKA_SECURED_PORT:-$((KAFKA_PORT + 2))}
KAFKA_SECURED_ENV=$KAFKA_RUN_DIR/secured.env

kafka_log() { echo "kafka: $*" >&2; }

# true when something accepts TCP connections on host:port
kafka_port_open() {
  (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null
}

# pid of the broker this script started on KAFKA_PORT, if it is still alive
kafka_running_pid() {
  local pid
  [ -f "$KAFKA_PID_FILE" ] || return 1
  pid=$(cat "$KAFKA_PID_FILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # guard against a recycled pid: it must be our broker's JVM
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'kafka\.Kafka' || return 1
  echo "$pid"
}
