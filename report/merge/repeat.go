package merge

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"

	"github.com/kbench/kbench/internal/stats"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
)

// latencyFields are the figures of every latency summary, count first:
// the median count decides whether the summary was measured at all.
var latencyFields = []string{"count", "p50", "p90", "p99", "p999", "max", "mean"}

// combinedPaths lists the figures CombineRuns takes the median of.
func combinedPaths(runs []*report.Variant) []string {
	var paths []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			paths = append(paths, p)
		}
	}
	for _, pre := range []string{"produce.latency_ms", "produce.latency_corrected_ms", "produce.send_delay_ms", "e2e.latency_ms"} {
		for _, f := range latencyFields {
			add(pre + "." + f)
		}
	}
	for _, g := range report.GroupNames(runs...) {
		for _, f := range latencyFields {
			add("consume.groups." + report.QuoteSeg(g) + ".latency_ms." + f)
		}
		for _, f := range []string{"lost", "unconsumed", "duplicated", "reordered"} {
			add("consume.groups." + report.QuoteSeg(g) + ".delivery." + f)
		}
	}
	add("duration_s")
	add("produce.bytes")
	for _, f := range report.Figures(runs...) {
		add(f.Path)
	}
	return paths
}

// CombineRuns makes one variant of several runs of it (in run order):
//
//   - each figure (every headline figure and latency summary field) is the
//     median of the runs that measured it, and is not measured when a run
//     did not measure it (a run that never drained makes drain_ms "not
//     measured", not the median of the others); every run's value is kept
//     in Repeats, with the median's confidence interval;
//   - histograms of all runs are merged, for the percentile spectra;
//   - per-partition counts are the median per partition, the per-second
//     series the median per second;
//   - everything else (configuration, hot keys, faults, rebalance details)
//     is that of the median run: the run whose throughput is the (lower)
//     median;
//   - gates are cleared: evaluate them on the combined variant.
//
// One run is returned as it is, without Repeats.
func CombineRuns(runs []report.Variant) (report.Variant, error) {
	if len(runs) == 0 {
		return report.Variant{}, fmt.Errorf("combine: no runs")
	}
	if len(runs) == 1 {
		return runs[0], nil
	}
	ptrs := make([]*report.Variant, len(runs))
	for i := range runs {
		if runs[i].Name != runs[0].Name {
			return report.Variant{}, fmt.Errorf("combine: run %d is variant %q, run 1 is %q", i+1, runs[i].Name, runs[0].Name)
		}
		ptrs[i] = &runs[i]
	}
	out, err := deepCopy(&runs[medianRun(ptrs)])
	if err != nil {
		return report.Variant{}, err
	}
	out.Gates = nil
	out.Repeats = &report.Repeats{Runs: len(runs), Figures: map[string]*report.FigureRuns{}}
	for _, path := range combinedPaths(ptrs) {
		fr := &report.FigureRuns{Samples: make([]*float64, len(runs))}
		all := true
		for i, r := range ptrs {
			if x, err := report.Lookup(r, path); err == nil {
				fr.Samples[i] = &x
			} else {
				all = false
			}
		}
		xs := fr.Measured()
		if len(xs) == 0 {
			continue // no run has it (e.g. no consumer group)
		}
		if iv, ok := stats.MedianCI(xs, stats.DefaultConfidence); ok && len(xs) > 1 {
			fr.CI = &report.CI{Lo: iv.Lo, Hi: iv.Hi, Level: iv.Level}
		}
		out.Repeats.Figures[path] = fr
		if all {
			err = report.SetFigure(out, path, stats.Median(xs))
		} else {
			err = report.SetNotMeasured(out, path)
		}
		if err != nil {
			return report.Variant{}, fmt.Errorf("combine: %w", err)
		}
	}
	combinePartitions(out, ptrs)
	combineDrained(out, ptrs)
	combineTimeseries(out, ptrs)
	if err := mergeHistograms(out, ptrs); err != nil {
		return report.Variant{}, fmt.Errorf("combine: %w", err)
	}
	return *out, nil
}

