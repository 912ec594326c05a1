package delivery

import (
	"math"
	"sort"
)

// Run is a closed interval [Lo, Hi] of consecutive members.
type Run struct {
	Lo, Hi uint64
}

// chunkMax bounds a chunk's runs: inserting or merging in the middle of a
// fragmented set moves at most this many runs, whatever the set's size.
const chunkMax = 128

// IntervalSet is a set of uint64 stored as sorted, disjoint, non-adjacent
// runs, so its memory is proportional to the number of gaps, not of members:
// a million in-order sequence numbers are one run.
//
// Add is O(1) for the in-order case (the member extends the last run) and
// O(log R + chunkMax) otherwise, R being the number of runs: runs live in
// chunks of at most chunkMax, so a long-lagging partition whose holes are
// filled one by one near the head of a fragmented set does not shift the
// whole set on every fill.
//
// The zero value is an empty set. An IntervalSet is not safe for concurrent
// use.
type IntervalSet struct {
	chunks [][]Run // each non-empty; runs sorted across chunks
	n      uint64  // members
	runs   int
}

// Len is the number of members.
func (s *IntervalSet) Len() uint64 { return s.n }

// NumRuns is the number of runs (the set's memory, in units of 16 bytes).
func (s *IntervalSet) NumRuns() int { return s.runs }

// Runs returns a copy of the runs, in order.
func (s *IntervalSet) Runs() []Run {
	out := make([]Run, 0, s.runs)
	for _, c := range s.chunks {
		out = append(out, c...)
	}
	return out
}

// locate returns the chunk index ci and the index j of the first run in
// chunk ci with Lo > x; the run before x (if any) is at (ci, j-1). ci is -1
// when x precedes every run.
func (s *IntervalSet) locate(x uint64) (ci, j int) {
	ci = sort.Search(len(s.chunks), func(i int) bool { return s.chunks[i][0].Lo > x }) - 1
	if ci < 0 {
		return -1, 0
	}
	c := s.chunks[ci]
	j = sort.Search(len(c), func(i int) bool { return c[i].Lo > x })
	return ci, j
}

// Contains reports whether x is a member.
func (s *IntervalSet) Contains(x uint64) bool {
	ci, j := s.locate(x)
	if ci < 0 {
		return false
	}
	return x <= s.chunks[ci][j-1].Hi
}

// Add inserts x and reports whether it was new.
func (s *IntervalSet) Add(x uint64) (isNew bool) {
	// Fast path: at or past the end.
	if nc := len(s.chunks); nc > 0 {
		last := s.chunks[nc-1]
		r := &last[len(last)-1]
		switch {
		case x >= r.Lo && x <= r.Hi:
			return false
		case r.Hi != math.MaxUint64 && x == r.Hi+1:
			r.Hi = x
			s.n++
			return true
		case x > r.Hi:
			if len(last) < chunkMax {
				s.chunks[nc-1] = append(last, Run{x, x})
			} else {
				s.chunks = append(s.chunks, append(make([]Run, 0, chunkMax/2), Run{x, x}))
			}
			s.n++
			s.runs++
			return true
		}
	} else {
		s.chunks = append(s.chunks, append(make([]Run, 0, 4), Run{x, x}))
		s.n, s.runs = 1, 1
		return true
	}
	return s.addSlow(x)
}

func (s *IntervalSet) addSlow(x uint64) bool {
	ci, j := s.locate(x)
	var prev, next *Run
	nci, nj := ci, j // where next lives
	if ci >= 0 {
		c := s.chunks[ci]
		prev = &c[j-1]
		if x <= prev.Hi {
			return false
		}
		if j == len(c) {
			nci, nj = ci+1, 0
		}
	} else {
		nci, nj = 0, 0
	}
	if nci < len(s.chunks) {
		next = &s.chunks[nci][nj]
	}
	adjPrev := prev != nil && prev.Hi+1 == x
	adjNext := next != nil && x+1 == next.Lo
	s.n++
	switch {
	case adjPrev && adjNext:
		prev.Hi = next.Hi
		s.removeRun(nci, nj)
	case adjPrev:
		prev.Hi = x
	case adjNext:
		next.Lo = x
	default:
		if ci < 0 {
			ci, j = 0, 0
		}
		s.insertRun(ci, j, Run{x, x})
	}
	return true
}

func (s *IntervalSet) removeRun(ci, j int) {
	c := s.chunks[ci]
	copy(c[j:], c[j+1:])
	c = c[:len(c)-1]
	s.runs--
	if len(c) == 0 {
		s.chunks = append(s.chunks[:ci], s.chunks[ci+1:]...)
		return
	}
	s.chunks[ci] = c
}

