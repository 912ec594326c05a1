package delivery

import (
	"math"
	"math/rand/v2"
	"reflect"
	"sync"
	"testing"
)

func set(xs ...uint64) *IntervalSet {
	s := &IntervalSet{}
	for _, x := range xs {
		s.Add(x)
	}
	return s
}

func TestIntervalSetTable(t *testing.T) {
	cases := []struct {
		name string
		add  []uint64
		runs []Run
	}{
		{"empty", nil, []Run{}},
		{"in order", []uint64{0, 1, 2, 3}, []Run{{0, 3}}},
		{"gap", []uint64{0, 1, 5, 6}, []Run{{0, 1}, {5, 6}}},
		{"fill gap merges", []uint64{0, 1, 3, 4, 2}, []Run{{0, 4}}},
		{"extend next downward", []uint64{5, 6, 4}, []Run{{4, 6}}},
		{"before everything", []uint64{10, 11, 3}, []Run{{3, 3}, {10, 11}}},
		{"duplicates ignored", []uint64{1, 1, 2, 2, 1}, []Run{{1, 2}}},
		{"reverse", []uint64{5, 4, 3, 2, 1, 0}, []Run{{0, 5}}},
		{"max", []uint64{math.MaxUint64, math.MaxUint64 - 1, 0}, []Run{{0, 0}, {math.MaxUint64 - 1, math.MaxUint64}}},
	}
	for _, c := range cases {
		s := set(c.add...)
		if got := s.Runs(); !reflect.DeepEqual(got, c.runs) {
			t.Errorf("%s: runs %v, want %v", c.name, got, c.runs)
		}
		var n uint64
		for _, r := range c.runs {
			n += r.Hi - r.Lo + 1
		}
		if s.Len() != n || s.NumRuns() != len(c.runs) {
			t.Errorf("%s: Len %d NumRuns %d, want %d %d", c.name, s.Len(), s.NumRuns(), n, len(c.runs))
		}
	}
	s := set(1, 2, 3, 7)
	for x, want := range map[uint64]bool{0: false, 1: true, 3: true, 4: false, 7: true, 8: false} {
		if s.Contains(x) != want {
			t.Errorf("Contains(%d) = %v", x, !want)
		}
	}
	if set(4).Add(4) || !set(4).Add(5) {
		t.Error("Add isNew wrong")
	}
}

// The set against a map, with enough fragmentation to split chunks.
func TestIntervalSetRandom(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 20; round++ {
		s, ref := &IntervalSet{}, map[uint64]bool{}
		span := uint64(100 + r.IntN(5000))
		for i := 0; i < 3000; i++ {
			x := r.Uint64N(span)
			if got, want := s.Add(x), !ref[x]; got != want {
				t.Fatalf("Add(%d) = %v, want %v", x, got, want)
			}
			ref[x] = true
		}
		checkAgainst(t, s, ref, span)

		o, oref := &IntervalSet{}, map[uint64]bool{}
		for i := 0; i < 2000; i++ {
			x := r.Uint64N(span)
			o.Add(x)
			oref[x] = true
		}
		var notIn uint64
		for x := range ref {
			if !oref[x] {
				notIn++
			}
		}
		if got := s.CountNotIn(o); got != notIn {
			t.Fatalf("CountNotIn = %d, want %d", got, notIn)
		}
		s.Merge(o)
		for x := range oref {
			ref[x] = true
		}
		checkAgainst(t, s, ref, span)
	}
}

func checkAgainst(t *testing.T, s *IntervalSet, ref map[uint64]bool, span uint64) {
	t.Helper()
	if s.Len() != uint64(len(ref)) {
		t.Fatalf("Len = %d, want %d", s.Len(), len(ref))
	}
	for x := uint64(0); x < span+2; x++ {
		if s.Contains(x) != ref[x] {
			t.Fatalf("Contains(%d) = %v", x, !ref[x])
		}
	}
	runs := s.Runs()
	if len(runs) != s.NumRuns() {
		t.Fatalf("NumRuns %d, len(Runs) %d", s.NumRuns(), len(runs))
	}
	for i := 1; i < len(runs); i++ {
		if runs[i].Lo <= runs[i-1].Hi+1 {
			t.Fatalf("runs not disjoint and non-adjacent: %v %v", runs[i-1], runs[i])
		}
	}
	for _, c := range s.chunks {
		if len(c) == 0 || len(c) > chunkMax {
			t.Fatalf("chunk of %d runs", len(c))
		}
	}
}

