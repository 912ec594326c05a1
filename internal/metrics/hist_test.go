package metrics

import (
	"math"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kbench/kbench/report/recorder"
)

// A latency folds HdrHistograms into classic and native buckets that
// agree with the values recorded.
func TestLatencyBuckets(t *testing.T) {
	l := newLatency()
	h := recorder.NewHistogram()
	h.RecordN(200*time.Microsecond, 10) // le 0.00025
	h.RecordN(3*time.Millisecond, 5)    // le 0.005
	l.add(h)
	h.Reset()
	h.RecordN(2*time.Second, 1) // le 2.5
	l.add(h)
	l.add(nil)

	d := prometheus.NewDesc("kbench_test_seconds", "test", []string{"variant"}, nil)
	m, err := l.metric(d, "v")
	if err != nil {
		t.Fatal(err)
	}
	var pb dto.Metric
	if err := m.Write(&pb); err != nil {
		t.Fatal(err)
	}
	hp := pb.GetHistogram()
	if hp.GetSampleCount() != 16 {
		t.Fatalf("count %d, want 16", hp.GetSampleCount())
	}
	wantSum := 10*200e-6 + 5*3e-3 + 2
	if math.Abs(hp.GetSampleSum()-wantSum) > wantSum*0.002 {
		t.Errorf("sum %v, want %v within 0.2%%", hp.GetSampleSum(), wantSum)
	}
	want := map[float64]uint64{0.0001: 0, 0.00025: 10, 0.0025: 10, 0.005: 15, 1: 15, 2.5: 16, 60: 16}
	for _, b := range hp.GetBucket() {
		if w, ok := want[b.GetUpperBound()]; ok && b.GetCumulativeCount() != w {
			t.Errorf("le %v: %d, want %d", b.GetUpperBound(), b.GetCumulativeCount(), w)
		}
	}
	if hp.GetSchema() != nativeSchema || len(hp.GetPositiveSpan()) == 0 {
		t.Fatalf("native part: schema %d spans %v", hp.GetSchema(), hp.GetPositiveSpan())
	}
	var native int64
	var cur int64
	for _, dlt := range hp.GetPositiveDelta() {
		cur += dlt
		native += cur
	}
	if native != 16 {
		t.Errorf("native buckets hold %d, want 16", native)
	}
	// 2 s falls in the schema-3 bucket (2^(7/8), 2^(8/8)] = (1.834, 2].
	if i := nativeIndex(2); i != 8 {
		t.Errorf("nativeIndex(2) = %d, want 8", i)
	}
	if i := nativeIndex(1.9); i != 8 {
		t.Errorf("nativeIndex(1.9) = %d, want 8", i)
	}
}
