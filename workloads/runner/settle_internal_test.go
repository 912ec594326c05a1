package runner

import (
	"context"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/driver"
)

// unsettled is a group member's client that holds its partitions but never
// fetches them all (a kafka-go Reader whose broker froze mid set-up).
type unsettled struct{}

func (unsettled) Run(context.Context, driver.Handler) error { return nil }
func (unsettled) Close() error                              { return nil }
func (unsettled) Rebalances() int64                         { return 1 }
func (unsettled) Assigned() []int                           { return []int{0} }
func (unsettled) Settled() bool                             { return false }

// TestSettleWaitEndsWithTheRun: a broker that stops answering while the
// group sets its partitions up cancels the run's context, and the wait
// for the group to settle (30s at most otherwise) must end with it, or the
// run exits long after it noticed the death.
func TestSettleWaitEndsWithTheRun(t *testing.T) {
	g := &group{}
	g.members = []*member{{g: g, c: unsettled{}}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	g.waitSettled(ctx, settleWait)
	if took := time.Since(start); took > settleWait/3 {
		t.Fatalf("the settle wait went on %s after the run's context ended, want it to end with it", took)
	}
}
