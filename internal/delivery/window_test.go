package delivery

import (
	"math/rand/v2"
	"testing"
)

// TestWindowMatchesSet resolves sequences in the order a producer's
// partition batches acknowledge them, with some failures and some far
// stragglers, and compares with a plain set.
func TestWindowMatchesSet(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const n, parts = 200000, 6
	var w Window
	want := map[uint64]bool{}
	// Partition p gets sequences with seq%parts == p; acks come in
	// batches of 100 per partition, partitions taking turns at random.
	next := make([]uint64, parts)
	for i := range next {
		next[i] = uint64(i)
	}
	var held []uint64 // resolved much later (a stuck partition's batch)
	for done := 0; done < n; {
		p := rng.IntN(parts)
		for k := 0; k < 100 && next[p] < n; k++ {
			seq := next[p]
			next[p] += parts
			done++
			switch r := rng.IntN(1000); {
			case r < 3:
				w.Skip(seq) // failed send
			case r < 5:
				held = append(held, seq)
			default:
				w.Add(seq)
				want[seq] = true
			}
		}
		if next[p] >= n {
			allDone := true
			for _, x := range next {
				if x < n {
					allDone = false
				}
			}
			if allDone {
				break
			}
		}
	}
	for _, seq := range held {
		w.Add(seq)
		want[seq] = true
	}
	got := w.Set()
	if got.Len() != uint64(len(want)) {
		t.Fatalf("window holds %d members, want %d", got.Len(), len(want))
	}
	for seq := range want {
		if !got.Contains(seq) {
			t.Fatalf("missing %d", seq)
		}
	}
	if w.base != n {
		t.Fatalf("base %d after resolving everything below %d", w.base, n)
	}
	if got.NumRuns() > 1000 {
		t.Fatalf("%d runs: failures should be the only gaps", got.NumRuns())
	}
}

func TestWindowFarAheadAndDuplicates(t *testing.T) {
	var w Window
	w.Add(5)
	w.Add(windowBits + 10) // beyond the window: straight to the set
	w.Add(0)
	w.Add(0) // duplicate
	for s := uint64(1); s < 5; s++ {
		w.Add(s)
	}
	got := w.Set()
	if got.Len() != 7 || !got.Contains(windowBits+10) || got.NumRuns() != 2 {
		t.Fatalf("len %d runs %v", got.Len(), got.Runs())
	}
}

func BenchmarkWindowInterleaved(b *testing.B) {
	var w Window
	const parts = 6
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		// batches of 64 per partition, round-robin
		batch, k := i/(64*parts), i%(64*parts)
		p, j := k/64, k%64
		w.Add(uint64(batch*64*parts + j*parts + p))
	}
}
