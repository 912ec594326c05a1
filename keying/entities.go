package keying

import (
	"math"
	"math/bits"
)

// entityTable tracks, per order_by entity, how many messages it had and the
// set of partitions they went to (a bitmask). Memory is bounded: once limit
// entities are tracked it keeps only entities whose hash is <= threshold,
// halving threshold (and dropping the entities above it) each time the
// table fills again. Entities are sampled by hash, so the figures over the
// kept ones estimate those over all; below limit they are exact.
type entityTable struct {
	words     int // uint64 words per partition mask
	limit     int
	threshold uint64
	n         int
	hashes    []uint64 // 0 = empty; len a power of two
	counts    []int64
	masks     []uint64 // len(hashes) * words
	// spare arrays of the same size, reused by resample (no allocation).
	spareH []uint64
	spareC []int64
	spareM []uint64
}

func newEntityTable(partitions, limit int) entityTable {
	return entityTable{
		words:     (partitions + 63) / 64,
		limit:     limit,
		threshold: math.MaxUint64,
	}
}

func (t *entityTable) alloc(size int) ([]uint64, []int64, []uint64) {
	return make([]uint64, size), make([]int64, size), make([]uint64, size*t.words)
}

// slot returns h's slot in the table, inserting it if absent.
func (t *entityTable) slot(h uint64) int {
	mask := uint64(len(t.hashes) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch t.hashes[i] {
		case h:
			return int(i)
		case 0:
			t.hashes[i] = h
			t.n++
			return int(i)
		}
	}
}

// observe records one message of the entity with hash h on partition.
func (t *entityTable) observe(h uint64, partition int) {
	h = nonZero(h)
	if h > t.threshold {
		return
	}
	if len(t.hashes) == 0 {
		t.hashes, t.counts, t.masks = t.alloc(64)
	}
	i := t.slot(h)
	t.counts[i]++
	t.masks[i*t.words+(partition>>6)] |= 1 << (uint(partition) & 63)
	t.fit()
}

// fit keeps the table within bounds after an insert.
func (t *entityTable) fit() {
	if 2*t.n <= len(t.hashes) {
		return
	}
	if t.n <= t.limit {
		t.rehash(2*len(t.hashes), false)
		return
	}
	for t.n > t.limit/2 && t.threshold > 0 {
		t.threshold >>= 1
		t.rehash(len(t.hashes), true)
	}
}

// rehash moves every entry with hash <= threshold into arrays of size.
func (t *entityTable) rehash(size int, reuse bool) {
	var nh []uint64
	var nc []int64
	var nm []uint64
	if reuse && len(t.spareH) == size {
		nh, nc, nm = t.spareH, t.spareC, t.spareM
		clear(nh)
		clear(nc)
		clear(nm)
	} else {
		nh, nc, nm = t.alloc(size)
	}
	mask := uint64(size - 1)
	n := 0
	for i, h := range t.hashes {
		if h == 0 || h > t.threshold {
			continue
		}
		j := h & mask
		for nh[j] != 0 {
			j = (j + 1) & mask
		}
		nh[j] = h
		nc[j] = t.counts[i]
		copy(nm[int(j)*t.words:int(j+1)*t.words], t.masks[i*t.words:(i+1)*t.words])
		n++
	}
	if reuse {
		t.spareH, t.spareC, t.spareM = t.hashes, t.counts, t.masks
	} else {
		t.spareH, t.spareC, t.spareM = nil, nil, nil
	}
	t.hashes, t.counts, t.masks, t.n = nh, nc, nm, n
}

// merge folds o into t.
func (t *entityTable) merge(o *entityTable) {
	if o.threshold < t.threshold {
		t.threshold = o.threshold
		if len(t.hashes) > 0 {
			t.rehash(len(t.hashes), false)
		}
	}
	for i, h := range o.hashes {
		if h == 0 || h > t.threshold {
			continue
		}
		if len(t.hashes) == 0 {
			t.hashes, t.counts, t.masks = t.alloc(64)
		}
		j := t.slot(h)
		t.counts[j] += o.counts[i]
		for w := 0; w < t.words; w++ {
			t.masks[j*t.words+w] |= o.masks[i*t.words+w]
		}
		t.fit()
	}
}

// ordering returns the share of (tracked) messages whose entity lives on
// exactly one partition, the most partitions one entity spans, the number
// of tracked entities and whether the figures are exact (no sampling).
func (t *entityTable) ordering() (preserved float64, maxSpread int, entities int, exact bool) {
	var total, single int64
	for i, h := range t.hashes {
		if h == 0 {
			continue
		}
		spread := 0
		for _, w := range t.masks[i*t.words : (i+1)*t.words] {
			spread += bits.OnesCount64(w)
		}
		if spread > maxSpread {
			maxSpread = spread
		}
		total += t.counts[i]
		if spread == 1 {
			single += t.counts[i]
		}
	}
	if total > 0 {
		preserved = float64(single) / float64(total)
	}
	return preserved, maxSpread, t.n, t.threshold == math.MaxUint64
}
