package keysource

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"
)

// ScanOptions control Scan.
type ScanOptions struct {
	// SkipBad counts bad lines and goes on; otherwise the first one stops
	// the scan with its *LineError.
	SkipBad bool
	// Progress, when set, is called about once a second with the records
	// read so far.
	Progress func(records int64)
}

// BadLimit bounds the bad-line messages ScanStats keeps.
const BadLimit = 5

// ScanStats counts what Scan read.
type ScanStats struct {
	// Records read (lines with a key or keyless), Messages they stand for.
	Records  int64
	Messages int64
	// Keyless records (an empty key cell, a JSON null) and the messages
	// they stand for: not placed by key, so left out of the key analysis.
	Keyless         int64
	KeylessMessages int64
	// Bad lines skipped (SkipBad) and the first BadLimit of them.
	Bad      int64
	FirstBad []string
	// Interrupted is true when ctx ended the scan early.
	Interrupted bool
}

// Scan reads every key of r and calls fn for each keyed one with its count
// (zero-count lines are read but not passed on). A cancelled ctx stops it
// with what was read (Interrupted), not an error.
func Scan(ctx context.Context, r Reader, opt ScanOptions, fn func(key []byte, n int64)) (ScanStats, error) {
	var st ScanStats
	last := time.Now()
	for {
		key, n, err := r.Next()
		if err != nil {
			if err == io.EOF {
				return st, nil
			}
			if ctx.Err() != nil && errors.Is(err, ctx.Err()) {
				st.Interrupted = true
				return st, nil
			}
			var le *LineError
			if !errors.As(err, &le) || !opt.SkipBad {
				return st, err
			}
			st.Bad++
			if len(st.FirstBad) < BadLimit {
				st.FirstBad = append(st.FirstBad, le.Error())
			}
			continue
		}
		st.Records++
		st.Messages += n
		if len(key) == 0 {
			st.Keyless++
			st.KeylessMessages += n
		} else if n > 0 {
			fn(key, n)
		}
		if st.Records&0xffff == 0 {
			if ctx.Err() != nil {
				st.Interrupted = true
				return st, nil
			}
			if now := time.Now(); opt.Progress != nil && now.Sub(last) >= time.Second {
				opt.Progress(st.Records)
				last = now
			}
		}
	}
}

// KeyCounts counts messages per distinct key exactly, for --save-keys: it
// holds every distinct key in memory, up to a limit.
type KeyCounts struct {
	m     map[string]int64
	limit int
	// Over is set once a key beyond the limit was dropped.
	Over bool
}

// NewKeyCounts keeps at most limit distinct keys.
func NewKeyCounts(limit int) *KeyCounts {
	return &KeyCounts{m: map[string]int64{}, limit: limit}
}

// Add counts n messages of key.
func (k *KeyCounts) Add(key []byte, n int64) {
	if c, ok := k.m[string(key)]; ok {
		k.m[string(key)] = c + n
		return
	}
	if len(k.m) >= k.limit {
		k.Over = true
		return
	}
	k.m[string(key)] = n
}

// Len is the number of distinct keys held.
func (k *KeyCounts) Len() int { return len(k.m) }

// Write writes KEY<TAB>COUNT lines, most frequent first (ties by key):
// the text format NewReader reads and workload.traffic.keys replays. Keys
// holding a line break cannot be written as a line; they are left out and
// counted in skipped.
func (k *KeyCounts) Write(w io.Writer) (written, skipped int, err error) {
	type kc struct {
		k string
		c int64
	}
	list := make([]kc, 0, len(k.m))
	for key, c := range k.m {
		if bytes.ContainsAny([]byte(key), "\r\n") {
			skipped++
			continue
		}
		list = append(list, kc{key, c})
	}
	slices.SortFunc(list, func(a, b kc) int {
		if c := cmp.Compare(b.c, a.c); c != 0 {
			return c
		}
		return cmp.Compare(a.k, b.k)
	})
	bw := bufio.NewWriter(w)
	buf := make([]byte, 0, 64)
	for _, e := range list {
		buf = append(append(buf[:0], e.k...), '\t')
		buf = strconv.AppendInt(buf, e.c, 10)
		buf = append(buf, '\n')
		if _, err := bw.Write(buf); err != nil {
			return written, skipped, fmt.Errorf("writing keys: %w", err)
		}
		written++
	}
	if err := bw.Flush(); err != nil {
		return written, skipped, fmt.Errorf("writing keys: %w", err)
	}
	return written, skipped, nil
}

// ContextReader reads r until ctx ends, then fails with ctx's error even
// while a read is blocked (stdin from a pipe that stays open): Ctrl-C then
// reports what was read. The blocked read is abandoned to its goroutine.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r, ch: make(chan readResult)}
}

type ctxReader struct {
	ctx     context.Context
	r       io.Reader
	ch      chan readResult
	pending bool
	buf     []byte
}

type readResult struct {
	n   int
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	if !c.pending {
		if cap(c.buf) < len(p) {
			c.buf = make([]byte, len(p))
		}
		c.buf = c.buf[:len(p)]
		c.pending = true
		go func(buf []byte) {
			n, err := c.r.Read(buf)
			c.ch <- readResult{n, err}
		}(c.buf)
	}
	select {
	case res := <-c.ch:
		c.pending = false
		return copy(p, c.buf[:res.n]), res.err
	case <-c.ctx.Done():
		return 0, c.ctx.Err()
	}
}
