package runner_test

import (
	"context"
	"fmt"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/workloads/runner"
)

// logTap passes the run's log on and calls found once with the broker
// address and the topic as soon as both are printed.
type logTap struct {
	mu    sync.Mutex
	text  []byte
	found func(addr, topic string)
	done  bool
}

var (
	brokerLine = regexp.MustCompile(`embedded broker listening on (\S+)`)
	topicLine  = regexp.MustCompile(`(?m)^  topic (\S+?)[,\n ]`)
)

func (l *logTap) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.text = append(l.text, p...)
	if !l.done {
		b, t := brokerLine.FindSubmatch(l.text), topicLine.FindSubmatch(l.text)
		if b != nil && t != nil {
			l.done = true
			l.found(string(b[1]), string(t[1]))
		}
	}
	return len(p), nil
}

// foreignRecords are records no kbench producer of this run wrote: no
// header, a truncated header, another run's header, another layout
// version, a header under another name, and an empty tombstone.
func foreignRecords(topic string) []*kgo.Record {
	other := make([]byte, wire.Size)
	wire.Put(other, &wire.Header{RunID: 0x0123456789, Producer: 0, Seq: 0, Intended: 1, Sent: 1})
	v2 := append([]byte(nil), other...)
	v2[0] = 2
	kinds := [][]kgo.RecordHeader{
		nil,
		{{Key: wire.HeaderKey, Value: other[:20]}},
		{{Key: wire.HeaderKey, Value: other}},
		{{Key: wire.HeaderKey, Value: v2}},
		{{Key: "not-kbench", Value: other}},
		{{Key: wire.HeaderKey, Value: nil}},
	}
	var out []*kgo.Record
	for p := int32(0); p < 3; p++ {
		for i, h := range kinds {
			r := &kgo.Record{Topic: topic, Partition: p, Key: []byte("order"), Value: []byte("{\"not\": \"kbench\"}"), Headers: h}
			if i == len(kinds)-1 {
				r.Key, r.Value = nil, nil
			}
			out = append(out, r)
		}
	}
	return out
}

// TestForeignRecords: records without a valid kbench header of this run,
// written into the topic while the run uses it, are counted in
// delivery.foreign by every group and change no other figure, also when a
// group did not drain (its backlog is not mistaken for them).
func TestForeignRecords(t *testing.T) {
	t.Run("drained", func(t *testing.T) { foreignRun(t, foreignYAML, true) })
	// One member at 2 ms a message (about 500/s) behind 1000/s, and one
	// second to drain: a backlog remains; nothing is lost.
	t.Run("backlog", func(t *testing.T) {
		foreignRun(t, foreignYAML+"drain: 1s\n", false, "consumers.1.processing.delay=2ms")
	})
}

const foreignYAML = `
name: foreign
duration: 2s
topic: {partitions: 3}
workload: {rate: 1000, message: {size: 100}}
producer: {acks: all, linger: 2ms}
consumers:
  - {group: a, instances: 2, session_timeout: 2s, heartbeat_interval: 300ms}
  - {group: b, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
`

func foreignRun(t *testing.T, yaml string, drains bool, sets ...string) {
	var injected int
	injectErr := make(chan error, 1)
	tap := &logTap{found: func(addr, topic string) {
		recs := foreignRecords(topic)
		injected = len(recs)
		go func() {
			cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()))
			if err != nil {
				injectErr <- err
				return
			}
			defer cl.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			injectErr <- cl.ProduceSync(ctx, recs...).FirstErr()
		}()
	}}
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	res, err := runner.Run(ctx, plan(t, yaml, sets...), runner.Options{Log: tap})
	if err != nil {
		t.Fatalf("run: %v\n%s", err, tap.text)
	}
	select {
	case err := <-injectErr:
		if err != nil {
			t.Fatalf("writing the foreign records: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the foreign records were never written")
	}
	v := res.Variants[0]
	if !res.Complete || v.Produce.Errors != 0 || v.Produce.Messages == 0 {
		t.Fatalf("complete=%v errors=%d messages=%d", res.Complete, v.Produce.Errors, v.Produce.Messages)
	}
	for _, g := range v.Consume.Groups {
		d := g.Delivery
		if d.Foreign != int64(injected) {
			t.Errorf("group %s: foreign %d, want the %d records written", g.Group, d.Foreign, injected)
		}
		if d.Lost == nil || *d.Lost != 0 || d.Unconsumed == nil || d.Duplicated != 0 || d.Reordered != 0 {
			t.Fatalf("group %s: lost %s unconsumed %s duplicated %d reordered %d, want nothing lost, duplicated or reordered", g.Group, show(d.Lost), show(d.Unconsumed), d.Duplicated, d.Reordered)
		}
		drained := g.Drained != nil && *g.Drained
		if g.Group == "a" || drains {
			if !drained || *d.Unconsumed != 0 || g.Messages != v.Produce.Messages {
				t.Errorf("group %s: drained %v, unconsumed %d, consumed %d of %d: want all, foreign records not among them", g.Group, drained, *d.Unconsumed, g.Messages, v.Produce.Messages)
			}
			continue
		}
		// The slow group: what it did not consume is its backlog, exactly.
		if drained || *d.Unconsumed == 0 || g.Messages+*d.Unconsumed != v.Produce.Messages {
			t.Errorf("group %s: drained %v, consumed %d + unconsumed %d, want the %d produced (a backlog, nothing lost)", g.Group, drained, g.Messages, *d.Unconsumed, v.Produce.Messages)
		}
	}
	if v.Delivery.Foreign != 2*int64(injected) {
		t.Errorf("delivery.foreign %d, want %d (both groups)", v.Delivery.Foreign, 2*injected)
	}
	var sum int64
	for _, p := range v.Partitions {
		sum += p.Messages
	}
	if sum != v.Produce.Messages {
		t.Errorf("partition load sums to %d, produced %d: foreign records in the load", sum, v.Produce.Messages)
	}
}

func show(p *int64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}
