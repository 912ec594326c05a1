package merge_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
	"github.com/kbench/kbench/report/merge"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/verdict"
)

// runsOf makes n runs of a fixture variant, with produce p99, p99.9 and
// throughput drawn around the given centres (a relative noise of sd).
func runsOf(t *testing.T, v report.Variant, n int, rng *rand.Rand, p99, tp, sd float64) []report.Variant {
	t.Helper()
	out := make([]report.Variant, n)
	for i := range out {
		c, err := copyVariant(&v)
		if err != nil {
			t.Fatal(err)
		}
		c.Histograms, c.Timeseries = nil, nil // not needed here; keeps the test fast
		noise := func() float64 { return 1 + sd*rng.NormFloat64() }
		c.Produce.Latency.P99 = p99 * noise()
		c.Produce.Latency.P999 = 3 * p99 * noise()
		c.Produce.Throughput.MsgsPerS = tp * noise()
		out[i] = *c
	}
	return out
}

func combined(t *testing.T, runs []report.Variant) *report.Result {
	t.Helper()
	v, err := merge.CombineRuns(runs)
	if err != nil {
		t.Fatal(err)
	}
	return &report.Result{Experiment: "x", Variants: []report.Variant{v}}
}

func TestCombineRuns(t *testing.T) {
	fx := fixture.Load(t)
	runs := make([]report.Variant, 5)
	p99s := []float64{9, 7, 8, 30, 8.5} // one outlier run
	for i := range runs {
		c, _ := copyVariant(&fx.Variants[0])
		c.Produce.Latency.P99 = p99s[i]
		c.Produce.Throughput.MsgsPerS = float64(5000 + i)
		d := float64(100 + i)
		c.Consume.Groups[0].Lag.DrainMs = &d
		runs[i] = *c
	}
	runs[3].Consume.Groups[0].Lag.DrainMs = nil // never drained
	runs[3].Consume.Groups[0].Drained = new(bool)
	v, err := merge.CombineRuns(runs)
	if err != nil {
		t.Fatal(err)
	}
	if v.Produce.Latency.P99 != 8.5 || v.Produce.Throughput.MsgsPerS != 5002 {
		t.Errorf("medians: p99 %v throughput %v", v.Produce.Latency.P99, v.Produce.Throughput.MsgsPerS)
	}
	fr := v.Repeats.Figures["produce.latency_ms.p99"]
	if v.Repeats.Runs != 5 || len(fr.Samples) != 5 || *fr.Samples[3] != 30 {
		t.Fatalf("samples: %+v", fr)
	}
	// Five runs: the interval is min..max at 93.75%.
	if fr.CI == nil || fr.CI.Lo != 7 || fr.CI.Hi != 30 || math.Abs(fr.CI.Level-0.9375) > 1e-9 {
		t.Errorf("ci %+v", fr.CI)
	}
	// One run never drained: the combined drain is not measured, and the
	// run's sample is null.
	if _, err := report.Lookup(&v, "consume.groups.realtime-monitoring.lag.drain_ms"); err == nil {
		t.Error("drain measured although a run never drained")
	}
	if d := v.Repeats.Figures["consume.groups.realtime-monitoring.lag.drain_ms"]; d.Samples[3] != nil || len(d.Measured()) != 4 {
		t.Errorf("drain samples %+v", d.Samples)
	}
	if g := v.Consume.Groups[0]; g.Drained == nil || *g.Drained {
		t.Errorf("drained %v although a run did not drain", g.Drained)
	}
	// Histograms of all runs merged: five times the samples.
	h, err := recorder.DecodeHistogram(v.Histograms["produce"])
	h1, _ := recorder.DecodeHistogram(runs[0].Histograms["produce"])
	if err != nil || h.Count() != 5*h1.Count() {
		t.Errorf("merged histogram count %d, one run %d (%v)", h.Count(), h1.Count(), err)
	}
	// The inputs are untouched.
	if runs[2].Produce.Latency.P99 != 8 || runs[0].Repeats != nil {
		t.Error("CombineRuns changed its input")
	}
	// JSON round trip keeps the samples; the path is not a figure.
	b, _ := json.Marshal(v)
	var back report.Variant
	if err := json.Unmarshal(b, &back); err != nil || len(back.Repeats.Figures["produce.latency_ms.p99"].Samples) != 5 {
		t.Errorf("round trip: %v", err)
	}
	if err := report.ValidatePath("repeats.runs"); err == nil {
		t.Error("repeats is addressable as a figure")
	}
	if _, err := merge.CombineRuns([]report.Variant{runs[0], {Name: "other"}}); err == nil {
		t.Error("runs of different variants combined")
	}
}

