package report

import "fmt"

// Direction says which way a figure improves.
type Direction int

const (
	// Neutral figures are shown but never "best" and never regress.
	Neutral Direction = iota
	// HigherBetter: throughput, Jain fairness, order preserved.
	HigherBetter
	// LowerBetter: latency, skew, lag, lost/duplicated/reordered.
	LowerBetter
)

func (d Direction) String() string {
	switch d {
	case HigherBetter:
		return "higher is better"
	case LowerBetter:
		return "lower is better"
	}
	return "neutral"
}

// Figure is one headline figure: a dotted path into the variant (see
// Lookup), how to label and format it, and its direction.
type Figure struct {
	Section string
	Path    string
	Label   string
	Better  Direction
	// Format: "int", "f1", "f2", "f3", "pct" (a share 0..1 shown as %), "ms".
	Format string
}

// headline figures, in display order. Per-group figures are added by
// Figures for each consumer group present.
var headline = []Figure{
	{"produce", "produce.messages", "messages", Neutral, "int"},
	{"produce", "produce.throughput.msgs_per_s", "throughput msg/s", HigherBetter, "int"},
	{"produce", "produce.throughput.mib_per_s", "throughput MiB/s", HigherBetter, "f2"},
	{"produce", "produce.errors", "errors", LowerBetter, "int"},
	{"produce", "produce.unsent", "unsent (fell behind)", LowerBetter, "int"},
	{"produce", "produce.unacknowledged", "unacknowledged", LowerBetter, "int"},
	{"produce", "produce.latency_ms.p50", "latency p50 ms", LowerBetter, "ms"},
	{"produce", "produce.latency_ms.p90", "latency p90 ms", LowerBetter, "ms"},
	{"produce", "produce.latency_ms.p99", "latency p99 ms", LowerBetter, "ms"},
	{"produce", "produce.latency_ms.p999", "latency p99.9 ms", LowerBetter, "ms"},
	{"produce", "produce.latency_ms.max", "latency max ms", LowerBetter, "ms"},
	{"produce", "produce.latency_corrected_ms.p99", "corrected p99 ms", LowerBetter, "ms"},
	{"produce", "produce.send_delay_ms.p99", "send delay p99 ms", LowerBetter, "ms"},
	{"e2e", "e2e.latency_ms.p50", "e2e p50 ms", LowerBetter, "ms"},
	{"e2e", "e2e.latency_ms.p99", "e2e p99 ms", LowerBetter, "ms"},
	{"e2e", "e2e.latency_ms.p999", "e2e p99.9 ms", LowerBetter, "ms"},
	{"e2e", "e2e.latency_ms.max", "e2e max ms", LowerBetter, "ms"},
	{"skew", "skew.max_mean", "max/mean", LowerBetter, "f2"},
	{"skew", "skew.cov", "cov", LowerBetter, "f3"},
	{"skew", "skew.gini", "gini", LowerBetter, "f3"},
	{"skew", "skew.jain", "jain", HigherBetter, "f3"},
	{"skew", "skew.hottest_share", "hottest share", LowerBetter, "pct"},
	{"skew", "skew.idle", "idle partitions", LowerBetter, "int"},
	{"skew", "bytes_skew.max_mean", "bytes max/mean", LowerBetter, "f2"},
	{"keys", "keys.distinct", "distinct keys", Neutral, "int"},
	{"keys", "keys.ordering.preserved_share", "order preserved", HigherBetter, "pct"},
	{"keys", "keys.ordering.max_spread", "max spread", LowerBetter, "int"},
	{"delivery", "delivery.lost", "lost", LowerBetter, "int"},
	{"delivery", "delivery.unconsumed", "unconsumed (backlog)", LowerBetter, "int"},
	{"delivery", "delivery.duplicated", "duplicated", LowerBetter, "int"},
	{"delivery", "delivery.reordered", "reordered", LowerBetter, "int"},
}

// searchFigure heads the figures of a capacity search's variants.
var searchFigure = Figure{"search", "search.max_sustainable_msgs_per_s", "max sustainable msg/s", HigherBetter, "int"}

// groupFigures are repeated for every consumer group (Section becomes
// "group NAME"); %s in Path is the group.
var groupFigures = []Figure{
	{"consume", "consume.groups.%s.messages", "consumed", Neutral, "int"},
	{"consume", "consume.groups.%s.msgs_per_s", "consumed msg/s", HigherBetter, "int"},
	{"consume", "consume.groups.%s.lag.max", "lag max", LowerBetter, "int"},
	{"consume", "consume.groups.%s.lag.final", "lag final", LowerBetter, "int"},
	{"consume", "consume.groups.%s.lag.drain_ms", "drain ms", LowerBetter, "ms"},
	{"consume", "consume.groups.%s.delivery.unconsumed", "unconsumed", LowerBetter, "int"},
	{"consume", "consume.groups.%s.rebalances", "rebalances", LowerBetter, "int"},
	{"consume", "consume.groups.%s.rebalance_pause_ms", "rebalance pause ms", LowerBetter, "ms"},
	{"consume", "consume.groups.%s.failover_ms", "failover ms", LowerBetter, "ms"},
}

// Figures returns the headline figures for a set of variants: the fixed
// ones, then the per-group ones for every group any of them has.
func Figures(vs ...*Variant) []Figure {
	out := make([]Figure, 0, len(headline)+8)
	for _, v := range vs {
		if v != nil && v.Search != nil {
			out = append(out, searchFigure)
			break
		}
	}
	for _, f := range headline {
		if f.Section == "delivery" {
			continue
		}
		out = append(out, f)
	}
	for _, g := range GroupNames(vs...) {
		for _, f := range groupFigures {
			f.Path = sprintf(f.Path, QuoteSeg(g))
			f.Section = "group " + g
			out = append(out, f)
		}
	}
	for _, f := range headline {
		if f.Section == "delivery" {
			out = append(out, f)
		}
	}
	return out
}

func sprintf(format, s string) string { return fmt.Sprintf(format, s) }
