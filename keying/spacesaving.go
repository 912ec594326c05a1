package keying

import (
	"cmp"
	"slices"
)

// spaceSaving is the Space-Saving heavy-hitter sketch (Metwally, Agrawal,
// El Abbadi 2005) with k counters: a key's count is over-estimated by at
// most its err, and while no more than k distinct keys were seen every
// count is exact. Counters sit in a min-heap; an open-addressing index maps
// key hashes to counters. Observe allocates nothing once every counter's
// key buffer has grown to the longest key.
type spaceSaving struct {
	slots   []ssSlot
	heap    []int32 // slot ids, min-heap on count
	index   []int32 // slot id + 1, 0 = empty; keyed by slots[id].h
	evicted bool
}

type ssSlot struct {
	h     uint64
	count int64
	err   int64
	pos   int32 // position in heap
	key   []byte
}

func newSpaceSaving(k int) spaceSaving {
	size := 1
	for size < 4*k {
		size <<= 1
	}
	return spaceSaving{
		slots: make([]ssSlot, 0, k),
		heap:  make([]int32, 0, k),
		index: make([]int32, size),
	}
}

func (s *spaceSaving) capacity() int { return cap(s.slots) }

// find returns the slot id of h or -1, and the index position probed last.
func (s *spaceSaving) find(h uint64) (int32, uint64) {
	mask := uint64(len(s.index) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		id := s.index[i]
		if id == 0 {
			return -1, i
		}
		if s.slots[id-1].h == h {
			return id - 1, i
		}
	}
}

func (s *spaceSaving) indexInsert(h uint64, id int32) {
	_, i := s.find(h)
	s.index[i] = id + 1
}

// indexDelete removes h with backward-shift deletion (linear probing).
func (s *spaceSaving) indexDelete(h uint64) {
	id, i := s.find(h)
	if id < 0 {
		return
	}
	mask := uint64(len(s.index) - 1)
	s.index[i] = 0
	j := i
	for {
		j = (j + 1) & mask
		e := s.index[j]
		if e == 0 {
			return
		}
		home := s.slots[e-1].h & mask
		// move e back into the hole at i unless its home lies in (i, j]
		if (j > i && (home <= i || home > j)) || (j < i && (home <= i && home > j)) {
			s.index[i] = e
			s.index[j] = 0
			i = j
		}
	}
}

// add counts one occurrence of key (hash h) with weight w.
func (s *spaceSaving) add(h uint64, key []byte, w int64) {
	if id, _ := s.find(h); id >= 0 {
		s.slots[id].count += w
		s.down(int(s.slots[id].pos))
		return
	}
	if len(s.slots) < cap(s.slots) {
		id := int32(len(s.slots))
		s.slots = append(s.slots, ssSlot{h: h, count: w, pos: int32(len(s.heap)), key: append([]byte(nil), key...)})
		s.heap = append(s.heap, id)
		s.indexInsert(h, id)
		s.up(len(s.heap) - 1)
		return
	}
	// replace the minimum
	s.evicted = true
	id := s.heap[0]
	sl := &s.slots[id]
	s.indexDelete(sl.h)
	sl.h = h
	sl.err = sl.count
	sl.count += w
	sl.key = append(sl.key[:0], key...)
	s.indexInsert(h, id)
	s.down(0)
}

func (s *spaceSaving) less(i, j int) bool {
	return s.slots[s.heap[i]].count < s.slots[s.heap[j]].count
}

func (s *spaceSaving) swap(i, j int) {
	s.heap[i], s.heap[j] = s.heap[j], s.heap[i]
	s.slots[s.heap[i]].pos = int32(i)
	s.slots[s.heap[j]].pos = int32(j)
}

func (s *spaceSaving) up(i int) {
	for i > 0 {
		parent := (i - 1) / 2
		if !s.less(i, parent) {
			return
		}
		s.swap(i, parent)
		i = parent
	}
}

func (s *spaceSaving) down(i int) {
	n := len(s.heap)
	for {
		l := 2*i + 1
		if l >= n {
			return
		}
		m := l
		if r := l + 1; r < n && s.less(r, l) {
			m = r
		}
		if !s.less(m, i) {
			return
		}
		s.swap(i, m)
		i = m
	}
}

