package runner

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/faultconn"
	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/workloads"
)

// group is one consumer group of the experiment with its members.
type group struct {
	cfg   workloads.ConsumerGroup
	runID uint64
	// id is the group id on the broker: the configured name made unique
	// per run and variant, so no member of an earlier variant or run (a
	// crashed one waits out its session) is still in the group.
	id       string
	measure  atomic.Int64 // Unix ns: messages intended before this are warmup
	tracker  *delivery.Tracker
	consumed atomic.Int64 // processed, measured phase
	unique   atomic.Int64 // processed for the first time, whole run

	// out and ver: with commit transactional (unsharded), the topic the
	// members write their output to in their transactions, and the
	// read_committed reader of it whose tracker gives the group's delivery
	// figures (see verifier.go).
	out string
	ver *verifier

	mu      sync.Mutex
	members []*member
	e2e     *recorder.Histogram // merged from stopped members
	// first and last: Unix ns of the first and last receipt counted in
	// consumed, over the stopped members (0: none); consumed over their
	// span is the group's consuming rate.
	first, last int64

	// sameClock reports whether a producer runs in this process (a
	// sharded run's producers are spread over hosts); nil: all do.
	sameClock func(producer uint32) bool
	// live: the run is observed; members keep a live e2e histogram.
	live bool
	// pause measures what rebalances cost (nil until producing starts,
	// and in a sharded run).
	pause atomic.Pointer[pauseMeter]
	// spike: the processing delay of a whole-group processing-spike (ns;
	// 0: none).
	spike atomic.Int64
	// partitions is the topic's partition count now (it may grow during
	// the run); nil: as many as a member's lastSeen.
	partitions func() int
	// consumeAll: a consume-only run on an existing topic, whose records
	// are not kbench's; consumed counts every record received after
	// warmup.
	consumeAll bool
}

// member is one consumer instance. Its connections go through its own
// faultconn.Switch, so a crash or stall is real at the socket level: the
// group coordinator sees silence, not a LeaveGroup.
type member struct {
	g      *group
	idx    int
	c      driver.Consumer
	sw     *faultconn.Switch
	cancel context.CancelFunc
	done   chan struct{}
	err    error
	e2e    *recorder.Histogram // member goroutine only until done
	// first and last: Unix ns of the first and last receipt this member
	// counted in consumed (0: none); member goroutine only until done.
	first, last int64
	live        *liveHist // nil unless the run is observed
	// stalled blocks the handler (no processing) during a stall.
	stalled atomic.Bool
	// crashed makes the handler drop what it is holding: a message fetched
	// but not processed when its consumer died is not consumed.
	crashed atomic.Bool
	// stopping makes the handler refuse new messages, and busy counts
	// the ones being processed: a member stops the way a real consumer
	// shuts down, finishing (and committing) what it processes before it
	// closes, so what it processed is what it committed.
	stopping atomic.Bool
	busy     atomic.Int32
	// lastSeen[p]: Unix ns this member last processed a message of p.
	lastSeen []atomic.Int64
	retired  bool // under g.mu: crashed or left
	// spike: this member's processing-spike delay (ns; 0: none).
	spike atomic.Int64
	// joinsAtReady: generations joined before producing started.
	joinsAtReady int64
	stopOnce     sync.Once
}

func newGroup(cfg workloads.ConsumerGroup, id string, runID uint64, measureFrom time.Time) *group {
	g := &group{
		cfg:     cfg,
		id:      id,
		runID:   runID,
		tracker: delivery.NewTracker(),
		e2e:     recorder.NewHistogram(),
	}
	g.measure.Store(clock.At(measureFrom))
	return g
}

// start launches a member consuming with c.
func (g *group) start(ctx context.Context, idx int, c driver.Consumer, sw *faultconn.Switch, partitions int) *member {
	ctx, cancel := context.WithCancel(ctx)
	m := &member{g: g, idx: idx, c: c, sw: sw, cancel: cancel, done: make(chan struct{}),
		e2e: recorder.NewHistogram(), lastSeen: make([]atomic.Int64, partitions)}
	if g.live {
		m.live = new(liveHist)
	}
	g.mu.Lock()
	g.members = append(g.members, m)
	g.mu.Unlock()
	go func() {
		defer close(m.done)
		m.err = c.Run(ctx, m.handle)
	}()
	return m
}

