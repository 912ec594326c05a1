// Package admin is kbench's control plane: create and delete the topic, read
// partition offsets and group commits (lag the way monitoring tools compute
// it: high watermark minus committed offset), and trim consumed records. It
// uses franz-go's kadm, independent of the data-plane driver under test.
package admin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Client talks to one cluster. Safe for concurrent use.
type Client struct {
	cl  *kgo.Client
	adm *kadm.Client
}

// Options configure the connection. Extra kgo options carry SASL and TLS.
type Options struct {
	Brokers []string
	// DialTimeout bounds connecting to a broker. Default 5s.
	DialTimeout time.Duration
	Extra       []kgo.Opt
}

// New connects lazily; the first request reports an unreachable broker.
func New(o Options) (*Client, error) {
	if len(o.Brokers) == 0 {
		return nil, errors.New("admin: no brokers")
	}
	if o.DialTimeout <= 0 {
		o.DialTimeout = 5 * time.Second
	}
	opts := append([]kgo.Opt{
		kgo.SeedBrokers(o.Brokers...),
		kgo.DialTimeout(o.DialTimeout),
		kgo.RequestRetries(2),
		kgo.RetryTimeout(5 * time.Second),
		kgo.MetadataMinAge(100 * time.Millisecond),
	}, o.Extra...)
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, err
	}
	return &Client{cl: cl, adm: kadm.NewClient(cl)}, nil
}

// Close releases connections.
func (c *Client) Close() { c.cl.Close() }

// Ping checks that at least one broker answers, within ctx.
func (c *Client) Ping(ctx context.Context) error {
	_, err := c.adm.BrokerMetadata(ctx)
	return err
}

// Alive asks the brokers the client knows, one after another, for their
// metadata (no topics: the cheapest request every broker answers) and
// returns nil as soon as one answers. No retries: an error means none
// answered within ctx.
func (c *Client) Alive(ctx context.Context) error {
	return c.cl.Ping(ctx)
}

// CreateTopic creates topic with the given partitions and replication, and
// waits until every partition has a leader. An existing topic with the same
// partition count is accepted; a different count is an error.
func (c *Client) CreateTopic(ctx context.Context, topic string, partitions, replication int) error {
	return c.CreateTopicWith(ctx, topic, partitions, replication, nil)
}

// CreateTopicWith is CreateTopic with topic configs (name to value).
func (c *Client) CreateTopicWith(ctx context.Context, topic string, partitions, replication int, configs map[string]string) error {
	var cfg map[string]*string
	if len(configs) > 0 {
		cfg = make(map[string]*string, len(configs))
		for k, v := range configs {
			cfg[k] = &v
		}
	}
	resp, err := c.adm.CreateTopic(ctx, int32(partitions), int16(replication), cfg, topic)
	if err != nil && !errors.Is(err, kerr.TopicAlreadyExists) {
		return fmt.Errorf("create topic %q: %w", topic, err)
	}
	_ = resp
	return c.waitLeaders(ctx, topic, partitions, true)
}

// GrowTopic grows topic to partitions partitions (CreatePartitions) and
// waits until every partition has a leader, so that records placed on the
// new partitions can be written at once.
func (c *Client) GrowTopic(ctx context.Context, topic string, partitions int) error {
	resp, err := c.adm.UpdatePartitions(ctx, partitions, topic)
	if err == nil {
		err = resp.Error()
	}
	if err != nil {
		return fmt.Errorf("grow topic %q to %d partitions: %w", topic, partitions, err)
	}
	return c.waitLeaders(ctx, topic, partitions, false)
}

