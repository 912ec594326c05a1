package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kbench/kbench/internal/admin"
)

// brokerDeadAfter is how long an external cluster may leave every probe
// unanswered before the run stops: short enough that the run notices a
// dead broker within 5s and exits (with its partial result) within 10s, in
// any phase; long enough that a broker answering slowly under load is not
// taken for dead (a probe is the cheapest request there is).
const brokerDeadAfter = 3 * time.Second

// probeEvery is the pause between probes.
const probeEvery = 250 * time.Millisecond

// BrokerDeadError is a run stopped because the cluster stopped answering.
type BrokerDeadError struct {
	Brokers []string
	Silent  time.Duration
	Last    error
}

func (e *BrokerDeadError) Error() string {
	return fmt.Sprintf("broker %s stopped answering (nothing for %s: %v); the run was stopped",
		strings.Join(e.Brokers, ","), e.Silent.Round(100*time.Millisecond), e.Last)
}

// watchdog probes an external cluster on its own connections for the
// whole run, so a dead broker is noticed whatever the run is doing
// (creating a topic, producing, draining, tearing down): it cancels the
// run's context with a *BrokerDeadError as the cause.
type watchdog struct {
	adm    *admin.Client
	cancel context.CancelCauseFunc
	done   chan struct{}
	stop   context.CancelFunc
}

// watchBrokers starts a watchdog over brokers and returns the context the
// run must use; stop ends the watchdog. newAdmin makes its own client.
func watchBrokers(ctx context.Context, brokers []string, newAdmin func() (*admin.Client, error), log io.Writer) (context.Context, func(), error) {
	adm, err := newAdmin()
	if err != nil {
		return ctx, func() {}, err
	}
	rctx, cancel := context.WithCancelCause(ctx)
	wctx, stop := context.WithCancel(ctx)
	w := &watchdog{adm: adm, cancel: cancel, done: make(chan struct{}), stop: stop}
	go w.loop(wctx, brokers, log)
	return rctx, func() {
		stop()
		<-w.done
		adm.Close()
		cancel(nil)
	}, nil
}

func (w *watchdog) loop(ctx context.Context, brokers []string, log io.Writer) {
	defer close(w.done)
	lastOK := time.Now()
	t := time.NewTimer(probeEvery)
	defer t.Stop()
	for {
		// A probe may take until the silence would end, no longer.
		pctx, cancel := context.WithDeadline(ctx, lastOK.Add(brokerDeadAfter))
		err := w.adm.Alive(pctx)
		cancel()
		if ctx.Err() != nil {
			return
		}
		now := time.Now()
		if err == nil {
			lastOK = now
		} else if silent := now.Sub(lastOK); silent >= brokerDeadAfter {
			dead := &BrokerDeadError{Brokers: brokers, Silent: silent, Last: err}
			fmt.Fprintf(log, "kbench: %v\n", dead)
			w.cancel(dead)
			return
		}
		t.Reset(probeEvery)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// brokerDead returns the watchdog's verdict on ctx: the *BrokerDeadError
// that cancelled it, or nil.
func brokerDead(ctx context.Context) error {
	var dead *BrokerDeadError
	if errors.As(context.Cause(ctx), &dead) {
		return dead
	}
	return nil
}
