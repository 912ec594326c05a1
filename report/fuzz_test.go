package report

import (
	"bytes"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"
	"time"
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
	res := fuzzSeedResult(f)
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
		if _, ok := g.Group(); ok && g.Path == "" {
			t.Fatalf("gate %q: group without a path", expr)
		}
	})
}

func fuzzSeedResult(f *testing.F) *Result {
	r, err := ReadResult("testdata/quickstart.json")
	if err != nil {
		f.Fatal(err)
	}
	return r
}

// FuzzReadResult: any bytes read as result.json give a *FormatError, or a
// result every renderer, the verdict and a comparison handle; never a
// panic.
func FuzzReadResult(f *testing.F) {
	b, err := os.ReadFile("testdata/quickstart.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema":"kbench/result/v1","variants":[{"name":"x","partitions":[{"partition":-1}],"delivery":{"lost":-1}}]}`))
	f.Add([]byte(`{"schema":"kbench/result/v1","variants":[{"histograms":{"produce":"AAAA"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := ParseResult("fuzz.json", data)
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error is not a *FormatError naming the file: %v", err)
			}
			return
		}
		bounded(t, func() {
			for _, format := range Formats {
				if err := Render(io.Discard, r, format); err != nil && format == "json" {
					t.Fatalf("render %s: %v", format, err)
				}
			}
			_ = Compare(r, r, Tolerance{})
			checks := Checks{All: []string{"produce.latency_ms.p99 < 50", "delivery.lost == 0"}}
			if _, err := Decide(r, checks); err != nil {
				t.Fatalf("decide: %v", err)
			}
			var buf bytes.Buffer
			if err := RenderJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			if _, err := ParseResult("again.json", buf.Bytes()); err != nil {
				t.Fatalf("a result read back from its own JSON: %v", err)
			}
		})
	})
}

// bounded fails when fn runs unreasonably long: hostile input must not
// hang a renderer.
func bounded(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		panic("took more than 5s")
	}
}

// FuzzParseHGRM: any text gives a parsed histogram or an error naming the
// line; never a panic.
func FuzzParseHGRM(f *testing.F) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	var buf bytes.Buffer
	if err := WriteHGRM(&buf, h, HGRMScaleMs); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add("       Value     Percentile TotalCount 1/(1-Percentile)\n\n 1.000 0.5 1 2.00\n#[Mean = 1, StdDeviation = 0]\n#[Max = 1, Total count = 1]\n")
	f.Add("1 2\n")
	f.Add("#[Total count = x]\n")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseHGRM(strings.NewReader(text))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		_ = d.ValueAtPercentile(99)
	})
}