// Repeated runs of one distribution compare as "~" (or ok) however far
// the medians drift; a real shift is flagged.
func TestCompareSignificance(t *testing.T) {
	fx := fixture.Load(t)
	v := fx.Variants[0]
	rng := rand.New(rand.NewPCG(1, 2))
	tol := report.DefaultTolerance
	falseAlarms := 0
	for i := 0; i < 100; i++ {
		// 15% run-to-run noise: medians of 5 often differ by >10%.
		base := combined(t, runsOf(t, v, 5, rng, 8, 5000, 0.15))
		cur := combined(t, runsOf(t, v, 5, rng, 8, 5000, 0.15))
		c := verdict.Compare(base, cur, tol)
		if c.Regressed() {
			falseAlarms++
		}
		if i == 0 {
			d := findDelta(t, c, v.Name, "produce.latency_ms.p99")
			if d.P == nil || d.BaseRuns != 5 || d.CurRuns != 5 || d.BaseCI == nil {
				t.Fatalf("not tested: %+v", d)
			}
			if !strings.Contains(c.Variants[0].Method, "Mann–Whitney") {
				t.Errorf("method %q", c.Variants[0].Method)
			}
		}
	}
	// Each comparison tests two gated figures (p99, throughput), each
	// one-sidedly harmful at most at α/2: well under 10% of comparisons.
	if falseAlarms > 10 {
		t.Errorf("%d of 100 comparisons of equal distributions regressed", falseAlarms)
	}
	// p99 +10 ms on 8 ms and throughput -25% are flagged every time.
	for i := 0; i < 20; i++ {
		base := combined(t, runsOf(t, v, 5, rng, 8, 5000, 0.05))
		cur := combined(t, runsOf(t, v, 5, rng, 18, 3750, 0.05))
		c := verdict.Compare(base, cur, tol)
		for _, p := range []string{"produce.latency_ms.p99", "produce.throughput.msgs_per_s"} {
			if d := findDelta(t, c, v.Name, p); !d.Regression || d.P == nil || *d.P >= 0.05 {
				t.Fatalf("%s not flagged: %+v", p, d)
			}
		}
		// p99.9 moved too, but is not gated by default.
		if d := findDelta(t, c, v.Name, "produce.latency_ms.p999"); d.Regression || !d.Worse || d.Gated {
			t.Fatalf("p99.9: %+v", d)
		}
	}
}

// A large difference of the medians that the runs do not support is "~".
func TestCompareNotSignificant(t *testing.T) {
	fx := fixture.Load(t)
	mk := func(p99s ...float64) *report.Result {
		runs := make([]report.Variant, len(p99s))
		for i, x := range p99s {
			c, _ := copyVariant(&fx.Variants[0])
			c.Produce.Latency.P99 = x
			runs[i] = *c
		}
		return combined(t, runs)
	}
	base := mk(5, 9, 6, 20, 7)
	cur := mk(8, 21, 9, 6, 19) // median 9 vs 7: +28%, overlapping runs
	c := verdict.Compare(base, cur, report.DefaultTolerance)
	d := findDelta(t, c, fx.Variants[0].Name, "produce.latency_ms.p99")
	if d.Regression || !d.NotSignificant || render.DeltaStatus(d) != "~" || d.P == nil || *d.P < 0.05 {
		t.Errorf("overlapping runs: %+v (status %q)", d, render.DeltaStatus(d))
	}
	var buf bytes.Buffer
	if err := render.RenderComparison(&buf, &c, "text"); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "~") || !strings.Contains(buf.String(), "±") {
		t.Errorf("text:\n%s", buf.String())
	}
	// 3 v 3 cannot reach significance: compared like single runs, and
	// said so.
	c = verdict.Compare(mk(5, 6, 7), mk(9, 10, 11), report.DefaultTolerance)
	d = findDelta(t, c, fx.Variants[0].Name, "produce.latency_ms.p99")
	if !d.Regression || d.P != nil || !strings.Contains(c.Variants[0].Method, "cannot reach significance") {
		t.Errorf("3 v 3: %+v, %q", d, c.Variants[0].Method)
	}
}

