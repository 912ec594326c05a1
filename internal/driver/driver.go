// Package driver adapts real Kafka clients to what the runner needs: a
// producer that takes records whose partition kbench already chose and
// reports each acknowledgement, and a group consumer that hands every record
// to a handler. Each client library is one file; kafka-go is the default.
package driver

import (
	"context"
	"crypto/tls"
	"net"
	"time"
)

// Record is one message to produce. Key, Value and Header stay owned by the
// caller and must not change until the record is acknowledged.
type Record struct {
	// Partition chosen by kbench's partitioner; the client must not re-place it.
	Partition int
	Key       []byte // nil: no key
	Value     []byte
	Header    []byte // the kbench wire header, sent as record header "kbench"
	// Token comes back in the Ack untouched (a pointer does not allocate).
	Token any
}

// Ack reports one record's outcome.
type Ack struct {
	Partition int
	Offset    int64
	Header    []byte
	Key       []byte
	Bytes     int // key + value + header bytes
	Token     any
	// At is when the client learned the outcome: an internal/clock stamp
	// (monotonic). kafka-go reads it once per batch the Writer completed;
	// franz-go at most once per produce response, no earlier than the
	// client read the response and no later than the record completed.
	At int64
}

// AckFunc receives acknowledgements in batches from client goroutines
// (concurrently). err is non-nil when every record of the call failed. A
// driver may hold completed acknowledgements back briefly to hand them over
// together (at most franzGoAckDelay); each carries its own At.
type AckFunc func(acks []Ack, err error)

// Producer hands records to a client asynchronously.
type Producer interface {
	// Produce hands records to the client; it returns once the client has
	// taken them (not once they are acknowledged). One goroutine calls it
	// (the runner's producer loop): calls must not overlap.
	Produce(ctx context.Context, recs []Record) error
	// Close flushes what is outstanding, waiting until ctx ends at most.
	Close(ctx context.Context) error
}

// ProducerConfig is what every producer driver understands.
type ProducerConfig struct {
	Brokers []string
	Topic   string
	// ClientID names the connection on the broker. Default "kbench".
	ClientID string
	// BatchSize: most messages per produce batch.
	BatchSize int
	// BatchBytes: most bytes per produce batch.
	BatchBytes int64
	// Linger: how long a partial batch waits for more messages.
	Linger time.Duration
	// PeakRate is the most messages per second this producer is paced at,
	// 0 when unpaced. A driver may size per-batch buffers from it (a batch
	// cannot fill beyond what arrives within one linger). Default 0.
	PeakRate float64
	// Acks: "0", "1" or "all".
	Acks string
	// Compression: none | gzip | snappy | lz4 | zstd.
	Compression string
	// WriteTimeout bounds one produce request. Default 10s.
	WriteTimeout time.Duration
	// MaxAttempts per batch, including the first. Default 3.
	MaxAttempts int
	OnAck       AckFunc
	Net         Net
	// WatchPartitions: the topic may grow during the run, so the client
	// refreshes its metadata often (kafka-go's Transport every second
	// instead of every 5s) and WaitPartitions returns within about that.
	// Default false.
	WatchPartitions bool
}

// Net holds connection settings shared by producers and consumers.
type Net struct {
	TLS  *tls.Config
	SASL *SASL
	// Dial, when set, opens every connection (fault injection wraps it).
	Dial func(ctx context.Context, network, address string) (net.Conn, error)
	// DialTimeout. Default 5s.
	DialTimeout time.Duration
}

// SASL credentials for a driver.
type SASL struct {
	Mechanism string // PLAIN | SCRAM-SHA-256 | SCRAM-SHA-512
	Username  string
	Password  string
}

// Message is one consumed record as the handler sees it. Valid only during
// the handler call.
type Message struct {
	Partition int
	Offset    int64
	Key       []byte
	Value     []byte
	// Header is the kbench header's bytes, nil when the record has none.
	Header []byte
	// At is when the client delivered the record to kbench.
	At time.Time
}

// ConsumerConfig is what every consumer driver understands.
type ConsumerConfig struct {
	Brokers []string
	Topic   string
	Group   string
	// Instance distinguishes members in client ids.
	Instance int
	// Partitions is the topic's partition count, 0 when unknown; a driver
	// may size its per-partition fetching from it. Default 0.
	Partitions int
	// Commit: auto | after-process | before-process | transactional.
	Commit string
	// Output, with Commit transactional (franz-go only), is the topic the
	// consumer writes one record to for every message the handler
	// processed, in the transaction that commits the input offsets
	// (consume-transform-produce). Empty: offsets only.
	Output            string
	SessionTimeout    time.Duration
	HeartbeatInterval time.Duration
	// AutoCommitInterval for Commit=auto (and the flush interval for
	// after-process commits). Default 200ms.
	AutoCommitInterval time.Duration
	// Assignor is the group's partition assignor: range | round-robin |
	// sticky | cooperative-sticky (see Assignors). Empty: the driver's
	// default (kafka-go: range; franz-go: cooperative-sticky).
	Assignor string
	// MaxPollInterval, when positive, emulates the Java client's
	// max.poll.interval.ms (see pollinterval.go): a member that has not
	// returned to fetch within it leaves the group, and rejoins as a new
	// member when its processing resumes. It is also the rebalance timeout.
	// 0: off (both clients heartbeat in the background, so slow processing
	// alone never costs a member its partitions).
	MaxPollInterval time.Duration
	// MaxPollRecords bounds what one poll hands over, like the Java
	// client's max.poll.records. Default 500.
	MaxPollRecords int
	Net            Net
	// WatchPartitions: the topic may grow during the run, and the group
	// must rebalance onto the new partitions within about a second
	// (kafka-go: WatchPartitionChanges, checked every 500ms; franz-go:
	// metadata at most 1s old, the group leader rejoining when it sees
	// more partitions). Default false: kafka-go never notices, franz-go
	// within its 5-minute metadata max age.
	WatchPartitions bool

	// onPoll, when set, is called each time the member returns to fetch
	// (the start of a poll, in the Java client's terms).
	onPoll func()
}

// Handler processes one message. Returning an error stops the consumer.
type Handler func(m *Message) error

// Consumer is one group member.
type Consumer interface {
	// Run fetches and handles messages until ctx ends or Close is called.
	Run(ctx context.Context, h Handler) error
	// Close leaves the group cleanly (commits what commit mode allows).
	Close() error
	// Rebalances this member has gone through.
	Rebalances() int64
	// Assigned lists the partitions the member holds now (sorted): assigned
	// in its current generation and not yet revoked or lost.
	Assigned() []int
}

// Settler is a Consumer that, after an assignment, takes a while before it
// fetches every partition it was assigned (kafka-go's Reader sets up each
// partition on its own). A Consumer that is not one fetches its whole
// assignment as soon as it holds it.
type Settler interface {
	// Settled reports whether the member fetches every partition it holds.
	Settled() bool
}