// minCount is the smallest counter when the sketch is full, else 0: the
// most any unmonitored key can have occurred.
func (s *spaceSaving) minCount() int64 {
	if len(s.slots) < cap(s.slots) || len(s.heap) == 0 {
		return 0
	}
	return s.slots[s.heap[0]].count
}

// errorBound is the most the sketch over-states any key's count: the
// largest error of a counter, and the most an unmonitored key can have
// occurred (the smallest counter of a full sketch).
func (s *spaceSaving) errorBound() int64 {
	eps := s.minCount()
	for i := range s.slots {
		eps = max(eps, s.slots[i].err)
	}
	return eps
}

// hot returns up to n keys by guaranteed count (count − err), keeping only
// those whose guaranteed count exceeds the sketch's error bound: a key the
// sketch cannot tell from noise is not reported as hot. Shares are of
// total. It also returns the error bound.
func (s *spaceSaving) hot(n int, total int64) ([]HotKey, int64) {
	eps := s.errorBound()
	es := s.entries()
	slices.SortStableFunc(es, func(a, b ssEntry) int {
		return cmp.Compare(b.count-b.err, a.count-a.err)
	})
	var out []HotKey
	for _, e := range es {
		g := e.count - e.err
		if len(out) == n || g <= eps {
			break
		}
		hk := HotKey{Key: string(e.key), Count: g, Error: e.err}
		if total > 0 {
			hk.Share = float64(g) / float64(total)
		}
		out = append(out, hk)
	}
	return out, eps
}

// ssEntry is one counter as reported.
type ssEntry struct {
	h     uint64
	key   []byte
	count int64
	err   int64
}

// entries returns the counters, highest count first (ties by key).
func (s *spaceSaving) entries() []ssEntry {
	out := make([]ssEntry, len(s.slots))
	for i, sl := range s.slots {
		out[i] = ssEntry{h: sl.h, key: sl.key, count: sl.count, err: sl.err}
	}
	slices.SortFunc(out, func(a, b ssEntry) int {
		if c := cmp.Compare(b.count, a.count); c != 0 {
			return c
		}
		return slices.Compare(a.key, b.key)
	})
	return out
}

// merge folds o into s (the mergeable-summaries rule: a key missing from
// one full summary may have occurred up to that summary's minimum count).
func (s *spaceSaving) merge(o *spaceSaving) {
	if len(o.slots) == 0 {
		return
	}
	if len(s.slots) == 0 {
		for _, e := range o.entries() {
			s.add(e.h, e.key, e.count)
			s.slots[s.mustFind(e.h)].err = e.err
		}
		s.evicted = s.evicted || o.evicted
		return
	}
	minS, minO := s.minCount(), o.minCount()
	type acc struct {
		key        []byte
		count, err int64
	}
	all := make(map[uint64]*acc, len(s.slots)+len(o.slots))
	for _, e := range s.entries() {
		all[e.h] = &acc{key: append([]byte(nil), e.key...), count: e.count + minO, err: e.err + minO}
	}
	for _, e := range o.entries() {
		if a, ok := all[e.h]; ok {
			a.count += e.count - minO
			a.err += e.err - minO
		} else {
			all[e.h] = &acc{key: append([]byte(nil), e.key...), count: e.count + minS, err: e.err + minS}
		}
	}
	type kv struct {
		h uint64
		a *acc
	}
	list := make([]kv, 0, len(all))
	for h, a := range all {
		list = append(list, kv{h, a})
	}
	slices.SortFunc(list, func(x, y kv) int {
		if c := cmp.Compare(y.a.count, x.a.count); c != 0 {
			return c
		}
		return slices.Compare(x.a.key, y.a.key)
	})
	k := cap(s.slots)
	evicted := s.evicted || o.evicted || len(list) > k
	*s = newSpaceSaving(k)
	s.evicted = evicted
	for i, e := range list {
		if i == k {
			break
		}
		s.add(e.h, e.a.key, e.a.count)
		s.slots[s.mustFind(e.h)].err = e.a.err
	}
}

func (s *spaceSaving) mustFind(h uint64) int32 {
	id, _ := s.find(h)
	return id
}
