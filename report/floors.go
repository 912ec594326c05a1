package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// FloorRule is one default noise floor: figures whose path matches Pattern
// ("*" for any one segment) never regress, nor improve, by Floor or less
// (in the figure's unit), whatever the tolerance; and a baseline within
// Floor of zero gets no relative change (a percentage of a near-zero
// baseline says nothing).
type FloorRule struct {
	Pattern string
	Floor   float64
	Why     string
}

// DefaultFloors are the noise floors of `kbench compare`, measured on a
// shared 2-core machine: run-to-run differences of unchanged code stayed
// below them. Figures not listed (throughput, errors, delivery counts,
// rebalances, idle partitions, max spread) have no floor: any change
// beyond the tolerance counts. Override with --floor PATH=VALUE.
var DefaultFloors = []FloorRule{
	{"produce.latency_ms.*", 0.5, "scheduling jitter of a busy machine is a fraction of a millisecond"},
	{"produce.latency_corrected_ms.*", 0.5, "as latency"},
	{"produce.send_delay_ms.*", 0.5, "as latency"},
	{"e2e.latency_ms.*", 0.5, "as latency"},
	{"consume.groups.*.latency_ms.*", 0.5, "as latency"},
	{"consume.groups.*.lag.drain_ms", 100, "the drain is polled; sub-100 ms drains are timing noise"},
	{"consume.groups.*.failover_ms", 100, "failover is timed to the group's rebalance; jitter is tens of ms"},
	{"consume.groups.*.lag.max", 1000, "lag is sampled once a second while a consumer fetches in batches"},
	{"consume.groups.*.lag.final", 1000, "as lag max"},
	{"skew.max_mean", 0.05, "sampling noise of the partition counts"},
	{"bytes_skew.max_mean", 0.05, "as skew"},
	{"skew.cov", 0.02, "as skew"},
	{"skew.gini", 0.01, "as skew"},
	{"skew.jain", 0.01, "as skew"},
	{"skew.hottest_share", 0.01, "one percentage point"},
	{"keys.ordering.preserved_share", 0.001, "a tenth of a percentage point"},
}

// FloorFor returns the noise floor of a figure: an override in Floors
// (exact path first, then "*" patterns), else the default, else 0.
func (t Tolerance) FloorFor(path string) float64 {
	if f, ok := t.Floors[path]; ok {
		return f
	}
	keys := make([]string, 0, len(t.Floors))
	for k := range t.Floors {
		keys = append(keys, k)
	}
	sort.Strings(keys) // overlapping patterns: the same one wins every time
	for _, k := range keys {
		if matchPath(k, path) {
			return t.Floors[k]
		}
	}
	for _, r := range DefaultFloors {
		if matchPath(r.Pattern, path) {
			return r.Floor
		}
	}
	return 0
}

// ParseFloors adds --floor values to t: "PATH=VALUE" (absolute, in the
// figure's unit; "*" matches any one segment). Repeatable or
// comma-separated.
func (t *Tolerance) ParseFloors(specs []string) error {
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			path, val, ok := strings.Cut(s, "=")
			path = strings.TrimSpace(path)
			if !ok || path == "" {
				return fmt.Errorf("floor %q: want PATH=VALUE, e.g. produce.latency_ms.p99=1", s)
			}
			if err := ValidatePath(strings.ReplaceAll(path, ".*.", ".any.")); err != nil {
				return fmt.Errorf("floor %q: %w", s, err)
			}
			x, err := strconv.ParseFloat(strings.TrimSpace(val), 64)
			if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
				return fmt.Errorf("floor %q: %q is not a non-negative number (in the figure's unit)", s, strings.TrimSpace(val))
			}
			if t.Floors == nil {
				t.Floors = map[string]float64{}
			}
			t.Floors[path] = x
		}
	}
	return nil
}

// notGatedByDefault: fields of a latency summary that are reported but do
// not fail a comparison unless a per-figure tolerance names them. The far
// tail (p99.9, max) of a few seconds' run rests on a handful of samples and
// moves with every hiccup of the machine; p90 and the mean add nothing to
// p50 and p99 as a gate.
var notGatedByDefault = map[string]bool{"p90": true, "p999": true, "max": true, "mean": true, "count": true}

// GatedByDefault reports whether a figure fails a comparison by default:
// throughput, errors, p50 and p99 of every latency, skew, ordering,
// delivery, lag, drain, failover and rebalances are gated; p90, p99.9, max
// and mean of a latency are reported only (name one with --tolerance to
// gate it). Figures without a direction (message counts, distinct keys)
// never regress.
func GatedByDefault(path string) bool {
	i := strings.LastIndexByte(path, '.')
	if i < 0 {
		return true
	}
	parent := path[:i]
	if strings.HasSuffix(parent, "latency_ms") || strings.HasSuffix(parent, "latency_corrected_ms") || strings.HasSuffix(parent, "send_delay_ms") {
		return !notGatedByDefault[path[i+1:]]
	}
	return true
}
