// Package report is the Result model of a kbench run: the one serialisable
// struct every other step reads (result.json is it marshalled), how its
// figures are addressed by dotted path (Lookup), the headline Figures and
// their formatting, the comparison and tolerance model a baseline
// comparison fills, and reading and writing result files (results written
// before "not measured" was null load with that meaning).
//
// The pipeline around it, one package per step:
//
//	report/recorder      HDR histograms the runner records into (no plotting)
//	report/verdict       gates, baseline comparison, and the one pass/fail verdict
//	report/merge         shards of a sharded run, and repeated runs, into one result
//	report/render        text, Markdown, CSV, JSON and comparison renderings
//	report/render/html   the self-contained HTML report (links gonum/plot)
package report

import (
	"time"

	"github.com/kbench/kbench/keying"
)

// Schema identifies the result format.
const Schema = "kbench/result/v1"

// Result is what one `kbench run` measured. It is the single source for every
// renderer; result.json is this struct marshalled.
type Result struct {
	Schema      string    `json:"schema"`
	Experiment  string    `json:"experiment"`
	Description string    `json:"description,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	// Complete is false when the run was interrupted or aborted; the figures
	// are then what was measured up to that point.
	Complete bool       `json:"complete"`
	Error    string     `json:"error,omitempty"`
	Broker   BrokerInfo `json:"broker"`
	Shard    string     `json:"shard,omitempty"`
	Variants []Variant  `json:"variants"`
	// Baseline is the comparison with a baseline result (run --baseline),
	// when there was one.
	Baseline *Comparison `json:"baseline,omitempty"`
	// Passed is true when every gate of every variant passed (and no
	// baseline comparison regressed).
	Passed bool `json:"passed"`
}

// BrokerInfo says what was measured against.
type BrokerInfo struct {
	// Kind is "embedded" or "external".
	Kind    string   `json:"kind"`
	Brokers []string `json:"brokers,omitempty"`
	// Note qualifies the figures (the embedded broker is in memory).
	Note string `json:"note,omitempty"`
}

// Not measured: a figure that nothing measured is a nil pointer, null in
// JSON and "-" in every rendering, never -1 or 0; a gate on it fails and
// compare reports it. Results written before this rule spelled it -1:
// ReadResult maps those to nil (see normalize.go).

// Variant is one experiment variant (one matrix combination).
type Variant struct {
	Name   string            `json:"name"`
	Params map[string]string `json:"params,omitempty"`
	// Topic the variant produced to, and the output topics of its
	// transactional groups: what a topic.keep run leaves behind.
	Topic        string   `json:"topic,omitempty"`
	OutputTopics []string `json:"output_topics,omitempty"`
	// Seconds of the measured phase actually run.
	DurationS  float64       `json:"duration_s"`
	Config     VariantConfig `json:"config"`
	Produce    Produce       `json:"produce"`
	E2E        E2E           `json:"e2e"`
	Consume    Consume       `json:"consume"`
	Partitions []Partition   `json:"partitions"`
	// Repartitioned: the topic grew during the run (topic.repartition_at);
	// absent when it did not. Partitions, skew and keys then cover the
	// grown count.
	Repartitioned *Repartition `json:"repartitioned,omitempty"`
	Skew          Skew         `json:"skew"`
	BytesSkew     Skew         `json:"bytes_skew"`
	Keys          Keys         `json:"keys"`
	// Delivery over every group; null when the variant has no consumer
	// group (nothing verified delivery).
	Delivery *Delivery     `json:"delivery"`
	Faults   []FaultResult `json:"faults,omitempty"`
	Gates    []GateResult  `json:"gates"`
	// Histograms: name -> HdrHistogram V2 compressed, base64. Names:
	// produce, produce_corrected, send_delay, e2e (all groups), e2e:GROUP.
	Histograms map[string]string `json:"histograms,omitempty"`
	Timeseries []Sample          `json:"timeseries,omitempty"`
	// Repeats is set when the variant ran more than once (run --repeat
	// N): every figure above is then the median of the runs, and Repeats
	// holds each run's value and the median's confidence interval (see
	// CombineRuns). Absent for a single run.
	Repeats *Repeats `json:"repeats,omitempty"`
	// Search is set when the variant was a capacity search (search: or
	// run --find-max): the answer and every probe. The variant's other
	// figures are then those of the confirming probe (or of the last
	// probe that passed).
	Search *Search `json:"search,omitempty"`
	// DeliveryState is set only in the result of one shard of a sharded run
	// (`kbench run --shard I/N`): the raw evidence `kbench merge` needs to
	// compute the cross-shard figures exactly (delivery.lost, cross-shard
	// duplicates, broker_messages).
	DeliveryState *DeliveryState `json:"delivery_state,omitempty"`
}

// DeliveryState is one shard's raw delivery evidence for a variant. Offsets
// are sets of partition offsets encoded with delivery's IntervalSet.Encode
// (uvarint runs, base64): a shard's acknowledged offsets form a run per
// produce batch, a group's consumed offsets a run per stretch a member held
// a partition, so the state stays small however many messages were sent.
type DeliveryState struct {
	// OffsetsKnown is false when the producers do not learn offsets
	// (acks=0): lost cannot then be merged exactly (it is -1).
	OffsetsKnown bool `json:"offsets_known"`
	// Drained is false when the shard's run was cut short before its drain.
	Drained bool `json:"drained"`
	// HighWatermarks: each partition's end offset when the shard finished
	// (-1 unread); every shard reads the same topic.
	HighWatermarks []int64 `json:"high_watermarks"`
	// WarmupAcked: this shard's acknowledged warmup messages per partition.
	WarmupAcked []int64 `json:"warmup_acked"`
	// Acked: per partition, the offsets of this shard's acknowledged messages.
	Acked []string `json:"acked"`
	// Groups: per group, the offsets this shard's members processed.
	Groups []GroupState `json:"groups"`
	// Gates: the experiment's gate expressions, evaluated on the merged
	// result (a shard alone cannot evaluate them).
	Gates []string `json:"gates,omitempty"`
}

// GroupState is what one shard's members of a group processed.
type GroupState struct {
	Group string `json:"group"`
	// Members: the group's instances this shard ran.
	Members int `json:"members"`
	// Consumed: per partition, the offsets processed by this shard's
	// members (a message processed twice on the shard is in
	// Delivery.Duplicated of the shard's group figures).
	Consumed []string `json:"consumed"`
	// Committed: per partition, the group's committed offset at the end
	// (-1 none); with the high watermarks it tells a backlog from a loss.
	Committed []int64 `json:"committed,omitempty"`
}

// VariantConfig echoes the settings that shape the figures, for renderers.
type VariantConfig struct {
	Strategy    string  `json:"strategy"`
	Partitioner string  `json:"partitioner"`
	Partitions  int     `json:"partitions"`
	Acks        string  `json:"acks"`
	BatchSize   int     `json:"batch_size"`
	Linger      string  `json:"linger"`
	Compression string  `json:"compression"`
	Producers   int     `json:"producers"`
	MessageSize int64   `json:"message_size"`
	TargetRate  float64 `json:"target_rate"`
	// Shape of the rate over time (constant, ramp, step, sine, burst);
	// empty for an unthrottled run.
	Shape  string `json:"shape,omitempty"`
	Driver string `json:"driver"`
	// Drain is the drain timeout: how long groups were given to catch up
	// after the producers stopped.
	Drain string `json:"drain,omitempty"`
}

// Produce figures.
type Produce struct {
	// Messages acknowledged by the broker in the measured phase.
	Messages int64 `json:"messages"`
	Bytes    int64 `json:"bytes"`
	// Errors: messages the client reported as failed.
	Errors int64 `json:"errors"`
	// Unsent: measured-phase messages that were due by the end of the
	// run but never handed to the client (the generator fell behind).
	// Each is in LatencyCorrected and SendDelay with its delay at the end
	// of the run, a lower bound of what it would have been.
	Unsent int64 `json:"unsent"`
	// Unacknowledged: messages handed to the client whose
	// acknowledgement had not come when the bounded flush at the end
	// ended (a backlog in the client, not a failure; they may be in the
	// topic). Not in Messages, Errors or the latencies.
	Unacknowledged int64 `json:"unacknowledged"`
	// FirstError is the first delivery error the client reported.
	FirstError string     `json:"first_error,omitempty"`
	Throughput Throughput `json:"throughput"`
	// Latency: hand-off to acknowledgement.
	Latency Latency `json:"latency_ms"`
	// LatencyCorrected: intended send time to acknowledgement.
	LatencyCorrected Latency `json:"latency_corrected_ms"`
	// SendDelay: intended send time to hand-off.
	SendDelay Latency `json:"send_delay_ms"`
}

// Throughput achieved beside the target.
type Throughput struct {
	MsgsPerS float64 `json:"msgs_per_s"`
	MiBPerS  float64 `json:"mib_per_s"`
	// TargetMsgsPerS: the scheduled mean rate over the measured phase,
	// whatever the shape; 0 for an unthrottled run.
	TargetMsgsPerS float64 `json:"target_msgs_per_s"`
}

// Latency summarises one histogram, in milliseconds. With no samples
// (Count 0) the percentiles were not measured: they marshal as null.
type Latency struct {
	Count int64   `json:"count"`
	P50   float64 `json:"p50"`
	P90   float64 `json:"p90"`
	P99   float64 `json:"p99"`
	P999  float64 `json:"p999"`
	Max   float64 `json:"max"`
	Mean  float64 `json:"mean"`
}

// E2E latency: producer hand-off to consumer receipt, all groups together.
// It is measured only where producer and consumer read the same clock:
// in a sharded run, messages produced and consumed on the same shard.
type E2E struct {
	Latency Latency `json:"latency_ms"`
	// SameClockOnly is set in a sharded run: the latency rests on the
	// Latency.Count messages produced and consumed on one shard.
	SameClockOnly bool `json:"same_clock_only,omitempty"`
}

// Consume figures per group.
type Consume struct {
	Groups []Group `json:"groups"`
}

// Group is one consumer group's figures.
type Group struct {
	Group string `json:"group"`
	// ID is the group id used on the broker (the name made unique per run
	// and variant).
	ID string `json:"id,omitempty"`
	// Messages consumed (processing finished) in the measured phase.
	Messages int64 `json:"messages"`
	// MsgsPerS is the group's consuming rate: messages over the time from
	// the receipt of the first of them to that of the last (so neither
	// joining nor running out of work counts). It is at most the produce
	// rate; on a pre-filled topic (topic.existing) it is what the group
	// can consume. Null with fewer than two messages, and in a merged
	// sharded result (the shards' spans do not add up).
	MsgsPerS *float64 `json:"msgs_per_s"`
	Latency  Latency  `json:"latency_ms"`
	Lag      Lag      `json:"lag"`
	// Rebalances seen by the group's members (generation changes).
	Rebalances int `json:"rebalances"`
	// RebalancePauseMs: partition-milliseconds during which a partition
	// with work (acknowledged messages the group had not processed) had
	// nobody able to process it (held by no member, or only by a crashed
	// or stalled one), summed over the run; null when not measured (a
	// sharded run, or a consume-only run on an existing topic).
	RebalancePauseMs *float64 `json:"rebalance_pause_ms"`
	// RebalanceLog lists each change of the group's assignment.
	RebalanceLog []Rebalance `json:"rebalance_log,omitempty"`
	// MaxPollEvictions: times a member exceeded max_poll_interval and left
	// the group (absent when the limit is off).
	MaxPollEvictions int64 `json:"max_poll_evictions,omitempty"`
	// FailoverMs is the slowest failover of the group's consumer faults;
	// null without a consumer fault, or when a failover never completed
	// (each fault's own figure is in Variant.Faults).
	FailoverMs *float64 `json:"failover_ms"`
	// Drained is whether the group processed everything acknowledged
	// before the drain ended; null when the run was cut short before its
	// drain.
	Drained *bool `json:"drained"`
	// Delivery: what the members processed; for a commit: transactional
	// group (franz-go), what its committed output holds, read
	// read_committed (exactly-once is a property of that output; Messages
	// counts processing, re-processing included).
	Delivery Delivery `json:"delivery"`
	// PartitionLag: max lag per partition over the run.
	PartitionLag []int64 `json:"partition_lag,omitempty"`
}

// Rebalance is one change of a group's assignment, as its members' clients
// saw it: from the first moment the owners differed from the settled
// assignment until every partition was held again.
type Rebalance struct {
	// AtS: seconds from the start of the run.
	AtS        float64 `json:"at_s"`
	DurationMs float64 `json:"duration_ms"`
	// PartitionsMoved: partitions whose owner changed (an eager rebalance
	// that gives every partition back to its owner moves none, yet
	// pauses them all).
	PartitionsMoved int `json:"partitions_moved"`
	// PauseMs: the group's rebalance_pause_ms accrued during it.
	PauseMs float64 `json:"pause_ms"`
	// PartitionsAdded: partitions the group held for the first time (the
	// topic grew during the run: topic.repartition_at); absent when none.
	PartitionsAdded int `json:"partitions_added,omitempty"`
	// Cause, when kbench knows it: "repartition" for the rebalance that
	// took up partitions added during the run. Absent otherwise.
	Cause string `json:"cause,omitempty"`
	// Unfinished: still in progress when the run ended.
	Unfinished bool `json:"unfinished,omitempty"`
}

// Repartition is the topic's growth during the run (topic.repartition_at).
type Repartition struct {
	From int `json:"from"`
	To   int `json:"to"`
	// AtS: seconds from the start of the run at which the topic had To
	// partitions, every one with a leader.
	AtS float64 `json:"at_s"`
	// ProducersAtS: seconds from the start at which the last producer
	// began placing keys over To partitions (once its client knew them);
	// null when a producer never did.
	ProducersAtS *float64 `json:"producers_at_s"`
}

// Lag of a group, in messages.
type Lag struct {
	Max   int64 `json:"max"`
	Final int64 `json:"final"`
	// DrainMs is the time from when the producers stopped sending until
	// this group had processed everything acknowledged; null when it did
	// not within the drain timeout (or the drain never ran).
	DrainMs *float64 `json:"drain_ms"`
	// GrowthPerS is the least-squares slope of the group's per-second lag
	// over the measured phase, in messages per second: positive when the
	// group falls behind. GrowthCI is the half-width of its 95% confidence
	// interval. Null with fewer than 3 readings.
	GrowthPerS *float64 `json:"growth_per_s"`
	GrowthCI   *float64 `json:"growth_ci"`
}

// Partition load as counted by the producer, cross-checked by the broker.
type Partition struct {
	Partition int   `json:"partition"`
	Messages  int64 `json:"messages"`
	Bytes     int64 `json:"bytes"`
	// BrokerMessages: what the broker holds for the measured phase: the
	// partition's high watermark at the end less the warmup messages
	// acknowledged on it (null when it could not be read). More than
	// Messages means records written twice (retries after ambiguous writes)
	// or sends whose acknowledgement never came.
	BrokerMessages *int64 `json:"broker_messages"`
}

// Skew of a load vector over partitions. See SPEC §5 for definitions.
// The figures and their computation live in keying, the one place that
// defines them.
type Skew = keying.Skew

// Keys figures.
type Keys struct {
	Distinct int64 `json:"distinct"`
	// Top: hot keys by guaranteed count, listed only when they stand out
	// of the sketch's error (TopError); random keys list none.
	Top []HotKey `json:"top"`
	// TopError: the most the hot-key sketch over-states a key's count.
	TopError int64    `json:"top_error,omitempty"`
	Ordering Ordering `json:"ordering"`
	PerPart  []int64  `json:"per_partition,omitempty"`
	// RemapShare is set when topic.repartition is.
	RemapShare *RemapShare `json:"remap_share,omitempty"`
}

// RemapShare: what growing the topic from From to To partitions moves.
type RemapShare struct {
	From int `json:"from"`
	To   int `json:"to"`
	// Keys: share of distinct keys placed on another partition.
	Keys float64 `json:"keys"`
	// Traffic: share of keyed messages whose key moved.
	Traffic float64 `json:"traffic"`
}

// HotKey is one of the most frequent keys: it occurred at least Count and
// at most Count+Error times; Share is Count over the measured messages.
type HotKey struct {
	Key   string  `json:"key"`
	Share float64 `json:"share"`
	Count int64   `json:"count,omitempty"`
	Error int64   `json:"error,omitempty"`
}

// Ordering: how well per-entity order can hold.
type Ordering struct {
	PreservedShare float64 `json:"preserved_share"`
	MaxSpread      int     `json:"max_spread"`
}

// Delivery verification counts.
type Delivery struct {
	// Lost: acknowledged messages the group will never process: skipped
	// below its committed offset (committed before processing, then the
	// member crashed) or missing from the log. Null when not measured
	// (the run was cut short before the drain, or the result is one shard
	// of a sharded run: `kbench merge` computes it).
	Lost *int64 `json:"lost"`
	// Unconsumed: acknowledged messages still in the topic, at or above
	// the group's committed offset, when the drain ended: a backlog, not a
	// loss. Null when not measured.
	Unconsumed *int64 `json:"unconsumed"`
	Duplicated int64  `json:"duplicated"`
	Reordered  int64  `json:"reordered"`
	Foreign    int64  `json:"foreign,omitempty"`
}

// FaultResult records one executed fault.
type FaultResult struct {
	Kind     string  `json:"kind"`
	Group    string  `json:"group,omitempty"`
	Instance int     `json:"instance"`
	AtS      float64 `json:"at_s"`
	// FailoverMs: from the fault until every partition was consumed
	// again; null for a broker fault or a failover that never completed.
	FailoverMs *float64 `json:"failover_ms"`
	// Hits: requests a broker fault affected.
	Hits  int64  `json:"hits,omitempty"`
	Error string `json:"error,omitempty"`
}

// GateResult is one evaluated gate.
type GateResult struct {
	Expr  string  `json:"expr"`
	Value float64 `json:"value"`
	Pass  bool    `json:"pass"`
	Error string  `json:"error,omitempty"`
}

// Sample is one point of the per-second time series. P99Ms is the p99
// of every producer's service latencies of that second, merged.
type Sample struct {
	T        float64 `json:"t"`
	Sent     int64   `json:"sent"`
	Acked    int64   `json:"acked"`
	Consumed int64   `json:"consumed"`
	Lag      int64   `json:"lag"`
	P99Ms    float64 `json:"p99_ms"`
	// GroupLag is each group's total lag at that second, in the order of
	// consume.groups.
	GroupLag []int64 `json:"group_lag,omitempty"`
}

// Int returns a pointer to x: a measured integer figure.
func Int(x int64) *int64 { return &x }

// Float returns a pointer to x: a measured figure.
func Float(x float64) *float64 { return &x }

// Bool returns a pointer to b.
func Bool(b bool) *bool { return &b }
