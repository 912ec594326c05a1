package delivery

import (
	"math"
	"math/rand/v2"
	"testing"
)

func TestEncodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	sets := []*IntervalSet{{}}
	one := &IntervalSet{}
	one.AddRange(0, 999_999)
	sets = append(sets, one)
	frag := &IntervalSet{}
	for i := 0; i < 20000; i++ {
		frag.Add(rng.Uint64N(100000))
	}
	sets = append(sets, frag)
	edge := &IntervalSet{}
	edge.Add(5)
	edge.AddRange(math.MaxUint64-3, math.MaxUint64)
	sets = append(sets, edge)
	for i, s := range sets {
		enc := s.Encode()
		got, err := DecodeIntervalSet(enc)
		if err != nil {
			t.Fatalf("set %d: %v", i, err)
		}
		if got.Len() != s.Len() || got.NumRuns() != s.NumRuns() || got.CountNotIn(s) != 0 || s.CountNotIn(got) != 0 {
			t.Fatalf("set %d: round trip %d/%d members, %d/%d runs", i, got.Len(), s.Len(), got.NumRuns(), s.NumRuns())
		}
	}
	if n := len(one.Encode()); n > 8 {
		t.Errorf("one run of a million encodes in %d bytes", n)
	}
	if n, runs := len(frag.Encode()), frag.NumRuns(); n > 4*runs {
		t.Errorf("%d runs encode in %d bytes", runs, n)
	}
	for _, bad := range []string{"!!", "gA", "AAAA"} {
		if _, err := DecodeIntervalSet(bad); err == nil {
			t.Errorf("%q decoded", bad)
		}
	}
	a, b := &IntervalSet{}, &IntervalSet{}
	a.AddRange(0, 9)
	b.AddRange(5, 14)
	if a.CountIn(b) != 5 {
		t.Errorf("|a ∩ b| = %d", a.CountIn(b))
	}
}