// medianRun is the index of the run with the (lower) median throughput.
func medianRun(runs []*report.Variant) int {
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	tp := func(i int) float64 {
		x, err := report.Lookup(runs[i], "produce.throughput.msgs_per_s")
		if err != nil {
			return math.Inf(-1)
		}
		return x
	}
	sort.SliceStable(idx, func(a, b int) bool { return tp(idx[a]) < tp(idx[b]) })
	return idx[(len(idx)-1)/2]
}

func deepCopy(v *report.Variant) (*report.Variant, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out report.Variant
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func medianInt(xs []int64) int64 {
	fs := make([]float64, len(xs))
	for i, x := range xs {
		fs[i] = float64(x)
	}
	return int64(math.Round(stats.Median(fs)))
}

// combinePartitions: per partition, the median of the runs' counts (the
// broker's count only when every run could read it).
func combinePartitions(out *report.Variant, runs []*report.Variant) {
	for i := range out.Partitions {
		p := &out.Partitions[i]
		var msgs, bytes, broker []int64
		for _, r := range runs {
			for _, q := range r.Partitions {
				if q.Partition != p.Partition {
					continue
				}
				msgs, bytes = append(msgs, q.Messages), append(bytes, q.Bytes)
				if q.BrokerMessages != nil {
					broker = append(broker, *q.BrokerMessages)
				}
			}
		}
		if len(msgs) != len(runs) {
			continue
		}
		p.Messages, p.Bytes = medianInt(msgs), medianInt(bytes)
		p.BrokerMessages = nil
		if len(broker) == len(runs) {
			p.BrokerMessages = report.Int(medianInt(broker))
		}
	}
}

// combineDrained: a group drained only if it drained in every run; not
// known if a run does not know.
func combineDrained(out *report.Variant, runs []*report.Variant) {
	for i := range out.Consume.Groups {
		g := &out.Consume.Groups[i]
		drained := true
		known := true
		for _, r := range runs {
			for _, q := range r.Consume.Groups {
				if q.Group != g.Group {
					continue
				}
				if q.Drained == nil {
					known = false
				} else if !*q.Drained {
					drained = false
				}
			}
		}
		switch {
		case !drained:
			g.Drained = new(bool)
		case !known:
			g.Drained = nil
		}
	}
}

// combineTimeseries: per second of the run, the median of the runs.
func combineTimeseries(out *report.Variant, runs []*report.Variant) {
	for i := range out.Timeseries {
		s := &out.Timeseries[i]
		var sent, acked, consumed, lag []int64
		var p99 []float64
		for _, r := range runs {
			for _, q := range r.Timeseries {
				if math.Abs(q.T-s.T) < 0.5 {
					sent, acked, consumed = append(sent, q.Sent), append(acked, q.Acked), append(consumed, q.Consumed)
					lag, p99 = append(lag, q.Lag), append(p99, q.P99Ms)
					break
				}
			}
		}
		if len(sent) > 0 {
			s.Sent, s.Acked, s.Consumed, s.Lag = medianInt(sent), medianInt(acked), medianInt(consumed), medianInt(lag)
			s.P99Ms = stats.Median(p99)
		}
	}
}

// mergeHistograms merges every run's histograms, name by name.
func mergeHistograms(out *report.Variant, runs []*report.Variant) error {
	hists := map[string]*recorder.Histogram{}
	for _, r := range runs {
		for name, enc := range r.Histograms {
			h, err := recorder.DecodeHistogram(enc)
			if err != nil {
				return fmt.Errorf("histogram %s: %w", name, err)
			}
			if hists[name] == nil {
				hists[name] = recorder.NewHistogram()
			}
			hists[name].Merge(h)
		}
	}
	if len(hists) == 0 {
		return nil
	}
	out.Histograms = map[string]string{}
	for name, h := range hists {
		enc, err := h.Encode()
		if err != nil {
			return fmt.Errorf("histogram %s: %w", name, err)
		}
		out.Histograms[name] = enc
	}
	return nil
}
