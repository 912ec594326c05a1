package runner

import (
	"context"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/workloads/pace"
	"github.com/kbench/kbench/workloads/traffic"
)

// endGrace is how long after the end a paced producer may still hand off
// messages that were due before it.
const endGrace = 50 * time.Millisecond

// chunk is the most records handed to the client in one call: large enough
// to amortise the client's per-call cost, small enough that a paced run
// hands messages off close to their intended time.
const chunk = 256

// slab holds the bytes (headers, keys, JSON values) of one chunk of
// in-flight messages, carved one after another so that building and
// acknowledging a chunk walks memory in order. It goes back to the pool when
// the last of its messages is acknowledged; steady-state producing does not
// allocate.
type slab struct {
	buf  []byte
	refs atomic.Int32
}

// slabBytes fits a chunk of headers and typical keys; a message whose key
// does not fit ends the chunk early.
const slabBytes = chunk * (wire.Size + 64)

var slabs = sync.Pool{New: func() any { return &slab{buf: make([]byte, 0, slabBytes)} }}

func getSlab(valueBytes int) *slab {
	s := slabs.Get().(*slab)
	if need := slabBytes + chunk*valueBytes; cap(s.buf) < need {
		s.buf = make([]byte, 0, need)
	}
	s.buf = s.buf[:0]
	return s
}

// carve returns n bytes of s, or false when s is full.
func (s *slab) carve(n int) ([]byte, bool) {
	l := len(s.buf)
	if l+n > cap(s.buf) {
		return nil, false
	}
	s.buf = s.buf[:l+n]
	return s.buf[l : l+n : l+n], true
}

// release drops one message's hold on s.
func (s *slab) release() {
	if s.refs.Add(-1) == 0 {
		slabs.Put(s)
	}
}

// producer is one producer instance: a goroutine generating, keying, placing
// and pacing messages, and the ack side (client goroutines) recording what
// the broker acknowledged.
type producer struct {
	id      uint32
	drv     driver.Producer
	src     *traffic.Source
	pacer   *pace.Pacer
	an      *keying.Analyzer
	filler  []byte // shared value bytes for format "bytes"
	jsonFmt bool
	size    int

	runID        uint64
	start        time.Time // pacing origin
	measureFrom  time.Time // end of warmup
	end          time.Time // producing stops at end
	limit        uint64    // message limit for this producer; 0 = none
	maxInFlight  int64
	sendDelay    *recorder.Histogram // producer goroutine only
	inflight     atomic.Int64
	sent         atomic.Int64 // handed to the client (all, warmup included)
	wake         chan struct{}
	measuredSent atomic.Int64
	// unsent: measured messages due before the end but never handed to
	// the client (producer goroutine; read after it returned).
	unsent int64
	// budget bounds an unthrottled producer's in-flight messages by time
	// (producer goroutine only).
	budget inflightBudget
	// place: the partition count to place keys over once the topic grew
	// and this producer's client knows the new partitions (grow.go); 0
	// until then. The producer goroutine reads it once a chunk.
	place atomic.Int32

	// ack side, under mu (acks arrive concurrently per partition)
	mu        sync.Mutex
	lat, corr *recorder.Histogram
	// interval holds this second's service latencies, for the time series
	// and the progress line (the sampler swaps it out).
	interval *recorder.Histogram
	// liveCorr: this second's corrected latencies, only when the run is
	// observed (nil otherwise); the sampler swaps it out like interval.
	liveCorr  *recorder.Histogram
	warmParts []int64 // acknowledged warmup messages per partition
	partMsgs  []int64
	partBytes []int64
	acked     delivery.Window // every acknowledged sequence
	// ackedOff[p]: offsets acknowledged on partition p; only in a sharded
	// run whose producers learn offsets (kbench merge needs them).
	ackedOff []delivery.IntervalSet
	ackedAll int64
	measured int64 // acked in the measured phase
	bytes    int64
	errors   int64
	lastAck  int64 // clock stamp of the latest acknowledgement
	firstErr error
	log      io.Writer
	// sealed: the flush at the end is over; acknowledgements arriving
	// later are not counted, and unacked is what was still in flight.
	sealed  bool
	unacked int64
}

