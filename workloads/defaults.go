package workloads

import (
	"strings"
	"time"
)

// Default values (SPEC §4). Loading starts from Defaults() and overlays the
// file on it, so a key that is present always wins, even when its value is a
// zero (rate: 0 means "as fast as possible", warmup: 0s is no warmup).
const (
	DefaultDuration = Duration(20 * time.Second)
	DefaultDrain    = Duration(15 * time.Second)
	DefaultSeed     = 1
	// MaxRepeat bounds repeat: so a typo cannot plan a day of runs.
	MaxRepeat                = 100
	DefaultPartitions        = 6
	DefaultReplication       = 1
	DefaultRate              = 1000
	DefaultMessageSize       = Size(512)
	DefaultServices          = 5
	DefaultPathsPerService   = 8
	DefaultNodesPerService   = 4
	DefaultUsers             = 100000
	DefaultZipfS             = 1.1
	DefaultSalts             = 8
	DefaultProducerInstances = 1
	DefaultBatchSize         = 1000
	DefaultBatchBytes        = Size(1 << 20)
	DefaultLinger            = Duration(5 * time.Millisecond)
	DefaultMaxInFlight       = 100000
	DefaultGroup             = "kbench"
	DefaultSessionTimeout    = Duration(10 * time.Second)
	DefaultMaxPollRecords    = 500
	DefaultHeartbeat         = Duration(3 * time.Second)
	DefaultFaultRate         = 1.0
)

// Defaults returns the experiment a file with no keys at all describes.
// Name and Topic.Name are left empty: the loader derives them from the file
// (Name = base name, Topic.Name = "kbench-" + Name); see ApplyDefaults.
// Consumers holds the default group, which a `consumers:` key replaces.
func Defaults() Experiment {
	return Experiment{
		Version:  SchemaVersion,
		Seed:     DefaultSeed,
		Topic:    Topic{Partitions: DefaultPartitions, Replication: DefaultReplication},
		Duration: DefaultDuration,
		Warmup:   0,
		Drain:    DefaultDrain,
		Repeat:   1,
		Workload: Workload{
			Rate:    DefaultRate,
			Shape:   Shape{Kind: "constant"},
			Message: Message{Size: DefaultMessageSize, Format: "bytes"},
			Traffic: Traffic{
				Services:        DefaultServices,
				PathsPerService: DefaultPathsPerService,
				NodesPerService: DefaultNodesPerService,
				Users:           DefaultUsers,
				Popularity:      Popularity{Kind: "zipf", S: DefaultZipfS},
			},
			Keying: Keying{
				Strategy:    "path",
				Fields:      []string{"service", "node"},
				Salts:       DefaultSalts,
				Partitioner: "murmur2",
				OrderBy:     "service",
			},
		},
		Producer: Producer{
			Driver:      "kafka-go",
			Instances:   DefaultProducerInstances,
			BatchSize:   DefaultBatchSize,
			BatchBytes:  DefaultBatchBytes,
			Linger:      DefaultLinger,
			Acks:        "all",
			Compression: "none",
			MaxInFlight: DefaultMaxInFlight,
		},
		Consumers: []ConsumerGroup{DefaultConsumerGroup(DefaultGroup)},
	}
}

// DefaultConsumerGroup is a group with every default: 1 instance,
// after-process commits, 10s session timeout, 3s heartbeat. Each entry of a
// file's `consumers:` list starts from it.
func DefaultConsumerGroup(name string) ConsumerGroup {
	return ConsumerGroup{
		Group:             name,
		Instances:         1,
		Commit:            "after-process",
		SessionTimeout:    DefaultSessionTimeout,
		HeartbeatInterval: DefaultHeartbeat,
		MaxPollRecords:    DefaultMaxPollRecords,
	}
}

// DefaultFault is the starting point of each `faults:` entry (rate 1).
func DefaultFault() Fault { return Fault{Rate: DefaultFaultRate} }

