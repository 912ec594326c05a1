# Shared by overhead.sh, instances.sh and compare-builds.sh: the unthrottled
# producer run they measure, so every comparison uses the same settings.

# unthrottled_yaml NAME DRIVER INSTANCES: the experiment on stdout. 100-byte
# keyed messages (service keys), acks=all, 6 partitions, linger 5ms, no
# consumers, 100,000 messages in flight per instance; franz-go's batch_size
# is 1563 because its client buffers 64 x batch_size records (so also
# 100,000, as the bare loop's MaxBufferedRecords).
unthrottled_yaml() {
  local batch=1000
  [ "$2" = franz-go ] && batch=1563
  cat <<YAML
name: $1
topic: {partitions: 6}
workload:
  rate: 0
  message: {size: 100}
  keying: {strategy: service}
producer: {driver: $2, instances: $3, batch_size: $batch, linger: 5ms, acks: all, max_in_flight: 100000}
consumers: []
YAML
}
