package delivery

import (
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// Encode returns s in a compact text form for result files: its runs as
// uvarint pairs (gap from the end of the previous run, run length - 1),
// base64 (standard alphabet, no padding). The empty set encodes as "". A
// set of one run of a million members takes a few bytes; a fragmented set
// about 2-4 bytes per run.
func (s *IntervalSet) Encode() string {
	if s == nil || s.n == 0 {
		return ""
	}
	buf := make([]byte, 0, 4*s.runs)
	next := uint64(0) // first value the next run may start at
	first := true
	for _, c := range s.chunks {
		for _, r := range c {
			gap := r.Lo - next
			if first {
				gap, first = r.Lo, false
			}
			buf = binary.AppendUvarint(buf, gap)
			buf = binary.AppendUvarint(buf, r.Hi-r.Lo)
			next = r.Hi + 1 // runs are non-adjacent: the next gap is >= 1
		}
	}
	return base64.RawStdEncoding.EncodeToString(buf)
}

// DecodeIntervalSet parses what Encode wrote.
func DecodeIntervalSet(text string) (*IntervalSet, error) {
	s := &IntervalSet{}
	if text == "" {
		return s, nil
	}
	buf, err := base64.RawStdEncoding.DecodeString(text)
	if err != nil {
		return nil, fmt.Errorf("interval set: %w", err)
	}
	next, first := uint64(0), true
	for len(buf) > 0 {
		gap, n := binary.Uvarint(buf)
		if n <= 0 {
			return nil, errors.New("interval set: bad gap")
		}
		buf = buf[n:]
		length, n := binary.Uvarint(buf)
		if n <= 0 {
			return nil, errors.New("interval set: bad run length")
		}
		buf = buf[n:]
		if !first && gap == 0 {
			return nil, errors.New("interval set: adjacent runs")
		}
		lo := next + gap
		if first {
			lo, first = gap, false
		}
		if lo < next || length > math.MaxUint64-lo {
			return nil, errors.New("interval set: runs overflow")
		}
		hi := lo + length
		s.AddRange(lo, hi)
		if hi == math.MaxUint64 {
			if len(buf) > 0 {
				return nil, errors.New("interval set: runs past the maximum")
			}
			break
		}
		next = hi + 1
	}
	return s, nil
}

// CountIn returns how many members of s are members of b (|s ∩ b|).
func (s *IntervalSet) CountIn(b *IntervalSet) uint64 {
	if s == nil {
		return 0
	}
	return s.n - s.CountNotIn(b)
}
