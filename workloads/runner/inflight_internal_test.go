package runner

import (
	"testing"
	"time"
)

// TestInflightBudget: an unthrottled producer may hold about two seconds
// of its acknowledgement rate in flight, within [minInFlight, max].
func TestInflightBudget(t *testing.T) {
	for _, tc := range []struct {
		name     string
		perSec   int64 // acknowledgements per second the client delivers
		max      int64
		wantLo   int64
		wantHigh int64
	}{
		{"fast client", 50000, 100000, 90000, 100000},
		{"slow client", 1000, 100000, 1800, 2200},
		{"stalled client", 0, 100000, minInFlight, minInFlight},
		{"small max", 50000, 500, 500, 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b inflightBudget
			now := time.Unix(0, 0)
			var acked, got int64
			for i := 0; i < 50; i++ { // five seconds in steps of 100ms
				got = b.limit(now, acked, tc.max)
				now = now.Add(100 * time.Millisecond)
				acked += tc.perSec / 10
			}
			if got < tc.wantLo || got > tc.wantHigh {
				t.Errorf("limit %d, want %d..%d", got, tc.wantLo, tc.wantHigh)
			}
		})
	}
	// The first call, before any rate: a few chunks, not the whole max.
	var b inflightBudget
	if got := b.limit(time.Now(), 0, 100000); got != minInFlight {
		t.Errorf("first limit %d, want %d", got, minInFlight)
	}
}
