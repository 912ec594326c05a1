package runner

import (
	"testing"
	"time"

	"github.com/kbench/kbench/report/recorder"
)

// The live e2e buckets: every value lands in a bucket whose upper bound is
// at least the value and at most 1/32 above it, and the buckets are in
// order.
func TestLiveBuckets(t *testing.T) {
	prev := time.Duration(-1)
	for i := 0; i < liveBuckets; i++ {
		up := liveUpper(i)
		if up <= prev {
			t.Fatalf("bucket %d upper %v <= previous %v", i, up, prev)
		}
		prev = up
	}
	for us := int64(0); us < 1<<33; us = us*9/8 + 1 {
		d := time.Duration(us) * time.Microsecond
		i := liveIndex(d)
		up := liveUpper(i)
		if us < 1<<32 && (up < d || float64(up-d) > float64(d)/32) {
			t.Errorf("%v: bucket %d upper %v", d, i, up)
		}
		if i > 0 && us < 1<<32 && liveUpper(i-1) >= d {
			t.Errorf("%v: bucket %d, but the previous one's upper %v covers it", d, i, liveUpper(i-1))
		}
	}
	var h liveHist
	for _, d := range []time.Duration{time.Millisecond, time.Millisecond, 40 * time.Millisecond, time.Hour * 3} {
		h.record(d)
	}
	out := recorder.NewHistogram()
	h.drainInto(out)
	if out.Count() != 4 {
		t.Fatalf("drained %d values, want 4", out.Count())
	}
	if q := out.Quantile(50); q < time.Millisecond || q > time.Millisecond*33/32 {
		t.Errorf("median %v, want 1ms within 3%%", q)
	}
	h.drainInto(out)
	if out.Count() != 4 {
		t.Errorf("a second drain added %d values", out.Count()-4)
	}
}

// Recording a live e2e latency allocates nothing.
func TestLiveRecordAllocs(t *testing.T) {
	var h liveHist
	d := 3 * time.Millisecond
	if n := testing.AllocsPerRun(1000, func() { h.record(d); d += time.Microsecond }); n != 0 {
		t.Errorf("%v allocations per record", n)
	}
}
