package report

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"sort"

	"github.com/kbench/kbench/internal/stats"
)

// Repeats holds every run's figures of a variant run more than once
// (`kbench run --repeat N`, `repeat:` in the experiment file), or of the
// stored results a `kbench compare --history` baseline was built from.
//
// The variant's own figures are then each the median of the runs that
// measured it (see CombineRuns); Repeats keeps the samples behind every
// median, so `kbench compare` can test whether a difference is larger
// than the spread between runs.
type Repeats struct {
	// Runs is how many runs the variant's figures combine.
	Runs int `json:"runs"`
	// Figures, keyed by dotted path (produce.latency_ms.p99): each run's
	// value and the median's confidence interval. Every headline figure
	// (Figures) and every field of each latency summary is kept.
	Figures map[string]*FigureRuns `json:"figures"`
}

// FigureRuns is one figure over the runs.
type FigureRuns struct {
	// Samples: each run's value in run order; null where that run did not
	// measure the figure.
	Samples []*float64 `json:"samples"`
	// CI is the distribution-free confidence interval of the median of the
	// measured samples (stats.MedianCI, asked at 95%); absent with fewer
	// than two.
	CI *CI `json:"ci,omitempty"`
}

// CI is a confidence interval of a median: Lo..Hi covers the true median
// with probability Level (0..1). Bounds are order statistics; with five
// runs the best interval is min..max at 93.75%.
type CI struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// Measured returns the samples the runs measured (nulls dropped).
func (f *FigureRuns) Measured() []float64 {
	if f == nil {
		return nil
	}
	out := make([]float64, 0, len(f.Samples))
	for _, x := range f.Samples {
		if x != nil {
			out = append(out, *x)
		}
	}
	return out
}

// runs returns the figure's samples of v when v combines several runs, or
// nil for a single run.
func (v *Variant) runs(path string) *FigureRuns {
	if v == nil || v.Repeats == nil || v.Repeats.Runs < 2 {
		return nil
	}
	return v.Repeats.Figures[path]
}

// latencyFields are the figures of every latency summary, count first:
// the median count decides whether the summary was measured at all.
var latencyFields = []string{"count", "p50", "p90", "p99", "p999", "max", "mean"}

