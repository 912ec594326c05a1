package runner

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/wire"
)

// Exactly-once (consume-transform-produce) is measured downstream: a group
// with commit transactional (franz-go) writes one output record per
// processed message to its own output topic, inside the transaction that
// commits its input offsets (driver.ConsumerConfig.Output). Processing
// itself is not transactional: a batch handled by a member that crashes
// before its transaction commits is handled again by the next owner, so the
// members' own tracker sees duplicates. What exactly-once promises is that
// the *committed output* holds every input once, and that is what the
// verifier checks: a read_committed reader of the output topic, with no
// group, reading every partition from the start, whose delivery tracker
// gives the group's reported lost / duplicated / reordered. The group's
// messages, e2e latency and lag stay those of the processing members.

// verifier reads a transactional group's output topic as a downstream
// read_committed consumer does.
type verifier struct {
	topic   string
	runID   uint64
	cl      *kgo.Client
	tracker *delivery.Tracker
	// unique: output records seen for the first time (a message's first
	// committed output).
	unique atomic.Int64
	// next[p]: the offset after the last record read from partition p,
	// transaction markers (control records) included, so that reaching the
	// partition's end offset means nothing committed remains unread and no
	// transaction on it is open any more.
	next     []atomic.Int64
	done     chan struct{}
	stopOnce sync.Once
}

// outputTopic names group g's output topic: the variant's topic, the group
// name (characters a topic name cannot hold replaced) and "-out".
func outputTopic(topic, group string, taken map[string]bool) string {
	name := strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			return r
		}
		return '_'
	}, group)
	out := topic + "-" + name + "-out"
	for i := 1; taken[out]; i++ {
		out = fmt.Sprintf("%s-%s-%d-out", topic, name, i)
	}
	taken[out] = true
	return out
}

func newVerifier(brokers []string, n driver.Net, topic string, partitions int, runID uint64) (*verifier, error) {
	netOpts, err := driver.KgoNetOpts(n)
	if err != nil {
		return nil, err
	}
	offs := map[string]map[int32]kgo.Offset{topic: {}}
	for p := range partitions {
		offs[topic][int32(p)] = kgo.NewOffset().AtStart()
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(brokers...),
		kgo.ClientID("kbench-verifier"),
		kgo.ConsumePartitions(offs),
		kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		kgo.KeepControlRecords(),
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}, netOpts...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("output verifier: %w", err)
	}
	return &verifier{topic: topic, runID: runID, cl: cl, tracker: delivery.NewTracker(),
		next: make([]atomic.Int64, partitions), done: make(chan struct{})}, nil
}

// run reads until stop.
func (v *verifier) run() {
	defer close(v.done)
	var h wire.Header
	for {
		fs := v.cl.PollFetches(context.Background())
		if fs.IsClientClosed() {
			return
		}
		fs.EachRecord(func(r *kgo.Record) {
			if int(r.Partition) < len(v.next) {
				v.next[r.Partition].Store(r.Offset + 1)
			}
			if r.Attrs.IsControl() {
				return
			}
			var hdr []byte
			for i := range r.Headers {
				if r.Headers[i].Key == wire.HeaderKey {
					hdr = r.Headers[i].Value
					break
				}
			}
			if hdr == nil || wire.Parse(hdr, &h) != nil || h.RunID != v.runID {
				v.tracker.ObserveForeign()
				return
			}
			if dup, _ := v.tracker.Observe(h.Producer, r.Partition, h.Seq, -1); !dup {
				v.unique.Add(1)
			}
		})
	}
}

// caughtUp reports whether the verifier has read every partition up to
// end (the output's end offsets): nothing committed is left unread and no
// transaction is open.
func (v *verifier) caughtUp(end []int64) bool {
	for p := range v.next {
		if p >= len(end) || v.next[p].Load() < end[p] {
			return false
		}
	}
	return true
}

// positions returns next for every partition (records below are read).
func (v *verifier) positions() []int64 {
	out := make([]int64, len(v.next))
	for p := range v.next {
		out[p] = v.next[p].Load()
	}
	return out
}

// stop closes the client and waits for run to return (bounded by ctx).
func (v *verifier) stop(ctx context.Context) {
	v.stopOnce.Do(func() { go v.cl.Close() })
	select {
	case <-v.done:
	case <-ctx.Done():
	}
}