func TestCountNotIn(t *testing.T) {
	a := &IntervalSet{}
	a.AddRange(0, 99)
	a.AddRange(200, 299)
	b := &IntervalSet{}
	b.AddRange(10, 19)
	b.AddRange(50, 250)
	b.AddRange(1000, 2000)
	// missing: 0..9 (10), 20..49 (30), 251..299 (49)
	if got := a.CountNotIn(b); got != 89 {
		t.Errorf("CountNotIn = %d, want 89", got)
	}
	if got := a.CountNotIn(nil); got != 200 {
		t.Errorf("CountNotIn(nil) = %d", got)
	}
	// b \ a: 10..19 are in a; of 50..250 only 100..199 (100); 1000..2000 (1001).
	if got := b.CountNotIn(a); got != 1101 {
		t.Errorf("b.CountNotIn(a) = %d, want 1101", got)
	}
}

// A long in-order stream is one run: memory does not grow with the count.
func TestMemoryBound(t *testing.T) {
	s := &IntervalSet{}
	for x := uint64(0); x < 1_000_000; x++ {
		s.Add(x)
	}
	if s.NumRuns() != 1 || s.Len() != 1_000_000 {
		t.Fatalf("runs %d len %d, want 1 run of 1e6", s.NumRuns(), s.Len())
	}

	// Six partitions consumed concurrently, each in order, at different
	// speeds: the consumed set's runs are bounded by the lag window, and
	// close up to one run once everything is consumed.
	tr := NewTracker()
	const P, N = 6, 600_000
	next := [P]uint64{}
	for i := range next {
		next[i] = uint64(i)
	}
	maxRuns := 0
	for done := 0; done < P; {
		done = 0
		for p := 0; p < P; p++ {
			// partition p advances p+1 messages per round (p=0 lags).
			for k := 0; k <= p; k++ {
				if next[p] >= N {
					break
				}
				if dup, re := tr.Observe(1, int32(p), next[p], -1); dup || re {
					t.Fatalf("in-order stream flagged dup=%v reordered=%v", dup, re)
				}
				next[p] += P
			}
			if next[p] >= N {
				done++
			}
		}
		maxRuns = max(maxRuns, tr.Runs())
	}
	if tr.Runs() != 1 {
		t.Fatalf("after catching up: %d runs, want 1", tr.Runs())
	}
	if maxRuns > N/P {
		t.Fatalf("runs peaked at %d, more than one per lagging message", maxRuns)
	}
}

func TestTrackerInOrder(t *testing.T) {
	tr := NewTracker()
	acked := NewAcked()
	for p := uint32(0); p < 3; p++ {
		a := acked.For(p)
		for seq := uint64(0); seq < 1000; seq++ {
			a.Add(seq)
			if dup, re := tr.Observe(p, int32(seq%4), seq, -1); dup || re {
				t.Fatalf("p%d seq %d: dup=%v reordered=%v", p, seq, dup, re)
			}
		}
	}
	lost, dup, re, foreign := tr.Result(acked)
	if lost != 0 || dup != 0 || re != 0 || foreign != 0 {
		t.Fatalf("got lost=%d dup=%d re=%d foreign=%d, want all 0", lost, dup, re, foreign)
	}
	if c := tr.Counts(); c.Messages != 3000 || c.Distinct != 3000 {
		t.Fatalf("counts %+v", c)
	}
	if tr.Runs() != 3 {
		t.Fatalf("runs %d, want 3 (one per producer)", tr.Runs())
	}
}

