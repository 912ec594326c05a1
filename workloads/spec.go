// Package workloads holds the experiment model: the YAML v1 schema and its
// defaults, validation and matrix expansion; the traffic model events are drawn
// from; the rate shapes (pacers); and the runner that drives a broker with them.
//
// Data flows one way: YAML -> validated Experiment -> runner -> report.Result.
package workloads

import (
	"time"
)

// SchemaVersion is the only experiment file version this build understands.
const SchemaVersion = 1

// Experiment is one fully-resolved, validated run description. Every field has
// a default (see Defaults), so a zero-config experiment is runnable.
//
// The yaml tags are the file's names; `--set path=value` addresses fields by
// the dotted chain of those names (workload.keying.strategy).
type Experiment struct {
	// Version of the file format. Default 1; any other value is an error.
	Version int `yaml:"version"`
	// Name labels the result. Default: the file's base name.
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Seed makes event generation deterministic. Default 1.
	Seed int64 `yaml:"seed"`

	// Cluster targets an external cluster; nil means the embedded broker.
	Cluster *Cluster `yaml:"cluster"`
	Topic   Topic    `yaml:"topic"`

	// Duration of the measured phase. Default 20s.
	Duration Duration `yaml:"duration"`
	// Warmup runs before the measured phase; its messages are excluded from
	// every figure. Default 0.
	Warmup Duration `yaml:"warmup"`
	// Drain bounds how long consumers may take to catch up once producers
	// stop. Default 15s.
	Drain Duration `yaml:"drain"`
	// Repeat runs each variant this many times, the variants of a run
	// interleaved (v1, v2, v1, v2, ...) so that a drift of the machine
	// spreads over all of them. The result's figures are then the medians
	// of the runs, each run's value kept as a sample for `kbench compare`
	// (a significance test needs at least 4 runs a side; 5 is the
	// recommended gate). 1 to 100. Default 1.
	Repeat int `yaml:"repeat"`

	Workload  Workload        `yaml:"workload"`
	Producer  Producer        `yaml:"producer"`
	Consumers []ConsumerGroup `yaml:"consumers"`
	Faults    []Fault         `yaml:"faults"`

	// Matrix maps dotted paths to value lists; every combination is a variant.
	// It is expanded before decoding (see Variants), so a decoded Experiment
	// of one variant has an empty Matrix.
	Matrix map[string][]any `yaml:"matrix"`

	// Gates are `PATH OP NUMBER` expressions checked per variant at the end.
	Gates []string `yaml:"gates"`

	// Search, when set, turns each variant into a capacity search: probes
	// at fixed rates find the highest rate the setup sustains within the
	// objective (see Search). Default unset: the variant runs once at
	// workload.rate.
	Search *Search `yaml:"search"`
}

// Search is a capacity search (`search:`, or `kbench run --find-max`).
// Each probe runs the variant at one constant rate for warmup + duration
// on a fresh topic and fresh groups (nothing carries over from one probe
// to the next). A probe passes when every objective holds and the run was
// steady: achieved rate at least 99% of the target, send delay p99 within
// max(100ms, 10% of duration), and no group's lag growing over the
// measured window (the least-squares slope of its per-second lag, 95%
// confidence). The search doubles the rate from Start until a probe
// fails, bisects until the bounds are within Precision, and confirms the
// answer with one more probe.
type Search struct {
	// Objective: gate expressions (as in gates:) every passing probe must
	// meet, e.g. "produce.latency_ms.p99 < 50". Default none: only
	// steadiness is asked.
	Objective []string `yaml:"objective"`
	// Start is the first probe's rate in msg/s. Default workload.rate
	// (100 when workload.rate is 0).
	Start float64 `yaml:"start"`
	// Max bounds the probed rate in msg/s. Default 64 x start.
	Max float64 `yaml:"max"`
	// Precision: the search stops when the failing rate is within this
	// share above the passing one. 0.01 to 0.5. Default 0.05 (5%).
	Precision float64 `yaml:"precision"`
	// MaxTime bounds the whole search of one variant; the answer is then
	// the best rate that passed so far. Default 10m.
	MaxTime Duration `yaml:"max_time"`
}

