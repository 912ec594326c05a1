package delivery

import "testing"

func setOf(ranges ...[2]uint64) *IntervalSet {
	s := &IntervalSet{}
	for _, r := range ranges {
		s.AddRange(r[0], r[1])
	}
	return s
}

func TestCountInRange(t *testing.T) {
	s := setOf([2]uint64{0, 9}, [2]uint64{20, 29}, [2]uint64{40, 40})
	for _, c := range []struct {
		lo, hi, want uint64
	}{{0, 100, 21}, {5, 25, 10}, {10, 20, 0}, {29, 41, 2}, {40, 40, 0}, {9, 10, 1}} {
		if got := s.CountInRange(c.lo, c.hi); got != c.want {
			t.Errorf("[%d,%d): %d, want %d", c.lo, c.hi, got, c.want)
		}
	}
	// across chunks
	big := &IntervalSet{}
	for i := uint64(0); i < 1000; i++ {
		big.Add(2 * i)
	}
	if got := big.CountInRange(100, 1100); got != 500 {
		t.Errorf("fragmented: %d, want 500", got)
	}
}

// A partition with 100 records, committed at 60: records 60..99 the group
// has not processed are a backlog; 70..74 processed (not committed yet)
// are not; records below 60 it skipped are not counted here (lost).
func TestBacklog(t *testing.T) {
	processed := setOf([2]uint64{0, 49}, [2]uint64{70, 74})
	if got := Backlog(processed, 60, 100, 0); got != 35 {
		t.Fatalf("backlog %d, want 35", got)
	}
	// Two records written but never acknowledged somewhere in the log:
	// they are not acknowledged messages, so not counted.
	if got := Backlog(processed, 60, 100, 2); got != 33 {
		t.Fatalf("with ambiguous writes %d, want 33", got)
	}
	if got := Backlog(processed, -1, 10, 0); got != 0 {
		t.Fatalf("never committed, all processed: %d", got)
	}
	if got := Backlog(nil, -1, 10, 0); got != 10 {
		t.Fatalf("never committed, nothing processed: %d", got)
	}
	if got := Backlog(processed, 100, 100, 0); got != 0 {
		t.Fatalf("caught up: %d", got)
	}
	// With the acknowledged offsets known it is exact: 61 and 62 were
	// written but not acknowledged.
	acked := setOf([2]uint64{0, 60}, [2]uint64{63, 99})
	if got := BacklogOf(acked, processed, 60, 100); got != 33 {
		t.Fatalf("BacklogOf %d, want 33", got)
	}
}

// Missing counts acknowledged sequences the group did not consume, as
// sets: a consumed record whose acknowledgement never came (an ambiguous
// write) does not stand in for an acknowledged one still missing.
func TestTrackerMissingIsBySequence(t *testing.T) {
	acked := NewAcked()
	for seq := uint64(0); seq < 10; seq++ {
		if seq != 7 { // 7 was written, but its ack was lost
			acked.For(1).Add(seq)
		}
	}
	tr := NewTracker()
	for seq := uint64(0); seq < 10; seq++ {
		if seq != 3 {
			tr.Observe(1, 0, seq, int64(seq))
		}
	}
	// 9 distinct consumed, 9 acknowledged: counts agree, yet 3 is missing.
	if c := tr.Counts(); c.Distinct != int64(acked.Len()) {
		t.Fatalf("setup: distinct %d acked %d", c.Distinct, acked.Len())
	}
	if m := tr.Missing(acked); m != 1 {
		t.Fatalf("missing %d, want 1", m)
	}
	if o := tr.Offsets(0); o.Len() != 9 || o.Contains(3) {
		t.Fatalf("offsets %v", o.Runs())
	}
}
