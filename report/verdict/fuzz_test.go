package verdict

import (
	"errors"
	"math"
	"testing"

	"github.com/kbench/kbench/report"
)

// FuzzParseGate: any expression parses to a gate that evaluates, or gives
// a *GateError pointing inside the expression; never a panic.
func FuzzParseGate(f *testing.F) {
	for _, s := range []string{
		"produce.latency_ms.p99 < 50", "delivery.lost == 0", "skew.max_mean<=1.5",
		`consume.groups."a.b".lag.max < 10`, "partitions.3.messages > -1e3",
		"produce.throughput.msgs_per_s >= +1.5E+4", "consume.groups.g.lag.drain_ms != 0",
		"keys.top.0.share < 1", "", "<", `"`, "a..b < 1", "produce.errors == 1e400",
	} {
		f.Add(s)
	}
	res, err := report.ReadResult("../render/testdata/quickstart.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		g, err := ParseGate(expr)
		if err != nil {
			var ge *GateError
			if !errors.As(err, &ge) {
				t.Fatalf("error is not a *GateError: %v", err)
			}
			if ge.Offset < 0 || ge.Offset > len(expr) {
				t.Fatalf("offset %d outside the expression (%d bytes): %v", ge.Offset, len(expr), err)
			}
			return
		}
		if math.IsNaN(g.Threshold) || math.IsInf(g.Threshold, 0) {
			t.Fatalf("gate %q: threshold %v is not a finite number", expr, g.Threshold)
		}
		for i := range res.Variants {
			r := g.Eval(&res.Variants[i])
			if r.Error == "" && (math.IsNaN(r.Value) || math.IsInf(r.Value, 0)) {
				t.Fatalf("gate %q: value %v", expr, r.Value)
			}
		}
	})
}