func TestNoiseFloors(t *testing.T) {
	base := fixture.Load(t)
	cur := fixture.Load(t)
	p := &cur.Variants[0]
	b := &base.Variants[0]
	b0, p0 := 0.001, 20.75
	b.Consume.Groups[0].Lag.DrainMs = &b0
	p.Consume.Groups[0].Lag.DrainMs = &p0               // +2,075,000%: under the 100 ms floor
	p.Produce.Latency.P50 = b.Produce.Latency.P50 + 0.4 // under the 0.5 ms floor
	p.E2E.Latency.P99 = b.E2E.Latency.P99 + 0.6         // over it
	c := verdict.Compare(base, cur, report.DefaultTolerance)
	drain := findDelta(t, c, "path", "consume.groups.realtime-monitoring.lag.drain_ms")
	if drain.Regression || drain.Pct != nil || render.DeltaPct(drain) != "-" || drain.Floor != 100 {
		t.Errorf("drain on a near-zero baseline: %+v %s", drain, render.DeltaPct(drain))
	}
	if d := findDelta(t, c, "path", "produce.latency_ms.p50"); d.Regression {
		t.Errorf("p50 +0.4 ms regressed: %+v", d)
	}
	if !strings.Contains(c.Variants[0].Method, "single runs") {
		t.Errorf("method %q", c.Variants[0].Method)
	}
	// With a 1% tolerance, +0.6 ms is beyond the floor and regresses,
	// +0.4 ms is not.
	c = verdict.Compare(base, cur, report.Tolerance{Default: report.Tol{Rel: 0.01}})
	if d := findDelta(t, c, "path", "e2e.latency_ms.p99"); !d.Regression {
		t.Errorf("e2e p99 +0.6 ms at 1%%: %+v", d)
	}
	if d := findDelta(t, c, "path", "produce.latency_ms.p50"); d.Regression {
		t.Errorf("p50 +0.4 ms at 1%%: %+v", d)
	}
	// Overridden floors.
	tol := report.DefaultTolerance
	if err := tol.ParseFloors([]string{"consume.groups.*.lag.drain_ms=10", "produce.latency_ms.p50=0"}); err != nil {
		t.Fatal(err)
	}
	c = verdict.Compare(base, cur, tol)
	if d := findDelta(t, c, "path", "consume.groups.realtime-monitoring.lag.drain_ms"); !d.Regression {
		t.Errorf("drain with a 10 ms floor: %+v", d)
	}
	if d := findDelta(t, c, "path", "produce.latency_ms.p50"); !d.Regression {
		t.Errorf("p50 with no floor: %+v", d)
	}
	for _, bad := range []string{"nosuch=1", "produce.latency_ms.p99", "produce.latency_ms.p99=-1", "produce.latency_ms.p99=x"} {
		var tt report.Tolerance
		if err := tt.ParseFloors([]string{bad}); err == nil {
			t.Errorf("floor %q accepted", bad)
		}
	}
}

func TestGatedByDefault(t *testing.T) {
	gated := []string{"produce.throughput.msgs_per_s", "produce.latency_ms.p50", "produce.latency_ms.p99",
		"e2e.latency_ms.p99", "produce.send_delay_ms.p99", "skew.gini", "keys.ordering.preserved_share",
		"delivery.lost", "consume.groups.g.lag.max", "consume.groups.g.lag.drain_ms"}
	for _, p := range gated {
		if !report.GatedByDefault(p) {
			t.Errorf("%s not gated", p)
		}
	}
	for _, p := range []string{"produce.latency_ms.p999", "produce.latency_ms.max", "e2e.latency_ms.max", "produce.latency_ms.p90"} {
		if report.GatedByDefault(p) {
			t.Errorf("%s gated by default", p)
		}
	}
	// Naming a figure in --tolerance gates it.
	base := fixture.Load(t)
	cur := fixture.Load(t)
	cur.Variants[0].Produce.Latency.Max *= 3
	if c := verdict.Compare(base, cur, report.DefaultTolerance); c.Regressed() {
		t.Errorf("max x3 regressed by default")
	} else if d := findDelta(t, c, "path", "produce.latency_ms.max"); !d.Worse || render.DeltaStatus(d) != "worse (not gated)" {
		t.Errorf("max: %+v", d)
	}
	tol, _ := report.ParseTolerance([]string{"produce.latency_ms.max=50%"})
	if c := verdict.Compare(base, cur, tol); c.Regressions != 1 {
		t.Errorf("max named in --tolerance: %d regressions", c.Regressions)
	}
}

func copyVariant(v *report.Variant) (*report.Variant, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var out report.Variant
	return &out, json.Unmarshal(b, &out)
}

func findDelta(t *testing.T, c report.Comparison, variant, path string) report.Delta {
	return fixture.FindDelta(t, c, variant, path)
}
