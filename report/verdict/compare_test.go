package verdict_test

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/verdict"
)

func findDelta(t *testing.T, c report.Comparison, variant, path string) report.Delta {
	return fixture.FindDelta(t, c, variant, path)
}

func TestCompareDirections(t *testing.T) {
	base := fixture.Load(t)
	cur := fixture.Load(t)
	same := verdict.Compare(base, cur, report.DefaultTolerance)
	if same.Regressed() || same.Regressions != 0 {
		t.Fatalf("identical results regress: %+v", same)
	}
	p := &cur.Variants[0]                // path
	p.Produce.Throughput.MsgsPerS *= 0.8 // higher is better: -20% regresses
	p.Produce.Latency.P99 *= 0.5         // lower is better: -50% improves
	p.Produce.Latency.P50 *= 1.05        // +5%: within 10%
	p.Skew.Jain *= 0.85                  // higher is better: regresses
	p.Skew.MaxMean *= 1.2                // lower is better: regresses
	p.Delivery.Lost = report.Int(3)      // 0 -> 3: any increase over 0 regresses
	p.Keys.Distinct *= 2                 // neutral: never regresses
	p.Consume.Groups[0].Lag.Max = 10     // lag went down: improved
	c := verdict.Compare(base, cur, report.DefaultTolerance)
	check := func(path string, reg, imp bool) {
		t.Helper()
		d := findDelta(t, c, "path", path)
		if d.Regression != reg || d.Improved != imp {
			t.Errorf("%s: regression=%v improved=%v, want %v %v (%+v)", path, d.Regression, d.Improved, reg, imp, d)
		}
	}
	check("produce.throughput.msgs_per_s", true, false)
	check("produce.latency_ms.p99", false, true)
	check("produce.latency_ms.p50", false, false)
	check("skew.jain", true, false)
	check("skew.max_mean", true, false)
	check("delivery.lost", true, false)
	check("keys.distinct", false, false)
	check("consume.groups.realtime-monitoring.lag.max", false, true)
	if c.Regressions != 4 || !c.Regressed() {
		t.Fatalf("regressions = %d", c.Regressions)
	}
	d := findDelta(t, c, "path", "produce.throughput.msgs_per_s")
	if d.Pct == nil || *d.Pct > -19.99 || *d.Pct < -20.01 || d.Abs >= 0 || d.Direction != "higher" {
		t.Errorf("throughput delta %+v pct %v", d, d.Pct)
	}
	if d := findDelta(t, c, "path", "delivery.lost"); d.Pct != nil || render.DeltaPct(d) != "new" {
		t.Errorf("pct of a zero baseline: %v", render.DeltaPct(d))
	}
	// Other variants are untouched.
	for _, vc := range c.Variants[1:] {
		for _, d := range vc.Deltas {
			if d.Regression || d.Improved {
				t.Errorf("%s %s changed", vc.Name, d.Path)
			}
		}
	}
}

func TestCompareTolerance(t *testing.T) {
	base := fixture.Load(t)
	cur := fixture.Load(t)
	cur.Variants[1].Produce.Latency.P99 *= 1.15 // +15%
	cur.Variants[1].Consume.Groups[0].Lag.Max += 400
	cur.Variants[1].Delivery.Duplicated = 2
	reg := func(specs ...string) int {
		t.Helper()
		tol, err := report.ParseTolerance(specs)
		if err != nil {
			t.Fatal(err)
		}
		return verdict.Compare(base, cur, tol).Regressions
	}
	// default 10%: p99 +15% and duplicated 0 -> 2 regress; lag +3.3% is allowed
	if n := reg(); n != 2 {
		t.Errorf("default: %d regressions, want 2", n)
	}
	if n := reg("20%"); n != 1 { // only duplicated (nothing allowed above 0)
		t.Errorf("20%%: %d", n)
	}
	if n := reg("produce.latency_ms.p99=20%"); n != 1 {
		t.Errorf("per-figure p99: %d", n)
	}
	if n := reg("1%", "consume.groups.*.lag.max=500", "delivery.duplicated=2"); n != 1 {
		t.Errorf("absolute and wildcard: %d (only p99 left)", n)
	}
	if n := reg("produce.latency_ms.p99=20%,delivery.duplicated=5,0%"); n != 0 {
		// default 0%, p99 and duplicated allowed; lag +400 is within
		// the noise floor of lag (1000 messages)
		t.Errorf("comma list: %d", n)
	}
	tol0, _ := report.ParseTolerance([]string{"produce.latency_ms.p99=20%,delivery.duplicated=5,0%"})
	if err := tol0.ParseFloors([]string{"consume.groups.*.lag.max=100"}); err != nil {
		t.Fatal(err)
	}
	if n := verdict.Compare(base, cur, tol0).Regressions; n != 1 {
		// with a floor of 100, lag +400 regresses
		t.Errorf("comma list, lower floor: %d", n)
	}
	tol, _ := report.ParseTolerance([]string{"5%", "produce.latency_ms.p99=20%"})
	if tol.For("produce.latency_ms.p99").Rel != 0.2 || tol.For("skew.gini").Rel != 0.05 {
		t.Errorf("For: %+v", tol)
	}
	for _, bad := range []string{"ten%", "-5%", "produce.latency_ms.p77=5%", "x", "produce.latency_ms.p99=", "nosuch=1"} {
		if _, err := report.ParseTolerance([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestCompareVariantsAndNoData(t *testing.T) {
	base := fixture.Load(t)
	cur := fixture.Load(t)
	cur.Variants = cur.Variants[:4] // "salted" is gone
	cur.Variants = append(cur.Variants, report.Variant{Name: "random"})
	cur.Variants[0].E2E.Latency = report.Latency{} // e2e not measured any more
	cur.Variants[0].Histograms = nil
	c := verdict.Compare(base, cur, report.DefaultTolerance)
	var missing, added string
	for _, vc := range c.Variants {
		switch vc.Missing {
		case "current":
			missing = vc.Name
		case "baseline":
			added = vc.Name
		}
	}
	if missing != "salted" || added != "random" {
		t.Fatalf("missing %q added %q", missing, added)
	}
	d := findDelta(t, c, "path", "e2e.latency_ms.p99")
	if !d.Regression || d.CurOK || d.Note == "" {
		t.Errorf("e2e lost its data: %+v", d)
	}
	// 4 e2e figures + the missing variant.
	if c.Regressions != 5 {
		t.Errorf("regressions = %d", c.Regressions)
	}
	var buf bytes.Buffer
	if err := render.RenderComparison(&buf, &c, "text"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{"salted: REGRESSED: missing", "random: new variant", "not measured in current run", "REGRESSED: 5 gated figure(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("text lacks %q", want)
		}
	}
	buf.Reset()
	if err := render.RenderComparison(&buf, &c, "markdown"); err != nil || !strings.Contains(buf.String(), "| path | e2e p99 ms |") {
		t.Errorf("markdown: %v\n%s", err, buf.String())
	}
	buf.Reset()
	if err := render.RenderComparison(&buf, &c, "json"); err != nil {
		t.Fatal(err)
	}
	var back report.Comparison
	if err := json.Unmarshal(buf.Bytes(), &back); err != nil || back.Regressions != 5 {
		t.Fatalf("json: %v %+v", err, back.Regressions)
	}
	if err := render.RenderComparison(&buf, &c, "xml"); err == nil {
		t.Error("xml accepted")
	}
}
