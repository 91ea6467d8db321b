#!/usr/bin/env bash
# Services the component (and postgres store) tests talk to: check each, start it when it is down
# (commands from ../shared/services.md), wait until it answers, and export the URLs the tests read.
# Sourced by .ci/run (which runs with `set -euo pipefail`), so: no `exit`, every command guarded.
# Idempotent; takes well under a second when everything is already up.
#   source .ci/services.sh            # CI and local
#   SWIRL_SERVICES_NO_START=1 source .ci/services.sh   # only export the URLs

# --- the URLs the tests read (paste-able block) -----------------------------------------------
export SWIRL_TEST_REDIS_URL="${SWIRL_TEST_REDIS_URL:-redis://127.0.0.1:6379}"
export SWIRL_TEST_PG_URL="${SWIRL_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
export SWIRL_TEST_RABBITMQ_URL="${SWIRL_TEST_RABBITMQ_URL:-amqp://guest:guest@127.0.0.1:5672}"
export SWIRL_TEST_MQTT_URL="${SWIRL_TEST_MQTT_URL:-mqtt://127.0.0.1:1883}"
export SWIRL_TEST_NATS_URL="${SWIRL_TEST_NATS_URL:-nats://127.0.0.1:4222}"
# -----------------------------------------------------------------------------------------------

_swirl_port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# _swirl_ensure <name> <port> <seconds to wait> <start command…>
_swirl_ensure() {
  local name="$1" port="$2" wait="$3"; shift 3
  if _swirl_port_open "$port"; then echo "== service $name: up (:$port)"; return 0; fi
  if [ -n "${SWIRL_SERVICES_NO_START:-}" ]; then echo "== service $name: DOWN (:$port), not starting"; return 0; fi
  echo "== service $name: down, starting: $*"
  "$@" >/dev/null 2>&1 || echo "   (start command returned $?)"
  local i=0
  while [ "$i" -lt $((wait * 5)) ]; do
    if _swirl_port_open "$port"; then echo "== service $name: up after $((i / 5))s"; return 0; fi
    sleep 0.2; i=$((i + 1))
  done
  echo "== service $name: still down after ${wait}s — its tests will fail" >&2
  return 0
}

_swirl_ensure postgres 5432 30 bash -c 'pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start'
_swirl_ensure redis 6379 15 redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log
_swirl_ensure rabbitmq 5672 60 rabbitmq-server -detached
_swirl_ensure mosquitto 1883 15 mosquitto -d -c /etc/mosquitto/mosquitto.conf
_swirl_ensure nats 4222 15 start-stop-daemon --start --oknodo --background --exec /usr/sbin/nats-server -- -a 127.0.0.1 -p 4222 -js -sd /var/lib/nats-server -l /var/log/nats-server.log
unset -f _swirl_ensure _swirl_port_open