func (s *IntervalSet) insertRun(ci, j int, r Run) {
	c := s.chunks[ci]
	c = append(c, Run{})
	copy(c[j+1:], c[j:])
	c[j] = r
	s.runs++
	if len(c) <= chunkMax {
		s.chunks[ci] = c
		return
	}
	// Split a full chunk in two halves.
	h := len(c) / 2
	right := append(make([]Run, 0, chunkMax), c[h:]...)
	s.chunks[ci] = c[:h:h]
	s.chunks = append(s.chunks, nil)
	copy(s.chunks[ci+2:], s.chunks[ci+1:])
	s.chunks[ci+1] = right
}

// AddRange inserts every member of [lo, hi].
func (s *IntervalSet) AddRange(lo, hi uint64) {
	if lo > hi {
		return
	}
	// Fast path: past the end (how a Window hands over its runs).
	if nc := len(s.chunks); nc > 0 {
		last := s.chunks[nc-1]
		r := &last[len(last)-1]
		switch {
		case r.Hi != math.MaxUint64 && lo == r.Hi+1:
			s.n += hi - r.Hi
			r.Hi = hi
			return
		case lo > r.Hi:
			if len(last) < chunkMax {
				s.chunks[nc-1] = append(last, Run{lo, hi})
			} else {
				s.chunks = append(s.chunks, append(make([]Run, 0, chunkMax/2), Run{lo, hi}))
			}
			s.n += hi - lo + 1
			s.runs++
			return
		}
	} else {
		s.chunks = append(s.chunks, append(make([]Run, 0, 4), Run{lo, hi}))
		s.n, s.runs = hi-lo+1, 1
		return
	}
	s.Merge(&IntervalSet{chunks: [][]Run{{{lo, hi}}}, n: hi - lo + 1, runs: 1})
}

// Merge adds every member of o to s (a union). O(runs of s + runs of o).
func (s *IntervalSet) Merge(o *IntervalSet) {
	if o == nil || o.n == 0 {
		return
	}
	a, b := s.Runs(), o.Runs()
	out := make([]Run, 0, len(a)+len(b))
	push := func(r Run) {
		if k := len(out) - 1; k >= 0 && (out[k].Hi == math.MaxUint64 || r.Lo <= out[k].Hi+1) {
			if r.Hi > out[k].Hi {
				out[k].Hi = r.Hi
			}
			return
		}
		out = append(out, r)
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if j == len(b) || (i < len(a) && a[i].Lo <= b[j].Lo) {
			push(a[i])
			i++
		} else {
			push(b[j])
			j++
		}
	}
	s.chunks = s.chunks[:0]
	s.n, s.runs = 0, len(out)
	for len(out) > 0 {
		k := min(len(out), chunkMax/2)
		s.chunks = append(s.chunks, append(make([]Run, 0, chunkMax), out[:k]...))
		for _, r := range out[:k] {
			s.n += r.Hi - r.Lo + 1
		}
		out = out[k:]
	}
}

// CountNotIn returns how many members of s are not members of b (|s \ b|).
// O(runs of s + runs of b); b may be nil (empty).
func (s *IntervalSet) CountNotIn(b *IntervalSet) uint64 {
	if b == nil || b.n == 0 {
		return s.n
	}
	a, bb := s.Runs(), b.Runs()
	var missing uint64
	j := 0
	for _, r := range a {
		lo := r.Lo
		covered := false // [lo, r.Hi] fully handled
		for j < len(bb) && bb[j].Hi < lo {
			j++
		}
		for k := j; k < len(bb) && bb[k].Lo <= r.Hi; k++ {
			if bb[k].Lo > lo {
				missing += bb[k].Lo - lo
			}
			if bb[k].Hi >= r.Hi {
				covered = true
				break
			}
			lo = bb[k].Hi + 1
		}
		if !covered {
			missing += r.Hi - lo + 1
		}
	}
	return missing
}

// CountInRange returns how many members of s lie in [lo, hi).
// O(runs of s).
func (s *IntervalSet) CountInRange(lo, hi uint64) uint64 {
	if hi <= lo {
		return 0
	}
	var n uint64
	for _, c := range s.chunks {
		if c[len(c)-1].Hi < lo {
			continue
		}
		if c[0].Lo >= hi {
			break
		}
		for _, r := range c {
			a, b := max(r.Lo, lo), min(r.Hi, hi-1)
			if a <= b {
				n += b - a + 1
			}
		}
	}
	return n
}