// combinedPaths lists the figures CombineRuns takes the median of.
func combinedPaths(runs []*Variant) []string {
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
	for _, g := range groupNames(runs...) {
		for _, f := range latencyFields {
			add("consume.groups." + quoteSeg(g) + ".latency_ms." + f)
		}
		for _, f := range []string{"lost", "unconsumed", "duplicated", "reordered"} {
			add("consume.groups." + quoteSeg(g) + ".delivery." + f)
		}
	}
	add("duration_s")
	add("produce.bytes")
	for _, f := range Figures(runs...) {
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
func CombineRuns(runs []Variant) (Variant, error) {
	if len(runs) == 0 {
		return Variant{}, fmt.Errorf("combine: no runs")
	}
	if len(runs) == 1 {
		return runs[0], nil
	}
	ptrs := make([]*Variant, len(runs))
	for i := range runs {
		if runs[i].Name != runs[0].Name {
			return Variant{}, fmt.Errorf("combine: run %d is variant %q, run 1 is %q", i+1, runs[i].Name, runs[0].Name)
		}
		ptrs[i] = &runs[i]
	}
	out, err := deepCopy(&runs[medianRun(ptrs)])
	if err != nil {
		return Variant{}, err
	}
	out.Gates = nil
	out.Repeats = &Repeats{Runs: len(runs), Figures: map[string]*FigureRuns{}}
	for _, path := range combinedPaths(ptrs) {
		fr := &FigureRuns{Samples: make([]*float64, len(runs))}
		all := true
		for i, r := range ptrs {
			if x, err := Lookup(r, path); err == nil {
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
			fr.CI = &CI{Lo: iv.Lo, Hi: iv.Hi, Level: iv.Level}
		}
		out.Repeats.Figures[path] = fr
		if all {
			err = setFigure(out, path, stats.Median(xs))
		} else {
			err = setNotMeasured(out, path)
		}
		if err != nil {
			return Variant{}, fmt.Errorf("combine: %w", err)
		}
	}
	combinePartitions(out, ptrs)
	combineDrained(out, ptrs)
	combineTimeseries(out, ptrs)
	if err := mergeHistograms(out, ptrs); err != nil {
		return Variant{}, fmt.Errorf("combine: %w", err)
	}
	return *out, nil
}

// medianRun is the index of the run with the (lower) median throughput.
func medianRun(runs []*Variant) int {
	idx := make([]int, len(runs))
	for i := range idx {
		idx[i] = i
	}
	tp := func(i int) float64 {
		x, err := Lookup(runs[i], "produce.throughput.msgs_per_s")
		if err != nil {
			return math.Inf(-1)
		}
		return x
	}
	sort.SliceStable(idx, func(a, b int) bool { return tp(idx[a]) < tp(idx[b]) })
	return idx[(len(idx)-1)/2]
}

func deepCopy(v *Variant) (*Variant, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out Variant
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// figureValue resolves a path to its settable field. A nil pointer on the
// way is allocated when alloc is set; otherwise the figure is not there
// to change and field is invalid.
func figureValue(v *Variant, path string, alloc bool) (field, parent reflect.Value, err error) {
	segs, offs, err := splitPath(path)
	if err == nil {
		err = checkPath(segs, offs)
	}
	if err != nil {
		return field, parent, fmt.Errorf("%s: %w", path, err)
	}
	cur := reflect.ValueOf(v).Elem()
	for i, seg := range segs {
		for cur.Kind() == reflect.Pointer {
			if cur.IsNil() {
				if !alloc {
					return reflect.Value{}, parent, nil
				}
				cur.Set(reflect.New(cur.Type().Elem()))
			}
			cur = cur.Elem()
		}
		parent = cur
		switch cur.Kind() {
		case reflect.Struct:
			f, _ := fieldByJSON(cur.Type(), seg)
			cur = cur.FieldByIndex(f.Index)
		case reflect.Slice:
			if cur, err = sliceElem(cur, seg, segs, i); err != nil {
				return field, parent, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	return cur, parent, nil
}

// setFigure stores x at path (rounded for integer fields).
func setFigure(v *Variant, path string, x float64) error {
	f, _, err := figureValue(v, path, true)
	if err != nil {
		return err
	}
	if f.Kind() == reflect.Pointer {
		f.Set(reflect.New(f.Type().Elem()))
		f = f.Elem()
	}
	switch {
	case f.CanInt():
		f.SetInt(int64(math.Round(x)))
	case f.CanUint():
		f.SetUint(uint64(math.Round(x)))
	case f.CanFloat():
		f.SetFloat(x)
	default:
		return fmt.Errorf("%s: not a number", path)
	}
	return nil
}

// setNotMeasured marks the figure at path as not measured, the way the
// result model spells it: a null pointer, or a latency summary without
// samples. Other figures are "not measured" for reasons every run shares
// (no consumer group, no partition load), so the median run already
// says so.
func setNotMeasured(v *Variant, path string) error {
	f, parent, err := figureValue(v, path, false)
	if err != nil || !f.IsValid() {
		return err
	}
	switch {
	case f.Kind() == reflect.Pointer:
		f.Set(reflect.Zero(f.Type()))
	case parent.Type() == reflect.TypeOf(Latency{}):
		parent.Set(reflect.Zero(parent.Type()))
	}
	return nil
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
func combinePartitions(out *Variant, runs []*Variant) {
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
			p.BrokerMessages = Int(medianInt(broker))
		}
	}
}

// combineDrained: a group drained only if it drained in every run; not
// known if a run does not know.
func combineDrained(out *Variant, runs []*Variant) {
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
func combineTimeseries(out *Variant, runs []*Variant) {
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
func mergeHistograms(out *Variant, runs []*Variant) error {
	hists := map[string]*Histogram{}
	for _, r := range runs {
		for name, enc := range r.Histograms {
			h, err := DecodeHistogram(enc)
			if err != nil {
				return fmt.Errorf("histogram %s: %w", name, err)
			}
			if hists[name] == nil {
				hists[name] = NewHistogram()
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