func newProducer(id uint32, partitions int) *producer {
	return &producer{
		id:        id,
		sendDelay: recorder.NewHistogram(),
		lat:       recorder.NewHistogram(),
		corr:      recorder.NewHistogram(),
		interval:  recorder.NewHistogram(),
		warmParts: make([]int64, partitions),
		partMsgs:  make([]int64, partitions),
		partBytes: make([]int64, partitions),
		an:        keying.NewAnalyzer(partitions),
		wake:      make(chan struct{}, 1),
	}
}

// onAck records a batch of acknowledgements (called from client goroutines).
func (p *producer) onAck(acks []driver.Ack, err error) {
	var h wire.Header
	p.mu.Lock()
	if p.sealed {
		p.mu.Unlock()
		releaseSlabs(acks)
		return
	}
	if err != nil {
		p.errors += int64(len(acks))
		if p.firstErr == nil {
			p.firstErr = err
			fmt.Fprintf(p.log, "producer %d: delivery failed (first of possibly many): %v\n", p.id, err)
		}
		for i := range acks {
			if wire.Parse(acks[i].Header, &h) == nil {
				p.acked.Skip(h.Seq)
			}
		}
	} else {
		from := clock.At(p.measureFrom)
		for i := range acks {
			a := &acks[i]
			atNs := a.At
			p.lastAck = max(p.lastAck, atNs)
			if wire.Parse(a.Header, &h) != nil {
				continue
			}
			p.acked.Add(h.Seq)
			p.ackedAll++
			if p.ackedOff != nil && a.Offset >= 0 && a.Partition >= 0 && a.Partition < len(p.ackedOff) {
				p.ackedOff[a.Partition].Add(uint64(a.Offset))
			}
			p.interval.Record(time.Duration(atNs - h.Sent))
			if p.liveCorr != nil {
				p.liveCorr.Record(time.Duration(atNs - h.Intended))
			}
			if h.Intended < from {
				if a.Partition >= 0 && a.Partition < len(p.warmParts) {
					p.warmParts[a.Partition]++
				}
			} else {
				p.lat.Record(time.Duration(atNs - h.Sent))
				p.corr.Record(time.Duration(atNs - h.Intended))
				if a.Partition >= 0 && a.Partition < len(p.partMsgs) {
					p.partMsgs[a.Partition]++
					p.partBytes[a.Partition] += int64(a.Bytes)
				}
				p.measured++
				p.bytes += int64(a.Bytes)
			}
		}
	}
	// Under mu, so seal counts exactly what was not acknowledged.
	p.inflight.Add(-int64(len(acks)))
	p.mu.Unlock()
	releaseSlabs(acks)
	select {
	case p.wake <- struct{}{}:
	default:
	}
}

func releaseSlabs(acks []driver.Ack) {
	for i := range acks {
		if sl, ok := acks[i].Token.(*slab); ok {
			sl.release()
		}
	}
}

// seal ends the producer's accounting once the flush at the end is over
// (or has run out of time): what is still in flight is counted as
// unacknowledged, and acknowledgements arriving later are ignored, so the
// figures do not move while they are assembled. Idempotent.
func (p *producer) seal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.sealed {
		p.sealed = true
		p.unacked = max(p.inflight.Load(), 0)
	}
}

