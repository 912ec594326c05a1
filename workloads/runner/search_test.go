package runner_test

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/workloads/runner"
)

func probeLines(log string) string {
	var out []string
	for _, l := range strings.Split(log, "\n") {
		if strings.HasPrefix(l, "search ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// clientExp: one producer that may have one message in flight, against a
// broker that answers every produce request 100ms late, can send about 10
// msg/s whatever the setup could take: its probes above that are
// client-limited, and the search says so instead of calling it the
// setup's limit.
const clientExp = `
name: client
duration: 2s
drain: 1s
topic: {partitions: 1}
workload:
  message: {size: 100}
producer: {max_in_flight: 1, linger: 0s}
consumers: []
faults: [{at: 0s, kind: produce-latency, latency: 100ms}]
search: {start: 4, max: 64, precision: 0.5, max_time: 2m}
`

func TestSearchClientLimited(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var log bytes.Buffer
	res, err := runner.Run(ctx, plan(t, clientExp), runner.Options{Log: &log})
	t.Log(probeLines(log.String()))
	if err != nil {
		t.Fatal(err)
	}
	s := res.Variants[0].Search
	if s == nil || !s.ClientLimited || !strings.HasPrefix(s.LimitedBy, "client-limited: ") {
		t.Fatalf("search %+v: want limited by the client", s)
	}
	labelled := 0
	for _, p := range s.Probes {
		if !p.Passed && p.ClientLimited && strings.Contains(p.Reason, "client-limited") {
			labelled++
		}
		if p.Passed && p.ClientLimited {
			t.Errorf("probe at %v passed while client-limited", p.Rate)
		}
	}
	if labelled == 0 || s.MaxSustainableMsgsPerS == nil || *s.MaxSustainableMsgsPerS > 16 {
		t.Errorf("client-limited probes %d, answer %v", labelled, s.MaxSustainableMsgsPerS)
	}
}

// cancelAfter cancels a context once the log has shown n probes.
type cancelAfter struct {
	buf    bytes.Buffer
	n      int
	cancel context.CancelFunc
}

func (c *cancelAfter) Write(p []byte) (int, error) {
	c.buf.Write(p)
	if strings.Count(c.buf.String(), ": probe ") >= c.n {
		c.cancel()
	}
	return len(p), nil
}

// TestSearchStoppedKeepsProbes: a search stopped after two probes returns
// the interruption with both probes and the best rate so far.
func TestSearchStoppedKeepsProbes(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	stop, stopCancel := context.WithCancel(ctx)
	defer stopCancel()
	w := &cancelAfter{n: 2, cancel: stopCancel}
	const exp = `
name: stop
duration: 4s
drain: 1s
topic: {partitions: 2}
consumers: [{group: g, instances: 1, session_timeout: 3s, heartbeat_interval: 300ms}]
search: {start: 50, max: 100000, max_time: 5m}
`
	res, err := runner.Run(stop, plan(t, exp), runner.Options{Log: w})
	if !errors.Is(err, runner.ErrInterrupted) {
		t.Fatalf("err %v, want interrupted\n%s", err, w.buf.String())
	}
	if len(res.Variants) != 1 || res.Complete {
		t.Fatalf("variants %d complete %v", len(res.Variants), res.Complete)
	}
	s := res.Variants[0].Search
	t.Log(w.buf.String())
	if s == nil || len(s.Probes) != 2 || s.LimitedBy != "interrupted" {
		t.Fatalf("search %+v\n%s", s, w.buf.String())
	}
	if s.Probes[0].Rate != 50 || s.Probes[1].Rate != 100 {
		t.Errorf("probes at %v and %v, want 50 and 100", s.Probes[0].Rate, s.Probes[1].Rate)
	}
	if s.MaxSustainableMsgsPerS == nil || res.Variants[0].Produce.Messages == 0 {
		t.Errorf("answer %v, messages %d: the passed probes' figures are kept", s.MaxSustainableMsgsPerS, res.Variants[0].Produce.Messages)
	}
}
