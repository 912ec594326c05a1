package delivery

// windowBits is how far ahead of the oldest unresolved sequence a Window
// tracks members in its bitmaps (2^20: 128 KiB a bitmap); farther ones go
// to the interval set directly.
const windowBits = 1 << 20

// Window records the members of a sequence stream that is resolved nearly
// in order: a producer's acknowledgements, which come a partition batch at
// a time, so consecutive sequence numbers interleave across partitions and
// would fragment an IntervalSet into one run per message until the other
// partitions' batches fill the gaps. The Window keeps the unresolved
// frontier in two bitmaps (member, resolved) and moves everything below
// the oldest unresolved sequence into the IntervalSet as whole runs, so the
// common case is a few bit operations per sequence.
//
// Every sequence should end resolved: Add for a member, Skip for one that
// will never be (a failed send). The zero value is ready to use; a Window
// is not safe for concurrent use.
type Window struct {
	base     uint64 // every sequence below base is resolved
	member   []uint64
	resolved []uint64
	set      IntervalSet // members below base, and far-ahead members
}

func (w *Window) init() {
	if w.member == nil {
		w.member = make([]uint64, windowBits/64)
		w.resolved = make([]uint64, windowBits/64)
	}
}

// Add records seq as a member.
func (w *Window) Add(seq uint64) { w.resolve(seq, true) }

// Skip records seq as resolved but not a member.
func (w *Window) Skip(seq uint64) { w.resolve(seq, false) }

func (w *Window) resolve(seq uint64, member bool) {
	if seq < w.base {
		return // resolved before
	}
	if seq-w.base >= windowBits {
		if member {
			w.set.Add(seq)
		}
		return
	}
	w.init()
	i, bit := (seq%windowBits)/64, uint64(1)<<(seq%64)
	w.resolved[i] |= bit
	if member {
		w.member[i] |= bit
	}
	if seq == w.base {
		w.advance()
	}
}

// advance moves base past every resolved sequence, adding the members as
// runs.
func (w *Window) advance() {
	runLo, inRun := uint64(0), false
	for {
		i, bit := (w.base%windowBits)/64, uint64(1)<<(w.base%64)
		if w.resolved[i]&bit == 0 {
			break
		}
		isMember := w.member[i]&bit != 0
		w.resolved[i] &^= bit
		w.member[i] &^= bit
		switch {
		case isMember && !inRun:
			runLo, inRun = w.base, true
		case !isMember && inRun:
			w.set.AddRange(runLo, w.base-1)
			inRun = false
		}
		w.base++
	}
	if inRun {
		w.set.AddRange(runLo, w.base-1)
	}
}

// Set returns every member recorded so far as an IntervalSet (a copy).
func (w *Window) Set() *IntervalSet {
	out := &IntervalSet{}
	out.Merge(&w.set)
	if w.member == nil {
		return out
	}
	for off := uint64(0); off < windowBits; off++ {
		seq := w.base + off
		i, bit := (seq%windowBits)/64, uint64(1)<<(seq%64)
		if w.member[i] == 0 {
			off += 63 - seq%64 // skip an empty word
			continue
		}
		if w.member[i]&bit != 0 {
			out.Add(seq)
		}
	}
	return out
}