// run produces until the end time, the message limit or ctx ends.
func (p *producer) run(ctx context.Context) error {
	st := &sendState{
		recs:    make([]driver.Record, 0, chunk),
		hdr:     wire.Header{RunID: p.runID, Producer: p.id},
		endOff:  p.end.Sub(p.start),
		startNs: clock.At(p.start), measureNs: clock.At(p.measureFrom),
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if ctx.Err() != nil || (p.limit > 0 && st.n >= p.limit) {
			return nil
		}
		now := time.Now()
		if p.past(now, st) {
			p.recordUnsent(st.n, st.startNs, st.measureNs, st.endOff)
			return nil
		}
		limit := p.inflightLimit(now)
		if p.inflight.Load() >= limit {
			if !p.sleep(ctx, timer, 50*time.Millisecond, true) {
				return nil
			}
			continue
		}
		elapsed := now.Sub(p.start)
		sl := p.fill(st, elapsed, limit-p.inflight.Load())
		if len(st.recs) == 0 {
			slabs.Put(sl)
			if wait := p.untilDue(st, elapsed); wait > 0 && !p.sleep(ctx, timer, wait, false) {
				return nil
			}
			continue
		}
		if err := p.handOff(ctx, st, sl); err != nil || ctx.Err() != nil {
			return err
		}
	}
}

// sendState is the producer goroutine's state between chunks.
type sendState struct {
	recs      []driver.Record
	intendeds [chunk]int64
	hdr       wire.Header
	endOff    time.Duration // the end, from the pacing origin
	startNs   int64         // the pacing origin's stamp
	measureNs int64         // the end of warmup's stamp
	n         uint64        // messages generated
}

// past reports whether sending is over at now. A paced producer that woke
// a little late still sends what was due before the end (scheduler jitter
// must not eat the last messages); one that is far behind stops.
func (p *producer) past(now time.Time, st *sendState) bool {
	if now.Before(p.end) {
		return false
	}
	return p.pacer.Shape() == nil || now.Sub(p.end) > endGrace || p.pacer.Due(st.n) >= st.endOff
}

// inflightLimit bounds what the client holds: kafka-go's async Writer has
// no back-pressure of its own. Unthrottled, also by time: no more than the
// client acknowledges in inflightWindow, so the flush at the end takes
// seconds, not minutes.
func (p *producer) inflightLimit(now time.Time) int64 {
	if p.pacer.Shape() == nil {
		return p.budget.limit(now, p.ackedCount(), p.maxInFlight)
	}
	return p.maxInFlight
}

// untilDue is how long to sleep until the next message is due.
func (p *producer) untilDue(st *sendState, elapsed time.Duration) time.Duration {
	if p.pacer.Shape() == nil {
		return 50 * time.Millisecond
	}
	d := p.pacer.Due(st.n)
	if d == pace.Never || d >= st.endOff {
		d = st.endOff
	}
	return d - elapsed
}

// fill generates, keys, places and stamps the messages due by elapsed (at
// most room, at most a chunk) into st.recs, their bytes carved from a
// slab it returns.
func (p *producer) fill(st *sendState, elapsed time.Duration, room int64) *slab {
	st.recs = st.recs[:0]
	valueBytes := 0
	if p.jsonFmt {
		valueBytes = p.size
	}
	sl := getSlab(valueBytes)
	if n := int(p.place.Load()); n > 0 && n != p.src.Partitions() {
		p.src.SetPartitions(n)
	}
	for len(st.recs) < chunk && int64(len(st.recs)) < room {
		if p.limit > 0 && st.n >= p.limit {
			break
		}
		due := elapsed
		if p.pacer.Shape() != nil {
			due = p.pacer.Due(st.n)
			if due > elapsed {
				break
			}
		}
		if due >= st.endOff {
			break
		}
		ev, key, part := p.src.Next(due)
		hb, ok := sl.carve(wire.Size + len(key) + valueBytes)
		if !ok {
			// Unusually long keys filled the slab: this message's bytes
			// live on the heap instead (the source has already advanced,
			// so it must go in this chunk).
			hb = make([]byte, wire.Size+len(key)+valueBytes)
		}
		kb := hb[wire.Size : wire.Size+len(key)]
		copy(kb, key)
		value := p.filler
		if p.jsonFmt {
			vb := hb[wire.Size+len(key):]
			value = traffic.AppendJSON(vb[:0], ev, p.size)
		}
		intended := st.startNs + int64(due)
		st.hdr.Seq = st.n
		st.hdr.Intended = intended
		st.hdr.Sent = 0
		wire.Put(hb, &st.hdr)
		var k []byte
		if len(kb) > 0 {
			k = kb
		}
		st.intendeds[len(st.recs)] = intended
		st.recs = append(st.recs, driver.Record{Partition: part, Key: k, Value: value, Header: hb[:wire.Size], Token: sl})
		if intended >= st.measureNs {
			p.an.Observe(k, p.src.Entity(), part, len(k)+len(value)+wire.Size+len(wire.HeaderKey))
		}
		st.n++
	}
	return sl
}

