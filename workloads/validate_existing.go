package workloads

import (
	"strconv"
	"strings"
)

// Existing-topic start positions (topic.from).
const (
	FromEarliest = "earliest"
	FromLatest   = "latest"
)

// ConsumeOnly reports whether the run reads an existing topic without
// writing to it: topic.existing without producer.allow_existing_topic.
func (e *Experiment) ConsumeOnly() bool {
	return e.Topic.Existing != "" && !e.Producer.AllowExistingTopic
}

// StartOffset parses topic.from: -2 for earliest (and unset), -1 for
// latest, else the offset. ok is false when from is none of these.
func StartOffset(from string) (off int64, ok bool) {
	switch from {
	case "", FromEarliest:
		return -2, true
	case FromLatest:
		return -1, true
	}
	n, err := strconv.ParseInt(from, 10, 64)
	if err != nil || n < 0 {
		return 0, false
	}
	return n, true
}

// existingTopic checks topic.existing and what goes with it: kbench never
// creates, resizes or deletes a topic it did not create, so the settings
// that would do so are errors beside it, and so is writing to it unless
// producer.allow_existing_topic says so.
func (c *checker) existingTopic() {
	t := c.e.Topic
	if t.Existing == "" {
		if t.From != "" {
			c.errf("topic.from", "only with topic.existing (a topic kbench creates is read from its start)")
		}
		if c.e.Producer.AllowExistingTopic {
			c.errf("producer.allow_existing_topic", "only with topic.existing")
		}
		return
	}
	if topicSafe(t.Existing) != t.Existing || strings.Contains(t.Existing, ",") || len(t.Existing) > 249 {
		c.errf("topic.existing", "%q is not a Kafka topic name", t.Existing)
	}
	for _, f := range []string{"name", "partitions", "replication", "repartition", "repartition_at", "keep"} {
		if c.has("topic." + f) {
			c.errf("topic."+f, "not with topic.existing: the existing topic is used as it is and never deleted")
		}
	}
	if _, ok := StartOffset(t.From); !ok {
		c.errf("topic.from", "%q: must be earliest, latest or an offset (a whole number, 0 or more)", t.From)
	}
	if c.e.ConsumeOnly() && c.e.Search != nil {
		c.errf("search", "a capacity search varies the produce rate: a consume-only run on topic.existing produces nothing (producer.allow_existing_topic: true writes to it)")
	}
	if c.e.ConsumeOnly() && len(c.e.Consumers) == 0 {
		c.errf("topic.existing", "a consume-only run on an existing topic needs at least one consumer group (or producer.allow_existing_topic: true to write to it)")
	}
}

// dropKey reports whether ToYAML leaves topic key k out: the existing-topic
// keys of a topic kbench creates, and the creating keys beside existing
// (the loader rejects them there).
func (t Topic) dropKey(k string) bool {
	switch k {
	case "existing", "from":
		return t.Existing == ""
	case "name", "partitions", "replication", "repartition", "repartition_at", "keep":
		return t.Existing != ""
	}
	return false
}
