package recorder

import (
	"bytes"
	"math"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
)

func TestHGRMRoundTrip(t *testing.T) {
	r := loadFixture(t)
	for _, name := range []string{"produce", "e2e"} {
		h, err := DecodeHistogram(r.Variants[0].Histograms[name])
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := WriteHGRM(&buf, h, HGRMScaleMs); err != nil {
			t.Fatal(err)
		}
		out := buf.String()
		if !strings.HasPrefix(out, "       Value     Percentile TotalCount 1/(1-Percentile)\n\n") {
			t.Fatalf("header: %q", out[:80])
		}
		d, err := ParseHGRM(&buf)
		if err != nil {
			t.Fatal(err)
		}
		if len(d.Rows) < 20 {
			t.Fatalf("%s: only %d rows", name, len(d.Rows))
		}
		// Every row's value is the histogram's value at that row's percentile.
		for _, row := range d.Rows {
			want := float64(h.Raw().ValueAtQuantile(row.Percentile*100)) / 1000
			if math.Abs(row.Value-want) > 0.0005 {
				t.Errorf("%s: at %.12f: hgrm %v, histogram %v", name, row.Percentile, row.Value, want)
			}
		}
		// The headline percentiles read back from the distribution: each
		// lies between the rows around it (the file is sampled at ticks).
		s := h.Summary()
		for _, c := range []struct{ p, want float64 }{{50, s.P50}, {90, s.P90}, {99, s.P99}, {99.9, s.P999}, {100, s.Max}} {
			i := 0
			for i < len(d.Rows)-1 && d.Rows[i].Percentile*100 < c.p {
				i++
			}
			lo := d.Rows[max(i-1, 0)].Value
			if c.want < lo-0.0005 || c.want > d.Rows[i].Value+0.0005 || d.ValueAtPercentile(c.p) != d.Rows[i].Value {
				t.Errorf("%s p%v: summary %v not within hgrm rows [%v, %v]", name, c.p, c.want, lo, d.Rows[i].Value)
			}
		}
		if d.ValueAtPercentile(50) != s.P50 { // 50% is a tick
			t.Errorf("%s: p50 %v, want %v", name, d.ValueAtPercentile(50), s.P50)
		}
		if d.TotalCount != h.Count() || math.Abs(d.Max-s.Max) > 0.0005 || math.Abs(d.Mean-s.Mean) > 0.0005 {
			t.Errorf("%s footer: count %d max %v mean %v; want %d %v %v", name, d.TotalCount, d.Max, d.Mean, h.Count(), s.Max, s.Mean)
		}
		last := d.Rows[len(d.Rows)-1]
		if last.Percentile != 1 || last.TotalCount != h.Count() {
			t.Errorf("%s last row %+v", name, last)
		}
	}
}

func TestHGRMEmptyAndMalformed(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteHGRM(&buf, NewHistogram(), HGRMScaleMs); err != nil {
		t.Fatal(err)
	}
	d, err := ParseHGRM(&buf)
	if err != nil || len(d.Rows) != 0 || d.TotalCount != 0 {
		t.Fatalf("empty: %+v %v", d, err)
	}
	if _, err := ParseHGRM(strings.NewReader("1.0 x 3\n")); err == nil {
		t.Fatal("malformed row accepted")
	}
	if _, err := ParseHGRM(strings.NewReader("1.0 0.5 3 2.00\n")); err == nil {
		t.Fatal("missing footer accepted")
	}
}

func loadFixture(t testing.TB) *report.Result { return fixture.Load(t) }
