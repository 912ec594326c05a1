package driver

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"time"
)

// Neither kafka-go nor franz-go has the Java client's max.poll.interval.ms:
// both heartbeat from a background goroutine, so a member whose processing
// is slow keeps its partitions for as long as it likes. pollLimited
// emulates the Java semantics over either driver:
//
//   - A poll is when the member returns to fetch: franz-go's PollRecords
//     returning a batch (at most MaxPollRecords records); for kafka-go,
//     which hands over one message at a time, every MaxPollRecords
//     messages, or a fetch that had to wait for data (nothing buffered:
//     the member was idle, as inside a Java poll).
//   - Before each message is handled, a member whose last poll is more
//     than MaxPollInterval ago is out of the group, as the Java client's
//     heartbeat thread would have decided: the rest of the polled batch is
//     not handled (the Java client would handle it and fail to commit it;
//     its new owner handles it again either way), the member commits what
//     it processed and leaves the group (LeaveGroup: the group rebalances
//     at once), and rejoins as a new member with a fresh client (a second
//     rebalance), as a Java consumer does on its next poll.
//
// The limit is checked between messages, so a member leaves at most one
// message's processing time after it expired.
type pollLimited struct {
	mk    func() (Consumer, error)
	limit time.Duration

	lastPoll  atomic.Int64 // Unix ns of the latest poll
	evictions atomic.Int64

	mu     sync.Mutex
	cur    Consumer
	past   int64 // generations joined by the clients it replaced
	closed bool
}

// errEvicted ends a driver's Run when the member exceeded its poll interval.
var errEvicted = errors.New("max poll interval exceeded")

func newPollLimited(c ConsumerConfig, mk func(ConsumerConfig) (Consumer, error)) (Consumer, error) {
	p := &pollLimited{limit: c.MaxPollInterval}
	c.onPoll = func() { p.lastPoll.Store(time.Now().UnixNano()) }
	p.mk = func() (Consumer, error) { return mk(c) }
	cur, err := p.mk()
	if err != nil {
		return nil, err
	}
	p.cur = cur
	return p, nil
}

func (p *pollLimited) Run(ctx context.Context, h Handler) error {
	guarded := func(m *Message) error {
		if time.Duration(time.Now().UnixNano()-p.lastPoll.Load()) > p.limit {
			return errEvicted
		}
		return h(m)
	}
	for {
		p.mu.Lock()
		c, closed := p.cur, p.closed
		p.mu.Unlock()
		if closed || ctx.Err() != nil {
			return nil
		}
		p.lastPoll.Store(time.Now().UnixNano())
		err := c.Run(ctx, guarded)
		if !errors.Is(err, errEvicted) {
			return err
		}
		p.evictions.Add(1)
		_ = c.Close() // commits what was processed, then LeaveGroup
		p.mu.Lock()
		if p.closed {
			p.mu.Unlock()
			return nil
		}
		p.past += c.Rebalances()
		next, err := p.mk()
		if err != nil {
			p.mu.Unlock()
			return err
		}
		p.cur = next
		p.mu.Unlock()
	}
}

func (p *pollLimited) Close() error {
	p.mu.Lock()
	p.closed = true
	c := p.cur
	p.mu.Unlock()
	return c.Close()
}

func (p *pollLimited) Rebalances() int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.past + p.cur.Rebalances()
}

func (p *pollLimited) Assigned() []int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.cur.Assigned()
}

// Settled passes the current client's answer on (driver.Settler).
func (p *pollLimited) Settled() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	s, ok := p.cur.(Settler)
	return !ok || s.Settled()
}

// Evictions is how often the member exceeded its poll interval and left.
func (p *pollLimited) Evictions() int64 { return p.evictions.Load() }

// Evictions reports how often c left its group for exceeding
// MaxPollInterval; 0 when the limit is off.
func Evictions(c Consumer) int64 {
	if p, ok := c.(*pollLimited); ok {
		return p.Evictions()
	}
	return 0
}
