package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
)

// embeddedLagWarning is the lag beyond which a run on the embedded broker
// warns that the broker's memory grows with it.
const embeddedLagWarning = 2_000_000

// brokerSilence is how long the cluster may fail every admin request before
// the variant is aborted (with what was measured so far).
const brokerSilence = 10 * time.Second

// sampler reads lag once a second the way monitoring tools do (high
// watermark minus committed offset, per group and partition), records the
// time series, trims consumed records on the embedded broker, and notices a
// broker that stopped answering.
type sampler struct {
	vr          *variantRun
	start       time.Time
	measureFrom time.Time
	failed      chan error

	mu         sync.Mutex
	series     []report.Sample
	groupMax   []int64   // max total lag per group
	groupFinal []int64   // last total lag per group
	partMax    [][]int64 // max lag per group and partition
	// committed: each group's committed offsets per partition at the last
	// successful reading (nil before one); hwm the partitions' ends then.
	committed [][]int64
	hwm       []int64
	maxLagNow int64
	warnedLag bool
	lastOK    time.Time
	prevAcked int64
	prevAt    time.Time
	second    *recorder.Histogram // scratch: this second's latencies
	live      liveScratch         // scratch for Options.Observer
}

func newSampler(vr *variantRun, start, measureFrom time.Time) *sampler {
	s := &sampler{
		vr:          vr,
		start:       start,
		measureFrom: measureFrom,
		failed:      make(chan error, 1),
		groupMax:    make([]int64, len(vr.groups)),
		groupFinal:  make([]int64, len(vr.groups)),
		partMax:     make([][]int64, len(vr.groups)),
		lastOK:      time.Now(),
		prevAt:      start,
		maxLagNow:   -1,
		second:      recorder.NewHistogram(),
	}
	for i := range s.partMax {
		s.partMax[i] = make([]int64, vr.maxPartitions())
	}
	return s
}

func (s *sampler) loop(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			s.sample(sctx, false)
			cancel()
		}
	}
}

func (s *sampler) lastMaxLag() int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.maxLagNow
}

// groupLag is group gi's total lag at the last reading (-1 before one).
func (s *sampler) groupLag(gi int) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.committed == nil {
		return -1
	}
	return s.groupFinal[gi]
}

// lastOffsets returns the committed offsets per group and partition and
// the partitions' ends at the last successful reading (nil before one).
func (s *sampler) lastOffsets() ([][]int64, []int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.committed, s.hwm
}

// sample takes one lag reading and appends a time-series point. Its jobs,
// each a step below: read the lag (high watermark minus committed offset,
// per group and partition), notice a broker that stopped answering, record
// the time series and lag maxima, trim what every group has committed on
// the embedded broker, and drive the progress line and the observer. The
// final sample (after the consumers stopped) only records the lag.
func (s *sampler) sample(ctx context.Context, final bool) {
	now := time.Now()
	rd := s.readLag(ctx)
	c := s.counters()
	var p99 float64
	if !final {
		p99 = intervalP99(s.vr.producers, s.second)
	}
	if rd.err != nil {
		s.brokerSilent(now, rd.err, final)
		return
	}
	maxLag, rate := s.record(now, rd, c, p99, final)
	if final {
		return
	}
	s.trim(ctx, rd.minCommit)
	s.progress(now, c, rate, p99, maxLag)
	s.observe(now, rate)
}

// lagReading is one reading of the partitions' ends and every group's
// committed offsets.
type lagReading struct {
	hwm       []int64
	commits   [][]int64 // per group and partition (-1: none)
	lags      [][]int64 // per group and partition
	minCommit []int64   // per partition, the lowest committed offset of all groups
	err       error
}

func (s *sampler) readLag(ctx context.Context) lagReading {
	vr := s.vr
	P := vr.partitions()
	rd := lagReading{lags: make([][]int64, len(vr.groups)), commits: make([][]int64, len(vr.groups))}
	rd.hwm, rd.err = vr.adm.EndOffsets(ctx, vr.topic, P)
	if rd.err != nil {
		return rd
	}
	rd.minCommit = make([]int64, P)
	copy(rd.minCommit, rd.hwm)
	for gi, g := range vr.groups {
		committed, err := vr.adm.Committed(ctx, g.id, vr.topic, P)
		if err != nil {
			rd.err = err
			return rd
		}
		rd.lags[gi] = make([]int64, P)
		rd.commits[gi] = committed
		for p := 0; p < P; p++ {
			c := committed[p]
			if c < 0 {
				c = 0
				rd.minCommit[p] = 0 // nothing committed: keep everything
			} else if c < rd.minCommit[p] {
				rd.minCommit[p] = c
			}
			if l := rd.hwm[p] - c; l > 0 {
				rd.lags[gi][p] = l
			}
		}
	}
	return rd
}

