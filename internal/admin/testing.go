package admin

import (
	"context"
	"strconv"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ProduceTest synchronously produces n small records to partition 0 of
// topic. For tests of the control plane itself.
func (c *Client) ProduceTest(ctx context.Context, topic string, n int) error {
	for i := 0; i < n; i++ {
		r := &kgo.Record{Topic: topic, Partition: 0, Value: []byte(strconv.Itoa(i))}
		if err := c.cl.ProduceSync(ctx, r).FirstErr(); err != nil {
			return err
		}
	}
	return nil
}

// CommitTest commits offset at for group on topic's partition.
func (c *Client) CommitTest(ctx context.Context, group, topic string, partition int32, at int64) error {
	var os kadm.Offsets
	os.AddOffset(topic, partition, at, -1)
	resp, err := c.adm.CommitOffsets(ctx, group, os)
	if err != nil {
		return err
	}
	return resp.Error()
}