// Cluster describes an external Kafka cluster.
type Cluster struct {
	Brokers []string `yaml:"brokers"`
	SASL    *SASL    `yaml:"sasl"`
	TLS     *TLS     `yaml:"tls"`
}

// SASL credentials. Password is a Secret: it never prints.
type SASL struct {
	// Mechanism is PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512.
	Mechanism string `yaml:"mechanism"`
	Username  string `yaml:"username"`
	Password  Secret `yaml:"password"`
}

// TLS settings; an empty struct means TLS with the system roots.
type TLS struct {
	CA                 string `yaml:"ca"`
	Cert               string `yaml:"cert"`
	Key                string `yaml:"key"`
	InsecureSkipVerify bool   `yaml:"insecure_skip_verify"`
}

// Topic the experiment produces to and consumes from.
type Topic struct {
	// Name of the topic. Default "kbench-<experiment name>"; each variant of a
	// matrix gets its own fresh topic (name plus a variant suffix).
	Name string `yaml:"name"`
	// Partitions. Default 6.
	Partitions int `yaml:"partitions"`
	// Replication factor. Default 1 (the embedded broker does not replicate).
	Replication int `yaml:"replication"`
	// Keep the topic after the run. Default false: kbench deletes what it made.
	Keep bool `yaml:"keep"`
	// Repartition, when set (> partitions), also measures what growing the
	// topic to that many partitions would do to the keys this run sent:
	// keys.remap_share (per key and traffic-weighted). Default 0 = off.
	Repartition int `yaml:"repartition"`
	// RepartitionAt, when set, makes the growth real: at that moment of
	// the produce phase (from its start, warmup included, like a fault's
	// at) kbench grows the topic to repartition partitions, the producers
	// place keys over the new count from then on, and the consumer groups
	// pick the new partitions up in a rebalance (counted in rebalances,
	// rebalance_pause_ms and rebalance_log). Needs repartition; not with
	// a commit: transactional group (its output topic would have to grow
	// too) nor in a sharded run. Default 0 = off: repartition only
	// measures remap_share offline.
	RepartitionAt Duration `yaml:"repartition_at"`
	// Existing names a topic kbench did not create: the run uses it as it
	// is (its partition count read from the broker) and never creates,
	// deletes or reconfigures it. Without producer.allow_existing_topic the
	// run is consume-only: no producer writes to it, the consumer groups
	// read what it holds (and what others write meanwhile) from From.
	// Excludes name, partitions, replication, repartition, repartition_at
	// and keep.
	// Default "" (kbench creates a fresh topic per variant).
	Existing string `yaml:"existing"`
	// From is where the groups of an existing topic start reading:
	// earliest, latest, or an offset (the same on every partition, clamped
	// to each partition's range). Only with existing. Default earliest.
	From string `yaml:"from"`
}

// Workload is what the producers send.
type Workload struct {
	// Rate in messages per second over all producers; 0 = as fast as
	// possible. Default 1000.
	Rate float64 `yaml:"rate"`
	// Shape of the rate over time. Default constant.
	Shape   Shape   `yaml:"shape"`
	Message Message `yaml:"message"`
	Traffic Traffic `yaml:"traffic"`
	Keying  Keying  `yaml:"keying"`
	// Messages, when > 0, stops producing after that many messages (the
	// duration still bounds the run). Default 0 = no limit.
	Messages int64 `yaml:"messages"`
}

// Shape is a rate shape; Kind selects which of the other fields apply.
//
//	constant: rate (workload.rate)
//	ramp:     from, to, over
//	step:     steps [{rate, for}]
//	sine:     mean, amplitude, period
//	burst:    base, peak, every, for
type Shape struct {
	Kind      string   `yaml:"kind"`
	From      float64  `yaml:"from"`
	To        float64  `yaml:"to"`
	Over      Duration `yaml:"over"`
	Steps     []Step   `yaml:"steps"`
	Mean      float64  `yaml:"mean"`
	Amplitude float64  `yaml:"amplitude"`
	Period    Duration `yaml:"period"`
	Base      float64  `yaml:"base"`
	Peak      float64  `yaml:"peak"`
	Every     Duration `yaml:"every"`
	For       Duration `yaml:"for"`
}