// waitLeaders waits until topic has partitions partitions, each with a
// leader. exact: a different count is an error (a topic that existed
// before); otherwise fewer means the metadata is not there yet.
func (c *Client) waitLeaders(ctx context.Context, topic string, partitions int, exact bool) error {
	for {
		md, err := c.adm.Metadata(ctx, topic)
		if err == nil {
			if td, ok := md.Topics[topic]; ok && td.Err == nil && (exact || len(td.Partitions) >= partitions) {
				if len(td.Partitions) != partitions {
					return fmt.Errorf("topic %q exists with %d partitions, the experiment wants %d", topic, len(td.Partitions), partitions)
				}
				ready := true
				for _, p := range td.Partitions {
					if p.Leader < 0 || p.Err != nil {
						ready = false
					}
				}
				if ready {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("topic %q not ready: %w", topic, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// DeleteTopic deletes topic; a missing topic is not an error.
func (c *Client) DeleteTopic(ctx context.Context, topic string) error {
	resp, err := c.adm.DeleteTopics(ctx, topic)
	if err != nil {
		return err
	}
	if r, ok := resp[topic]; ok && r.Err != nil && !errors.Is(r.Err, kerr.UnknownTopicOrPartition) {
		return r.Err
	}
	return nil
}

// EndOffsets returns each partition's high watermark, indexed by partition.
func (c *Client) EndOffsets(ctx context.Context, topic string, partitions int) ([]int64, error) {
	lo, err := c.adm.ListEndOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	return flattenListed(lo, topic, partitions)
}

// StartOffsets returns each partition's log start offset.
func (c *Client) StartOffsets(ctx context.Context, topic string, partitions int) ([]int64, error) {
	lo, err := c.adm.ListStartOffsets(ctx, topic)
	if err != nil {
		return nil, err
	}
	return flattenListed(lo, topic, partitions)
}

func flattenListed(lo kadm.ListedOffsets, topic string, partitions int) ([]int64, error) {
	out := make([]int64, partitions)
	ps := lo[topic]
	for p := 0; p < partitions; p++ {
		o, ok := ps[int32(p)]
		if !ok {
			return nil, fmt.Errorf("no offset for %s[%d]", topic, p)
		}
		if o.Err != nil {
			return nil, fmt.Errorf("offset for %s[%d]: %w", topic, p, o.Err)
		}
		out[p] = o.Offset
	}
	return out, nil
}

// Committed returns group's committed offset per partition of topic; -1
// where the group has committed nothing (also for a group the broker does
// not know yet: Kafka answers that with no offsets, the embedded broker
// with GROUP_ID_NOT_FOUND).
func (c *Client) Committed(ctx context.Context, group, topic string, partitions int) ([]int64, error) {
	resp, err := c.adm.FetchOffsets(ctx, group)
	if err != nil && !errors.Is(err, kerr.GroupIDNotFound) {
		return nil, err
	}
	out := make([]int64, partitions)
	for p := range out {
		out[p] = -1
		if err != nil {
			continue
		}
		if o, ok := resp.Lookup(topic, int32(p)); ok && o.Err == nil {
			out[p] = o.At
		}
	}
	return out, nil
}

// DeleteRecords removes records below before[p] on each partition (entries
// <= 0 are skipped). This is how kbench keeps the embedded broker's memory
// bounded on long runs.
func (c *Client) DeleteRecords(ctx context.Context, topic string, before []int64) error {
	low := map[string]map[int32]int64{topic: {}}
	for p, o := range before {
		low[topic][int32(p)] = o
	}
	return c.deleteBelow(ctx, low)
}

// deleteBelow deletes records below low[topic][partition]; offsets <= 0
// are skipped.
func (c *Client) deleteBelow(ctx context.Context, low map[string]map[int32]int64) error {
	var os kadm.Offsets
	for t, ps := range low {
		for p, at := range ps {
			if at > 0 {
				os.AddOffset(t, p, at, -1)
			}
		}
	}
	if len(os) == 0 {
		return nil
	}
	resp, err := c.adm.DeleteRecords(ctx, os)
	if err != nil {
		return err
	}
	return resp.Error()
}

// GroupReady reports whether group is Stable with exactly members members,
// each holding an assignment.
func (c *Client) GroupReady(ctx context.Context, group string, members int) (bool, error) {
	dg, err := c.adm.DescribeGroups(ctx, group)
	if err != nil {
		return false, err
	}
	g, ok := dg[group]
	if !ok {
		return false, nil
	}
	if g.Err != nil {
		return false, g.Err
	}
	if g.State != "Stable" || len(g.Members) != members {
		return false, nil
	}
	return true, nil
}

// TrimCommitted deletes, on every topic some group has committed offsets
// for, the records below the lowest committed offset of those groups. Used
// by the standalone embedded broker; never pointed at a real cluster.
func (c *Client) TrimCommitted(ctx context.Context) error {
	groups, err := c.adm.ListGroups(ctx)
	if err != nil {
		return err
	}
	low := map[string]map[int32]int64{}
	for _, g := range groups.Groups() {
		offs, err := c.adm.FetchOffsets(ctx, g)
		if err != nil {
			continue
		}
		offs.Each(func(o kadm.OffsetResponse) {
			if o.Err != nil || o.At < 0 {
				return
			}
			ps := low[o.Topic]
			if ps == nil {
				ps = map[int32]int64{}
				low[o.Topic] = ps
			}
			if cur, ok := ps[o.Partition]; !ok || o.At < cur {
				ps[o.Partition] = o.At
			}
		})
	}
	return c.deleteBelow(ctx, low)
}