// ApplyDefaults fills the zero-valued fields of an Experiment built in code
// (the loader does not need it, except for the derived names). A zero is
// only replaced where zero is not a meaningful value: Rate, Warmup, Seed,
// Messages, Linger and the fault/processing durations are kept as they are.
// Consumers is not touched: nil means "no consumer groups" here.
func ApplyDefaults(e *Experiment) {
	d := Defaults()
	if e.Version == 0 {
		e.Version = d.Version
	}
	if e.Name == "" {
		e.Name = "kbench"
	}
	if e.Topic.Name == "" {
		e.Topic.Name = DefaultTopicName(e.Name)
	}
	setInt(&e.Topic.Partitions, d.Topic.Partitions)
	setInt(&e.Topic.Replication, d.Topic.Replication)
	if e.Duration == 0 {
		e.Duration = d.Duration
	}
	if e.Drain == 0 {
		e.Drain = d.Drain
	}
	setInt(&e.Repeat, d.Repeat)
	w, dw := &e.Workload, d.Workload
	setStr(&w.Shape.Kind, dw.Shape.Kind)
	if w.Message.Size == 0 {
		w.Message.Size = dw.Message.Size
	}
	setStr(&w.Message.Format, dw.Message.Format)
	if len(w.Traffic.List) == 0 {
		setInt(&w.Traffic.Services, dw.Traffic.Services)
	}
	setInt(&w.Traffic.PathsPerService, dw.Traffic.PathsPerService)
	setInt(&w.Traffic.NodesPerService, dw.Traffic.NodesPerService)
	setInt(&w.Traffic.Users, dw.Traffic.Users)
	setStr(&w.Traffic.Popularity.Kind, dw.Traffic.Popularity.Kind)
	if w.Traffic.Popularity.S == 0 && w.Traffic.Popularity.Kind == "zipf" {
		w.Traffic.Popularity.S = dw.Traffic.Popularity.S
	}
	setStr(&w.Keying.Strategy, dw.Keying.Strategy)
	if len(w.Keying.Fields) == 0 {
		w.Keying.Fields = append([]string(nil), dw.Keying.Fields...)
	}
	setInt(&w.Keying.Salts, dw.Keying.Salts)
	setStr(&w.Keying.Partitioner, dw.Keying.Partitioner)
	setStr(&w.Keying.OrderBy, dw.Keying.OrderBy)
	p, dp := &e.Producer, d.Producer
	setStr(&p.Driver, dp.Driver)
	setInt(&p.Instances, dp.Instances)
	setInt(&p.BatchSize, dp.BatchSize)
	if p.BatchBytes == 0 {
		p.BatchBytes = dp.BatchBytes
	}
	setStr(&p.Acks, dp.Acks)
	setStr(&p.Compression, dp.Compression)
	setInt(&p.MaxInFlight, dp.MaxInFlight)
	for i := range e.Consumers {
		g, dg := &e.Consumers[i], DefaultConsumerGroup("")
		setInt(&g.Instances, dg.Instances)
		setStr(&g.Commit, dg.Commit)
		if g.SessionTimeout == 0 {
			g.SessionTimeout = dg.SessionTimeout
		}
		if g.HeartbeatInterval == 0 {
			g.HeartbeatInterval = dg.HeartbeatInterval
		}
		setInt(&g.MaxPollRecords, dg.MaxPollRecords)
	}
	for i := range e.Faults {
		if e.Faults[i].Rate == 0 {
			e.Faults[i].Rate = DefaultFaultRate
		}
	}
}

func setInt(p *int, v int) {
	if *p == 0 {
		*p = v
	}
}

func setStr(p *string, v string) {
	if *p == "" {
		*p = v
	}
}

// DefaultTopicName is "kbench-" + name with every character Kafka does not
// allow in a topic name replaced by '-'.
func DefaultTopicName(name string) string {
	return "kbench-" + topicSafe(name)
}

// topicSafe maps s onto Kafka's topic alphabet [a-zA-Z0-9._-].
func topicSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '.', r == '_', r == '-':
			b.WriteRune(r)
		case r == ',':
			b.WriteByte('.')
		default:
			b.WriteByte('-')
		}
	}
	return b.String()
}
