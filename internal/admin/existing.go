package admin

import (
	"context"
	"fmt"

	"github.com/twmb/franz-go/pkg/kadm"
)

// Partitions returns the partition count of topic, an error naming it
// when the cluster does not have it. Read-only (metadata).
func (c *Client) Partitions(ctx context.Context, topic string) (int, error) {
	md, err := c.adm.Metadata(ctx, topic)
	if err != nil {
		return 0, fmt.Errorf("topic %q: metadata: %w", topic, err)
	}
	td, ok := md.Topics[topic]
	if !ok {
		return 0, fmt.Errorf("topic %q: not in the cluster's metadata", topic)
	}
	if td.Err != nil {
		return 0, fmt.Errorf("topic %q: %w", topic, td.Err)
	}
	if len(td.Partitions) == 0 {
		return 0, fmt.Errorf("topic %q has no partitions", topic)
	}
	return len(td.Partitions), nil
}

// CommitStart commits offs[p] for group on each partition p of topic, as
// a group with no members (generation -1): where the group's members
// start. For kbench's own fresh groups only.
func (c *Client) CommitStart(ctx context.Context, group, topic string, offs []int64) error {
	var os kadm.Offsets
	for p, o := range offs {
		os.AddOffset(topic, int32(p), o, -1)
	}
	resp, err := c.adm.CommitOffsets(ctx, group, os)
	if err != nil {
		return fmt.Errorf("group %q: committing the start offsets: %w", group, err)
	}
	if err := resp.Error(); err != nil {
		return fmt.Errorf("group %q: committing the start offsets: %w", group, err)
	}
	return nil
}