// Step is one segment of a step shape.
type Step struct {
	Rate float64  `yaml:"rate"`
	For  Duration `yaml:"for"`
}

// Message describes the record value.
type Message struct {
	// Size of the value in bytes, kbench header included. Default 512.
	Size Size `yaml:"size"`
	// Format: "bytes" (filler) or "json" (the API event as JSON, padded to
	// Size). Default bytes.
	Format string `yaml:"format"`
}

// Traffic is the event model keys are drawn from.
type Traffic struct {
	// Services: a count (drawn from the built-in catalog) or use List.
	// Default 5.
	Services int `yaml:"services"`
	// List overrides Services with explicit services.
	List []Service `yaml:"list"`
	// PathsPerService for generated services. Default 8.
	PathsPerService int `yaml:"paths_per_service"`
	// NodesPerService (pods). Default 4.
	NodesPerService int `yaml:"nodes_per_service"`
	// Users. Default 100000.
	Users      int        `yaml:"users"`
	Popularity Popularity `yaml:"popularity"`
	Hot        *Hot       `yaml:"hot"`
	// Keys, when set, replays real keys instead of keying events with
	// workload.keying.strategy. Default unset.
	Keys *KeysFrom `yaml:"keys"`
}

// KeysFrom replays a key distribution: each message's key is drawn with
// the file's frequencies (seeded: the same seed draws the same keys), and
// per-key order is what order_by measures. Events are still generated for
// the message values.
type KeysFrom struct {
	// From is a key file, relative to the working directory: KEY<TAB>COUNT
	// lines as `kbench keys --save-keys` writes them, one key per line, or a
	// .csv/.jsonl file with a "key" column. Required.
	From string `yaml:"from"`
}

// Service is one explicit service of the catalog.
type Service struct {
	Name   string   `yaml:"name"`
	Weight float64  `yaml:"weight"`
	Paths  []string `yaml:"paths"`
	Nodes  int      `yaml:"nodes"`
}

// Popularity of services and paths. Default zipf with s=1.1.
type Popularity struct {
	Kind string  `yaml:"kind"` // uniform | zipf
	S    float64 `yaml:"s"`
}

// Hot is a hot-key event: from At for For, Share of all events go to Key.
type Hot struct {
	At    Duration `yaml:"at"`
	For   Duration `yaml:"for"`
	Key   string   `yaml:"key"`
	Share float64  `yaml:"share"`
}

// Keying maps events to keys and keys to partitions.
type Keying struct {
	// Strategy: none | path | service | node | composite | random | salted.
	// Default path.
	Strategy string `yaml:"strategy"`
	// Fields joined by "|" for composite. Default [service, node].
	Fields []string `yaml:"fields"`
	// Salts for salted. Default 8.
	Salts int `yaml:"salts"`
	// Partitioner: murmur2 | crc32 | fnv1a | round-robin | sticky | jump.
	// Default murmur2 (the Java client's default).
	Partitioner string `yaml:"partitioner"`
	// OrderBy names the entity whose order matters: service | path | node |
	// user | key. Default service.
	OrderBy string `yaml:"order_by"`
}

// Producer settings.
type Producer struct {
	// Driver: kafka-go (default) | franz-go.
	Driver string `yaml:"driver"`
	// Instances: independent producer clients. Default 1.
	Instances int `yaml:"instances"`
	// BatchSize: max messages per batch. Default 1000.
	BatchSize int `yaml:"batch_size"`
	// BatchBytes: max bytes per batch. Default 1MiB.
	BatchBytes Size `yaml:"batch_bytes"`
	// Linger: how long a partial batch waits. Default 5ms (kafka-go's own
	// default of 1s would dominate every latency figure).
	Linger Duration `yaml:"linger"`
	// Acks: "0", "1" or "all". Default all.
	Acks string `yaml:"acks"`
	// Compression: none | gzip | snappy | lz4 | zstd. Default none.
	Compression string `yaml:"compression"`
	// MaxInFlight bounds messages handed to the client but not yet
	// acknowledged, per instance. Default 100000.
	MaxInFlight int `yaml:"max_in_flight"`
	// AllowExistingTopic lets the producers write into topic.existing, a
	// topic kbench did not create (it is still never deleted). Default
	// false: a run on an existing topic is consume-only.
	AllowExistingTopic bool `yaml:"allow_existing_topic"`
}

