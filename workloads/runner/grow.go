package runner

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/report"
)

// growBound bounds growing the topic, and each producer's wait for its
// client to learn the new partitions.
const growBound = 15 * time.Second

// growth is the topic's growth during the run (topic.repartition_at).
type growth struct {
	from, to int
	mu       sync.Mutex
	at       time.Time   // when the topic had every new partition; zero: not grown
	switched []time.Time // per producer, when it placed over to; zero: never
}

// maxPartitions is the most partitions the topic has during the run: every
// per-partition slice is made this long up front, so nothing is resized
// while producers, members and meters write to it.
func (vr *variantRun) maxPartitions() int {
	t := vr.exp.Topic
	if t.RepartitionAt > 0 && t.Repartition > t.Partitions {
		return t.Repartition
	}
	return t.Partitions
}

// partitions is the topic's partition count now (it grows at
// topic.repartition_at).
func (vr *variantRun) partitions() int {
	if n := vr.parts.Load(); n > 0 {
		return int(n)
	}
	return vr.exp.Topic.Partitions
}

// growing reports whether the topic grows during the run.
func (vr *variantRun) growing() bool { return vr.maxPartitions() > vr.exp.Topic.Partitions }

// scheduleGrowth grows the topic at topic.repartition_at: the broker first
// (every new partition with a leader), then each producer as soon as its
// client knows the new partitions. A growth that fails aborts the run
// through the sampler (a run that was to measure it cannot).
func (vr *variantRun) scheduleGrowth(ctx context.Context, start time.Time) {
	if !vr.growing() {
		return
	}
	gr := &growth{from: vr.exp.Topic.Partitions, to: vr.maxPartitions(), switched: make([]time.Time, len(vr.producers))}
	vr.grow.Store(gr)
	t := time.NewTimer(time.Until(start.Add(vr.exp.Topic.RepartitionAt.D())))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return
	case <-t.C:
	}
	gctx, cancel := context.WithTimeout(ctx, growBound)
	err := vr.adm.GrowTopic(gctx, vr.topic, gr.to)
	cancel()
	if err != nil {
		if ctx.Err() == nil {
			select {
			case vr.sampler.failed <- fmt.Errorf("topic.repartition_at: %w", err):
			default:
			}
		}
		return
	}
	gr.mu.Lock()
	gr.at = time.Now()
	gr.mu.Unlock()
	vr.parts.Store(int32(gr.to))
	fmt.Fprintf(vr.opt.Log, "  topic grown to %d partitions\n", gr.to)
	var wg sync.WaitGroup
	for i, p := range vr.producers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wctx, cancel := context.WithTimeout(ctx, growBound)
			defer cancel()
			if err := driver.WaitPartitions(wctx, p.drv, gr.to); err != nil {
				if ctx.Err() == nil {
					fmt.Fprintf(vr.opt.Log, "producer %d: keeps placing over %d partitions: %v\n", p.id, gr.from, err)
				}
				return
			}
			p.place.Store(int32(gr.to))
			gr.mu.Lock()
			gr.switched[i] = time.Now()
			gr.mu.Unlock()
		}()
	}
	wg.Wait()
}

// repartitioned is the growth for the report; nil when the topic did not
// grow.
func (vr *variantRun) repartitioned(start time.Time) *report.Repartition {
	gr := vr.grow.Load()
	if gr == nil {
		return nil
	}
	gr.mu.Lock()
	defer gr.mu.Unlock()
	if gr.at.IsZero() {
		return nil
	}
	r := &report.Repartition{From: gr.from, To: gr.to, AtS: round3(gr.at.Sub(start).Seconds())}
	var last time.Time
	for _, t := range gr.switched {
		if t.IsZero() {
			return r // a producer never switched: not measured
		}
		last = maxTime(last, t)
	}
	r.ProducersAtS = report.Float(round3(last.Sub(start).Seconds()))
	return r
}