// handle processes one message: the simulated work first, then the figures,
// so a message counts as consumed only once its processing finished.
func (m *member) handle(msg *driver.Message) error {
	m.busy.Add(1)
	defer m.busy.Add(-1)
	if m.stopping.Load() {
		return errStopping
	}
	// e2e latency ends at receipt, before the simulated processing.
	received := clock.At(msg.At)
	// processed is when processing ended: the receipt itself unless it
	// waited (read the clock only then: unthrottled, a clock read per
	// message is a measurable share of the consumer's CPU).
	processed := received
	if d := m.processingDelay(); d > 0 {
		time.Sleep(d)
		processed = 0
	}
	for m.stalled.Load() && !m.crashed.Load() {
		time.Sleep(5 * time.Millisecond)
		processed = 0
	}
	if m.crashed.Load() {
		return errCrashed
	}
	if msg.Partition >= 0 && msg.Partition < len(m.lastSeen) {
		if processed == 0 {
			processed = clock.Now()
		}
		m.lastSeen[msg.Partition].Store(processed)
	}
	var h wire.Header
	if msg.Header == nil || wire.Parse(msg.Header, &h) != nil || h.RunID != m.g.runID {
		// Not ours (no header, a corrupt one, another run's): counted,
		// and its offset processed, but in no other figure.
		m.g.tracker.ObserveForeignAt(int32(msg.Partition), msg.Offset)
		if m.g.consumeAll && received >= m.g.measure.Load() {
			m.count(received)
		}
		return nil
	}
	dup, _ := m.g.tracker.Observe(h.Producer, int32(msg.Partition), h.Seq, msg.Offset)
	if m.live != nil && (m.g.sameClock == nil || m.g.sameClock(h.Producer)) {
		m.live.record(time.Duration(received - h.Sent))
	}
	if h.Intended >= m.g.measure.Load() {
		// e2e only where the send time was stamped on this process's
		// clock: another host's clock cannot be subtracted from ours.
		if m.g.sameClock == nil || m.g.sameClock(h.Producer) {
			m.e2e.Record(time.Duration(received - h.Sent))
		}
		m.count(received)
	}
	// Last: the drain ends once unique reaches the acknowledged count, so
	// every figure of this message must already be in.
	if !dup {
		m.g.pause.Load().processed(msg.Partition)
		m.g.unique.Add(1)
	}
	return nil
}

// count counts a message received at (Unix ns) as consumed.
func (m *member) count(at int64) {
	if m.first == 0 {
		m.first = at
	}
	m.last = at
	m.g.consumed.Add(1)
}

// stop closes the member cleanly (a crashed member's client is already
// being closed) and folds its figures into the group, waiting at most until
// ctx ends. Safe to call more than once.
func (m *member) stop(ctx context.Context) {
	m.stopOnce.Do(func() {
		m.stopping.Store(true)
		m.waitIdle(ctx)
		if !m.crashed.Load() {
			closed := make(chan struct{})
			go func() {
				_ = m.c.Close()
				close(closed)
			}()
			select {
			case <-closed:
			case <-ctx.Done():
			}
		}
		m.cancel()
		select {
		case <-m.done:
		case <-ctx.Done():
			return
		}
		m.g.mu.Lock()
		m.g.e2e.Merge(m.e2e)
		if m.first != 0 {
			if m.g.first == 0 || m.first < m.g.first {
				m.g.first = m.first
			}
			m.g.last = max(m.g.last, m.last)
		}
		m.g.mu.Unlock()
	})
}

// waitIdle waits (bounded by ctx and a second) until the member processes
// nothing, and a moment more for the client to queue the commit of the
// last message it processed.
func (m *member) waitIdle(ctx context.Context) {
	deadline := time.Now().Add(time.Second)
	for m.busy.Load() > 0 && ctx.Err() == nil && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(5 * time.Millisecond)
}

// markReady records each member's join count once the group is stable
// before producing starts: joins up to then are start-up, not rebalances.
// The coordinator reports Stable as it sends the assignments, so it first
// waits (bounded) for every member to count the join, and for every
// partition to be held (a cooperative assignor reaches its first full
// assignment in more than one round).
func (g *group) markReady(ctx context.Context) {
	deadline := time.Now().Add(5 * time.Second)
	for {
		g.mu.Lock()
		joined := true
		for _, m := range g.members {
			if m.c.Rebalances() < 1 {
				joined = false
			}
		}
		g.mu.Unlock()
		if (joined && g.allAssigned()) || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	g.waitSettled(ctx, settleWait)
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, m := range g.members {
		m.joinsAtReady = m.c.Rebalances()
	}
}

// settleWait bounds how long a group that is Stable and assigned may take
// to fetch every partition it holds before producing starts anyway.
const settleWait = 30 * time.Second

// waitSettled waits (at most limit, and not past ctx: a broker that stops
// answering ends it) until every member fetches all its
// partitions (driver.Settler): kafka-go sets each assigned partition up on
// its own connection, seconds on a topic of 1,000 partitions, and what it
// costs belongs to the start-up, not to the first messages measured.
func (g *group) waitSettled(ctx context.Context, limit time.Duration) {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		settled := true
		g.mu.Lock()
		for _, m := range g.members {
			if s, ok := m.c.(driver.Settler); ok && !s.Settled() {
				settled = false
				break
			}
		}
		g.mu.Unlock()
		if settled {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// rate is the group's consuming rate (msg/s): the messages counted in
// consumed over the span from the first receipt counted to the last, as
// the members that stopped saw them; nil with fewer than two messages.
// From the first message, not from the start of the phase, so a group
// that joined late or ran out of work is not charged for the wait.
func (g *group) rate() *float64 {
	g.mu.Lock()
	span := time.Duration(g.last - g.first)
	g.mu.Unlock()
	n := g.consumed.Load()
	if n < 2 || span <= 0 {
		return nil
	}
	return report.Float(float64(n-1) / span.Seconds())
}

// rebalances counts the group's rebalances during the run: every member
// goes through each generation it is present for, so the most generations
// any member joined since the group was ready is the group's count (a
// member that joins later starts from zero: its first join is one).
func (g *group) rebalances() int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	var n int64
	for _, m := range g.members {
		n = max(n, m.c.Rebalances()-m.joinsAtReady)
	}
	return n
}

// errCrashed ends a crashed member's fetch loop.
var errCrashed = errors.New("consumer crashed")

// errStopping ends a stopping member's fetch loop without processing.
var errStopping = errors.New("consumer stopping")
