// Package metrics exposes a run live: an OpenMetrics/Prometheus endpoint
// (families prefixed kbench_) and a JSON-lines stream, both fed by the
// runner's once-a-second snapshots (runner.Observer), so nothing here
// touches the producers' or consumers' hot path.
package metrics
