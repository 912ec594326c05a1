package keying

import (
	"math"
	"math/bits"
)

// distinct counts distinct 64-bit hashes: exactly (an open-addressing set)
// up to limit, then as a HyperLogLog of 2^precision registers. Memory is
// bounded by max(16*limit, 2^precision) bytes.
type distinct struct {
	set       []uint64 // 0 = empty slot; len is a power of two
	n         int
	limit     int
	precision uint8
	hll       []uint8 // non-nil once the exact set overflowed
}

func newDistinct(limit int, precision uint8) distinct {
	return distinct{limit: limit, precision: precision}
}

// nonZero maps the empty-slot marker away.
func nonZero(h uint64) uint64 {
	if h == 0 {
		return 1
	}
	return h
}

func (d *distinct) add(h uint64) {
	if d.hll != nil {
		d.hllAdd(h)
		return
	}
	h = nonZero(h)
	if len(d.set) == 0 {
		d.set = make([]uint64, 64)
	}
	mask := uint64(len(d.set) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		switch d.set[i] {
		case h:
			return
		case 0:
			d.set[i] = h
			d.n++
			if d.n > d.limit {
				d.toHLL()
			} else if 2*d.n > len(d.set) {
				d.grow()
			}
			return
		}
	}
}

func (d *distinct) grow() {
	old := d.set
	d.set = make([]uint64, 2*len(old))
	mask := uint64(len(d.set) - 1)
	for _, h := range old {
		if h == 0 {
			continue
		}
		i := h & mask
		for d.set[i] != 0 {
			i = (i + 1) & mask
		}
		d.set[i] = h
	}
}

func (d *distinct) toHLL() {
	d.hll = make([]uint8, 1<<d.precision)
	for _, h := range d.set {
		if h != 0 {
			d.hllAdd(h)
		}
	}
	d.set, d.n = nil, 0
}

func (d *distinct) hllAdd(h uint64) {
	idx := h >> (64 - d.precision)
	rank := uint8(bits.LeadingZeros64(h<<d.precision|1<<(d.precision-1))) + 1
	if rank > d.hll[idx] {
		d.hll[idx] = rank
	}
}

// count returns the number of distinct hashes and whether it is exact.
func (d *distinct) count() (int64, bool) {
	if d.hll == nil {
		return int64(d.n), true
	}
	m := float64(len(d.hll))
	var sum float64
	zeros := 0
	for _, r := range d.hll {
		sum += math.Ldexp(1, -int(r))
		if r == 0 {
			zeros++
		}
	}
	alpha := 0.7213 / (1 + 1.079/m)
	est := alpha * m * m / sum
	if est <= 2.5*m && zeros > 0 { // small range: linear counting
		est = m * math.Log(m/float64(zeros))
	}
	return int64(est + 0.5), false
}

// merge adds every hash o has seen. Both must share limit and precision.
func (d *distinct) merge(o *distinct) {
	if o.hll == nil {
		for _, h := range o.set {
			if h != 0 {
				d.add(h)
			}
		}
		return
	}
	if d.hll == nil {
		d.toHLL()
	}
	for i, r := range o.hll {
		if r > d.hll[i] {
			d.hll[i] = r
		}
	}
}