func TestTrackerFigures(t *testing.T) {
	tr := NewTracker()
	acked := NewAcked()
	for seq := uint64(0); seq < 100; seq++ {
		acked.For(7).Add(seq)
	}
	acked.For(8).Add(0)

	type obs struct {
		prod    uint32
		part    int32
		seq     uint64
		dup, re bool
	}
	steps := []obs{
		{7, 0, 0, false, false},
		{7, 0, 1, false, false},
		{7, 0, 5, false, false},  // a gap: 2..4 not (yet) seen
		{7, 0, 3, false, true},   // first time, lower than 5 on partition 0
		{7, 1, 2, false, false},  // lower than 5 but on another partition
		{7, 0, 5, true, false},   // duplicate, not also reordered
		{7, 0, 0, true, false},   // old duplicate (redelivery after rebalance)
		{7, 1, 1, true, false},   // duplicate although on another partition
		{8, 0, 0, false, false},  // other producer, same seq: not a dup
		{9, 0, 50, false, false}, // consumed but never acknowledged: ambiguous
	}
	for i, o := range steps {
		dup, re := tr.Observe(o.prod, o.part, o.seq, -1)
		if dup != o.dup || re != o.re {
			t.Errorf("step %d %+v: dup=%v reordered=%v", i, o, dup, re)
		}
	}
	tr.ObserveForeign()
	tr.ObserveForeign()
	lost, dup, re, foreign := tr.Result(acked)
	// producer 7 acked 0..99, consumed {0,1,2,3,5}: 95 lost.
	if lost != 95 || dup != 3 || re != 1 || foreign != 2 {
		t.Fatalf("lost=%d dup=%d re=%d foreign=%d, want 95 3 1 2", lost, dup, re, foreign)
	}
	if u := tr.Unacknowledged(acked); u != 1 {
		t.Fatalf("unacknowledged = %d, want 1", u)
	}
	if tr.Foreign() != 2 {
		t.Fatalf("Foreign = %d", tr.Foreign())
	}
	if lost, _, _, _ := tr.Result(nil); lost != 0 {
		t.Fatalf("nothing acked yet lost %d", lost)
	}
}

func TestAckedMerge(t *testing.T) {
	a, b := NewAcked(), NewAcked()
	a.For(1).AddRange(0, 9)
	b.For(1).AddRange(5, 19)
	b.For(2).AddRange(0, 4)
	a.Merge(b)
	if a.Len() != 25 || a.For(1).NumRuns() != 1 {
		t.Fatalf("merged len %d runs %d", a.Len(), a.For(1).NumRuns())
	}
	var zero Acked
	zero.For(3).Add(1)
	if zero.Len() != 1 {
		t.Fatal("zero Acked unusable")
	}
}

// Many consumer goroutines feeding one tracker (run with -race): every
// message consumed exactly once from its own partition, so no figure moves.
func TestTrackerConcurrent(t *testing.T) {
	const producers, partitions, perPartition = 4, 8, 5000
	tr := NewTracker()
	acked := NewAcked()
	for p := uint32(0); p < producers; p++ {
		acked.For(p).AddRange(0, partitions*perPartition-1)
	}
	var wg sync.WaitGroup
	for part := 0; part < partitions; part++ {
		wg.Go(func() {
			for i := 0; i < perPartition; i++ {
				for p := uint32(0); p < producers; p++ {
					seq := uint64(i*partitions + part)
					tr.Observe(p, int32(part), seq, -1)
				}
			}
		})
	}
	wg.Wait()
	lost, dup, re, _ := tr.Result(acked)
	if lost != 0 || dup != 0 || re != 0 {
		t.Fatalf("lost=%d dup=%d re=%d, want 0", lost, dup, re)
	}
	if tr.Runs() != producers {
		t.Fatalf("runs %d, want %d", tr.Runs(), producers)
	}
}

func TestObserveInOrderAllocFree(t *testing.T) {
	tr := NewTracker()
	tr.Observe(1, 0, 0, 0)
	seq := uint64(1)
	if a := testing.AllocsPerRun(10000, func() { tr.Observe(1, 0, seq, int64(seq)); seq++ }); a != 0 {
		t.Fatalf("in-order Observe allocates %v per call", a)
	}
}

func BenchmarkObserveInOrder(b *testing.B) {
	tr := NewTracker()
	b.ReportAllocs()
	var seq uint64
	for b.Loop() {
		tr.Observe(1, int32(seq%6), seq, -1)
		seq++
	}
}

// The lagging-partition case: holes filled one by one near the head of a
// fragmented set.
func BenchmarkObserveLaggingPartition(b *testing.B) {
	tr := NewTracker()
	const P = 6
	// partitions 1..5 far ahead: 100k holes for partition 0 to fill.
	const ahead = 100_000 * P
	for seq := uint64(0); seq < ahead; seq++ {
		if seq%P != 0 {
			tr.Observe(1, int32(seq%P), seq, -1)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	seq := uint64(0)
	for b.Loop() {
		tr.Observe(1, 0, seq, -1)
		seq += P
		if seq >= ahead {
			b.StopTimer()
			tr = NewTracker()
			for s := uint64(0); s < ahead; s++ {
				if s%P != 0 {
					tr.Observe(1, int32(s%P), s, -1)
				}
			}
			seq = 0
			b.StartTimer()
		}
	}
}
