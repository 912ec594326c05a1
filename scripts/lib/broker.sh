# Shared by the measurement scripts (overhead.sh, consume-overhead.sh,
# instances.sh, metrics-overhead.sh, compare-builds.sh): a fresh `kbench broker` in its own
# process per measurement. Source it after setting tmp (holding the built
# kbench as $tmp/kbench), port and broker_pid=; the caller's EXIT trap
# calls stop_broker.

# start_broker [PARTITIONS [BROKER FLAGS...]]: start one on 127.0.0.1:$port
# (default 6 partitions) and wait until it accepts connections (5 s).
start_broker() {
  "$tmp/kbench" broker --listen 127.0.0.1:$port --partitions "${1:-6}" "${@:2}" >/dev/null 2>&1 &
  broker_pid=$!
  for _ in $(seq 50); do (echo >/dev/tcp/127.0.0.1/$port) 2>/dev/null && return; sleep 0.1; done
  echo "broker did not start" >&2; exit 1
}

# stop_broker: stop the running one, if any, and wait for it.
stop_broker() {
  [ -n "$broker_pid" ] || return 0
  kill "$broker_pid" 2>/dev/null || true
  wait "$broker_pid" 2>/dev/null || true
  broker_pid=
}