// handOff stamps the chunk's hand-off time (one clock read a chunk),
// records each message's send delay and gives the chunk to the client.
// Messages of a chunk that were due at the same instant (all of an
// unthrottled chunk: it is filled with what is due now) have the same
// send delay and enter the histogram as one run.
func (p *producer) handOff(ctx context.Context, st *sendState, sl *slab) error {
	hn := clock.Now()
	var measured int64
	for i := 0; i < len(st.recs); {
		due := st.intendeds[i]
		j := i
		for ; j < len(st.recs) && st.intendeds[j] == due; j++ {
			wire.PutSent(st.recs[j].Header, hn)
		}
		if due >= st.measureNs {
			p.sendDelay.RecordN(time.Duration(hn-due), int64(j-i))
			measured += int64(j - i)
		}
		i = j
	}
	if measured > 0 {
		p.measuredSent.Add(measured)
	}
	sl.refs.Store(int32(len(st.recs)))
	p.inflight.Add(int64(len(st.recs)))
	p.sent.Add(int64(len(st.recs)))
	if err := p.drv.Produce(ctx, st.recs); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		p.inflight.Add(-int64(len(st.recs)))
		return err
	}
	clear(st.recs)
	return nil
}

// recordUnsent accounts for the messages a paced producer that fell behind
// never sent: every message from n on that was due before the end. Each
// enters send delay and corrected latency with its delay at this moment,
// a lower bound of what it would have been, so falling behind shows in
// the tail instead of vanishing from it.
func (p *producer) recordUnsent(n uint64, startNs, measureNs int64, endOff time.Duration) {
	if p.pacer.Shape() == nil {
		return // unthrottled: nothing is ever due
	}
	now := clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	// Messages due within the same microsecond share one histogram
	// value: record them as a run (a generator far behind an extreme rate
	// leaves millions).
	var runUs, runN int64
	flush := func() {
		if runN > 0 {
			d := time.Duration(runUs) * time.Microsecond
			p.sendDelay.RecordN(d, runN)
			p.corr.RecordN(d, runN)
			p.unsent += runN
		}
	}
	for k := n; p.limit == 0 || k < p.limit; k++ {
		due := p.pacer.Due(k)
		if due == pace.Never || due >= endOff {
			break
		}
		intended := startNs + int64(due)
		if intended < measureNs {
			continue
		}
		us := max(now-intended, 0) / int64(time.Microsecond)
		if us != runUs {
			flush()
			runUs, runN = us, 0
		}
		runN++
	}
	flush()
}

// ackedCount is the producer's acknowledged and failed messages so far:
// what left the client.
func (p *producer) ackedCount() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.ackedAll + p.errors
}

// sleep waits for d, or for an ack when onWake, or until ctx ends; false
// means ctx ended.
func (p *producer) sleep(ctx context.Context, t *time.Timer, d time.Duration, onWake bool) bool {
	t.Reset(d)
	var wake chan struct{}
	if onWake {
		wake = p.wake
	}
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
	case <-wake:
		t.Stop() // Go ≥1.23 timers: no stale value to drain
	}
	return true
}
