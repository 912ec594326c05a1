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
		s.partMax[i] = make([]int64, vr.exp.Topic.Partitions)
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

// sample takes one lag reading and appends a time-series point.
func (s *sampler) sample(ctx context.Context, final bool) {
	vr := s.vr
	P := vr.exp.Topic.Partitions
	now := time.Now()
	hwm, err := vr.adm.EndOffsets(ctx, vr.topic, P)
	lags := make([][]int64, len(vr.groups))
	commits := make([][]int64, len(vr.groups))
	var minCommit []int64
	if err == nil {
		minCommit = make([]int64, P)
		copy(minCommit, hwm)
		for gi, g := range vr.groups {
			committed, cerr := vr.adm.Committed(ctx, g.id, vr.topic, P)
			if cerr != nil {
				err = cerr
				break
			}
			lags[gi] = make([]int64, P)
			commits[gi] = committed
			for p := 0; p < P; p++ {
				c := committed[p]
				if c < 0 {
					c = 0
					minCommit[p] = 0 // nothing committed: keep everything
				} else if c < minCommit[p] {
					minCommit[p] = c
				}
				if l := hwm[p] - c; l > 0 {
					lags[gi][p] = l
				}
			}
		}
	}
	var sent, acked, consumed int64
	for _, p := range vr.producers {
		sent += p.sent.Load()
		p.mu.Lock()
		acked += p.ackedAll
		p.mu.Unlock()
	}
	var p99 float64
	if !final {
		p99 = intervalP99(vr.producers, s.second)
	}
	consumed = -1
	for _, g := range vr.groups {
		if u := g.unique.Load(); consumed < 0 || u < consumed {
			consumed = u
		}
	}
	if consumed < 0 {
		consumed = 0
	}

	s.mu.Lock()
	if err != nil {
		silent := now.Sub(s.lastOK)
		s.mu.Unlock()
		if silent > brokerSilence && !final {
			select {
			case s.failed <- fmt.Errorf("broker %v stopped answering for %s: %v", vr.brokers, silent.Round(time.Second), err):
			default:
			}
		}
		return
	}
	s.lastOK = now
	s.committed, s.hwm = commits, hwm
	var maxLag, totalLag int64
	for gi := range vr.groups {
		var sum int64
		for p, l := range lags[gi] {
			sum += l
			if l > s.partMax[gi][p] {
				s.partMax[gi][p] = l
			}
		}
		if sum > s.groupMax[gi] {
			s.groupMax[gi] = sum
		}
		s.groupFinal[gi] = sum
		if sum > maxLag {
			maxLag = sum
		}
		totalLag += sum
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
		rate = float64(acked-s.prevAcked) / dt
	}
	s.prevAcked, s.prevAt = acked, now
	if !final {
		s.series = append(s.series, report.Sample{
			T:        round3(now.Sub(s.start).Seconds()),
			Sent:     sent,
			Acked:    acked,
			Consumed: consumed,
			Lag:      maxLag,
			P99Ms:    p99,
		})
	}
	s.mu.Unlock()

	// Keep the embedded broker's memory bounded: drop what every group has
	// committed. Never touch an external cluster's data.
	if vr.embedded && !final {
		_ = vr.adm.DeleteRecords(ctx, vr.topic, minCommit)
		for _, g := range vr.groups {
			if g.ver != nil { // what the verifier has read
				_ = vr.adm.DeleteRecords(ctx, g.out, g.ver.positions())
			}
		}
	}
	if vr.opt.Progress != nil && !final {
		total := vr.exp.Warmup.D() + vr.exp.Duration.D()
		el := now.Sub(s.start)
		vr.opt.Progress(Progress{
			Variant: vr.name, Elapsed: el, Total: total, Sent: sent, Acked: acked,
			Rate: rate, P99Ms: p99, MaxLag: maxLag, Draining: el > total,
		})
	}
	if !final {
		s.observe(now, rate)
	}
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