// ConsumerGroup is one consumer group.
type ConsumerGroup struct {
	// Group id. Required.
	Group string `yaml:"group"`
	// Instances (group members). Default 1.
	Instances int `yaml:"instances"`
	// Commit: auto | after-process | before-process | transactional.
	// Default after-process.
	Commit     string     `yaml:"commit"`
	Processing Processing `yaml:"processing"`
	// SessionTimeout. Default 10s.
	SessionTimeout Duration `yaml:"session_timeout"`
	// HeartbeatInterval. Default 3s.
	HeartbeatInterval Duration `yaml:"heartbeat_interval"`
	// MaxPollInterval emulates the Java client's max.poll.interval.ms: a
	// member that has not returned to fetch within it leaves the group
	// (which rebalances) and rejoins when its processing resumes. It is also
	// the rebalance timeout. Default 0: off (both drivers heartbeat in the
	// background, so slow processing alone never evicts a member).
	MaxPollInterval Duration `yaml:"max_poll_interval"`
	// MaxPollRecords bounds what one poll hands to processing, like the
	// Java client's max.poll.records. Default 500.
	MaxPollRecords int `yaml:"max_poll_records"`
	// Assignor: range | round-robin | sticky | cooperative-sticky. The
	// kafka-go driver supports range and round-robin; franz-go all four.
	// Default: the driver's own (kafka-go range, franz-go
	// cooperative-sticky).
	Assignor string `yaml:"assignor"`
}

// Processing simulates per-message work.
type Processing struct {
	Delay Duration `yaml:"delay"`
}

// Fault is a scheduled fault.
type Fault struct {
	At       Duration `yaml:"at"`
	Kind     string   `yaml:"kind"`
	Group    string   `yaml:"group"`
	Instance int      `yaml:"instance"`
	For      Duration `yaml:"for"`
	// Rate is the share of requests affected, for broker faults. Default 1.
	Rate float64 `yaml:"rate"`
	// Latency added, for latency faults.
	Latency Duration `yaml:"latency"`
	// Duration of a processing-spike.
	Duration Duration `yaml:"duration"`
	// Delay: the per-message processing time during a processing-spike.
	Delay Duration `yaml:"delay"`
	// WholeGroup: a processing-spike without instance slows every member
	// (set by validation from the file; not written by users).
	WholeGroup bool `yaml:"-" json:"-"`
}

// Duration is a time.Duration written as a Go duration string ("30s").
type Duration time.Duration

// D returns the value as a time.Duration.
func (d Duration) D() time.Duration { return time.Duration(d) }

// Size is a byte count written as 512, 64KiB or 1MiB. KiB/MiB/GiB are
// binary (1024); KB/MB/GB are decimal (1000), as in SI; units are
// case-insensitive and a fraction is allowed (1.5MiB). See ParseSize.
type Size int64

// Secret is a string that never renders: String, MarshalJSON and MarshalYAML
// all print a placeholder.
type Secret string

const secretMask = "******"

func (s Secret) String() string { return secretMask }

// MarshalJSON hides the secret.
func (s Secret) MarshalJSON() ([]byte, error) { return []byte(`"` + secretMask + `"`), nil }

// MarshalYAML hides the secret.
func (s Secret) MarshalYAML() (any, error) { return secretMask, nil }

// Reveal returns the secret for handing to a client; never log it.
func (s Secret) Reveal() string { return string(s) }

// String formats the duration as Go does ("1m30s").
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText writes the duration as a Go duration string, in YAML and JSON.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText reads a Go duration string ("30s"); "0" is zero.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := parseDuration(string(b))
	if err != nil {
		return err
	}
	*d = v
	return nil
}

// Bytes returns the size as an int64 byte count.
func (s Size) Bytes() int64 { return int64(s) }

// String formats the size with the largest binary unit that divides it
// exactly: 512, 64KiB, 1MiB.
func (s Size) String() string { return formatSize(s) }

// MarshalText writes the size as String does.
func (s Size) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a size as ParseSize does.
func (s *Size) UnmarshalText(b []byte) error {
	v, err := ParseSize(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}
