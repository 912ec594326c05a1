package driver

import (
	"testing"
	"unsafe"
)

// Produce takes records from slabs front to back, reuses a slab once all
// its records completed, and past maxSlabs (none free) allocates records
// one by one rather than pinning more slabs.
func TestFranzGoRecordSlabs(t *testing.T) {
	p := &franzGoProducer{maxSlabs: 2}
	take := func(n int) []*franzGoRec { return p.takeRecs(nil, n) }

	first := take(100)
	second := take(156 + 10) // the rest of the first slab, 10 of a second
	for i, f := range append(first, second[:156]...) {
		if f.slab != first[0].slab || f != &first[0].slab.recs[i] {
			t.Fatalf("record %d is not the next one of the first slab", i)
		}
	}
	if s := second[156].slab; s == nil || s == first[0].slab || second[156] != &s.recs[0] {
		t.Fatal("after a full slab, records do not start a new one")
	}
	rest := take(246 + 5) // fills the second slab; no third one may be made
	for _, f := range rest[246:] {
		if f.slab != nil {
			t.Fatalf("a record from a slab past maxSlabs (%d made)", p.slabs)
		}
	}
	if p.slabs != 2 {
		t.Fatalf("%d slabs made, want 2", p.slabs)
	}

	// Every record of the first slab completes: it is free again, and the
	// next records come from it, in order.
	for _, f := range append(first, second[:156]...) {
		p.release(f.slab)
	}
	for _, f := range rest[246:] {
		p.release(f.slab) // one by one: nothing to free
	}
	if len(p.free) != 1 || p.free[0] != first[0].slab {
		t.Fatalf("free list %d slabs, want the first one", len(p.free))
	}
	again := take(3)
	if again[0] != &first[0].slab.recs[0] || uintptr(unsafe.Pointer(again[1]))-uintptr(unsafe.Pointer(again[0])) != unsafe.Sizeof(franzGoRec{}) {
		t.Fatal("a freed slab is not reused front to back")
	}
	if p.slabs != 2 {
		t.Fatalf("%d slabs made after reuse, want 2", p.slabs)
	}
}
