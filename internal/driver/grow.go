package driver

import (
	"context"
	"fmt"
	"time"

	"github.com/segmentio/kafka-go"
)

// partitionWaiter is a producer whose client must learn of new partitions
// before records placed on them can be written: both clients route a
// record by their cached metadata, and franz-go fails a record placed
// beyond the partitions it knows.
type partitionWaiter interface {
	waitPartitions(ctx context.Context, n int) error
}

// WaitPartitions returns once p's client knows at least n partitions of
// its topic (each with a leader where the client tells), or with ctx's
// error. A caller that grew the topic places records on the new
// partitions only after it returned.
func WaitPartitions(ctx context.Context, p Producer, n int) error {
	w, ok := p.(partitionWaiter)
	if !ok {
		return nil
	}
	return w.waitPartitions(ctx, n)
}

// growPoll is how often a waiting producer looks at its client's metadata.
const growPoll = 50 * time.Millisecond

// waitPartitions polls the Transport's cached metadata (what the Writer
// routes by; it refreshes every MetadataTTL) until the topic has n
// partitions, each with a leader.
func (p *kafkaGoProducer) waitPartitions(ctx context.Context, n int) error {
	cl := &kafka.Client{Addr: p.w.Addr, Transport: p.w.Transport}
	for {
		md, err := cl.Metadata(ctx, &kafka.MetadataRequest{Topics: []string{p.w.Topic}})
		if err == nil && len(md.Topics) == 1 && md.Topics[0].Error == nil && len(md.Topics[0].Partitions) >= n {
			ready := true
			for _, pt := range md.Topics[0].Partitions {
				ready = ready && pt.Error == nil && pt.Leader.ID >= 0
			}
			if ready {
				return nil
			}
		}
		if err := sleepCtx(ctx, growPoll); err != nil {
			return fmt.Errorf("kafka-go producer: topic %q not seen with %d partitions: %w", p.w.Topic, n, err)
		}
	}
}

// waitPartitions asks the client for fresh metadata (at most every
// MetadataMinAge) until it knows a leader for partition n-1.
func (p *franzGoProducer) waitPartitions(ctx context.Context, n int) error {
	for {
		p.cl.ForceMetadataRefresh()
		if leader, _, err := p.cl.PartitionLeader(p.topic, int32(n-1)); err == nil && leader >= 0 {
			return nil
		}
		if err := sleepCtx(ctx, growPoll); err != nil {
			return fmt.Errorf("franz-go producer: topic %q not seen with %d partitions: %w", p.topic, n, err)
		}
	}
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