// runCounters: handed to the clients, acknowledged, and processed by the
// slowest group (for the first time).
type runCounters struct{ sent, acked, consumed int64 }

func (s *sampler) counters() runCounters {
	var c runCounters
	for _, p := range s.vr.producers {
		c.sent += p.sent.Load()
		p.mu.Lock()
		c.acked += p.ackedAll
		p.mu.Unlock()
	}
	c.consumed = -1
	for _, g := range s.vr.groups {
		if u := g.unique.Load(); c.consumed < 0 || u < c.consumed {
			c.consumed = u
		}
	}
	c.consumed = max(c.consumed, 0)
	return c
}

// brokerSilent aborts the variant (through failed) once the broker has
// failed every reading for brokerSilence.
func (s *sampler) brokerSilent(now time.Time, err error, final bool) {
	s.mu.Lock()
	silent := now.Sub(s.lastOK)
	s.mu.Unlock()
	if silent > brokerSilence && !final {
		select {
		case s.failed <- fmt.Errorf("broker %v stopped answering for %s: %w", s.vr.brokers, silent.Round(time.Second), err):
		default:
		}
	}
}

// record updates the lag maxima and finals and appends the second to the
// time series; it returns the largest group lag and the acknowledged rate.
func (s *sampler) record(now time.Time, rd lagReading, c runCounters, p99 float64, final bool) (int64, float64) {
	vr := s.vr
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastOK = now
	s.committed, s.hwm = rd.commits, rd.hwm
	var maxLag int64
	groupLag := make([]int64, len(vr.groups))
	for gi := range vr.groups {
		var sum int64
		for p, l := range rd.lags[gi] {
			sum += l
			s.partMax[gi][p] = max(s.partMax[gi][p], l)
		}
		s.groupMax[gi] = max(s.groupMax[gi], sum)
		s.groupFinal[gi] = sum
		groupLag[gi] = sum
		maxLag = max(maxLag, sum)
	}
	s.maxLagNow = maxLag
	if vr.embedded && !s.warnedLag && maxLag > embeddedLagWarning {
		// The embedded broker keeps every record not yet consumed in
		// memory; say so before an unthrottled run with slow consumers
		// exhausts it.
		s.warnedLag = true
		mib := float64(maxLag) * float64(vr.exp.Workload.Message.Size) / (1 << 20)
		fmt.Fprintf(vr.opt.Log, "warning: consumers are %d messages (~%.0f MiB) behind; the embedded broker holds them all in memory\n", maxLag, mib)
	}
	rate := 0.0
	if dt := now.Sub(s.prevAt).Seconds(); dt > 0 {
		rate = float64(c.acked-s.prevAcked) / dt
	}
	s.prevAcked, s.prevAt = c.acked, now
	if !final {
		s.series = append(s.series, report.Sample{
			T: round3(now.Sub(s.start).Seconds()), Sent: c.sent, Acked: c.acked, Consumed: c.consumed, Lag: maxLag, P99Ms: p99,
			GroupLag: groupLag,
		})
	}
	return maxLag, rate
}

// trim keeps the embedded broker's memory bounded: it drops what every
// group has committed (and what the verifiers have read). Never an
// external cluster's data.
func (s *sampler) trim(ctx context.Context, minCommit []int64) {
	vr := s.vr
	if !vr.embedded || vr.existing() {
		return
	}
	_ = vr.adm.DeleteRecords(ctx, vr.topic, minCommit)
	for _, g := range vr.groups {
		if g.ver != nil {
			_ = vr.adm.DeleteRecords(ctx, g.out, g.ver.positions())
		}
	}
}

// progress drives the progress line.
func (s *sampler) progress(now time.Time, c runCounters, rate, p99 float64, maxLag int64) {
	vr := s.vr
	if vr.opt.Progress == nil {
		return
	}
	total := vr.exp.Warmup.D() + vr.exp.Duration.D()
	el := now.Sub(s.start)
	vr.opt.Progress(Progress{
		Variant: vr.name, Elapsed: el, Total: total, Sent: c.sent, Acked: c.acked,
		Rate: rate, P99Ms: p99, MaxLag: maxLag, Draining: el > total,
	})
}

func round3(x float64) float64 {
	return float64(int64(x*1000+0.5)) / 1000
}

// intervalP99 is the p99 in ms of every acknowledgement since the last
// call, all producers' together (not the largest of their p99s: one
// producer's few slow acks are not the second's p99), using scratch; it
// resets the producers' interval histograms. 0 without acknowledgements.
func intervalP99(producers []*producer, scratch *recorder.Histogram) float64 {
	scratch.Reset()
	for _, p := range producers {
		p.mu.Lock()
		scratch.Merge(p.interval)
		p.interval.Reset()
		p.mu.Unlock()
	}
	if scratch.Count() == 0 {
		return 0
	}
	return float64(scratch.Quantile(99).Microseconds()) / 1000
}
