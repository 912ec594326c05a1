package runner

import (
	"testing"
	"time"

	"github.com/kbench/kbench/report/recorder"
)

// The time series' p99 is of all producers' acknowledgements together: a
// producer with one slow ack among few does not make the second's p99.
func TestIntervalP99MergesProducers(t *testing.T) {
	busy, idle := newProducer(0, 1), newProducer(1, 1)
	for range 1000 {
		busy.interval.Record(time.Millisecond)
	}
	idle.interval.Record(100 * time.Millisecond)
	got := intervalP99([]*producer{busy, idle}, recorder.NewHistogram())
	if got < 0.99 || got > 1.01 {
		t.Fatalf("p99 %.3f ms, want ~1 ms (the largest per-producer p99 is 100 ms)", got)
	}
	if busy.interval.Count() != 0 || idle.interval.Count() != 0 {
		t.Fatal("interval histograms not reset")
	}
	if got := intervalP99([]*producer{busy, idle}, recorder.NewHistogram()); got != 0 {
		t.Fatalf("no acks: %v", got)
	}
}
