// Package broker runs kbench's embedded Kafka broker: franz-go's kfake, an
// in-memory implementation of the Kafka wire protocol, listening on TCP so
// real clients (kafka-go, franz-go, kcat) talk to it exactly as to a cluster.
package broker

import (
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
)

// EmbeddedNote qualifies every figure measured against the embedded broker.
const EmbeddedNote = "embedded in-memory broker (kfake): figures measure the clients and an in-process broker, not a Kafka cluster's capacity; it does not replicate"

// Options for the embedded broker.
type Options struct {
	// Listen is host:port for the first broker. Default 127.0.0.1:0 (a free
	// loopback port). Further brokers take the following ports when a port
	// is given, free ports otherwise.
	Listen string
	// Brokers in the cluster. Default 1.
	Brokers int
	// DefaultPartitions for auto-created topics. Default 6.
	DefaultPartitions int
	// SegmentBytes: segment size; consumed data is freed a segment at a
	// time, so smaller segments bound memory tighter. Default 4 MiB.
	SegmentBytes int
	// MinSessionTimeout accepted from group members. Default 500ms, so tests
	// and short profiles can use short session timeouts.
	MinSessionTimeout time.Duration
	// Users, when set, turn on SASL: clients must authenticate as one of
	// them.
	Users []User
}

// TopicSegmentBytes is the segment size kbench gives a topic of the given
// number of partitions that it creates on the embedded broker: the broker
// frees consumed data a whole segment at a time and never the segment a
// partition is writing to, so it holds up to a segment per partition
// whatever was consumed. 4 MiB a partition, at most topicSegmentBudget
// over the topic (at least 64 KiB a partition): 262 KiB at 1,000
// partitions, where 4 MiB segments held everything a run produced (at
// 20,000 msg/s a partition fills 4 MiB in about five minutes).
func TopicSegmentBytes(partitions int) int {
	const most, least = 4 << 20, 64 << 10
	if partitions <= 0 {
		return most
	}
	return min(most, max(least, topicSegmentBudget/partitions))
}

// topicSegmentBudget bounds the open segments of one topic together.
const topicSegmentBudget = 256 << 20

// User is a SASL user of the embedded broker.
type User struct {
	Mechanism string // PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512
	Name      string
	Password  string
}

// Embedded is a running in-process broker.
type Embedded struct {
	c     *kfake.Cluster
	addrs []string
}

// Start launches the embedded broker.
func Start(o Options) (*Embedded, error) {
	if o.Listen == "" {
		o.Listen = "127.0.0.1:0"
	}
	if o.Brokers <= 0 {
		o.Brokers = 1
	}
	if o.DefaultPartitions <= 0 {
		o.DefaultPartitions = 6
	}
	if o.SegmentBytes <= 0 {
		o.SegmentBytes = 4 << 20
	}
	if o.MinSessionTimeout <= 0 {
		o.MinSessionTimeout = 500 * time.Millisecond
	}
	host, portStr, err := net.SplitHostPort(o.Listen)
	if err != nil {
		return nil, fmt.Errorf("broker: listen address %q: %w", o.Listen, err)
	}
	port, err := strconv.Atoi(portStr)
	if err != nil || port < 0 || port > 65535 {
		return nil, fmt.Errorf("broker: listen address %q: bad port", o.Listen)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	ports := make([]int, o.Brokers)
	if port != 0 {
		for i := range ports {
			ports[i] = port + i
		}
	}
	opts := []kfake.Opt{
		kfake.NumBrokers(o.Brokers),
		kfake.DefaultNumPartitions(o.DefaultPartitions),
		kfake.AllowAutoTopicCreation(),
		kfake.GroupMinSessionTimeout(o.MinSessionTimeout),
		kfake.BrokerConfigs(map[string]string{
			"log.segment.bytes": strconv.Itoa(o.SegmentBytes),
			// Kafka's default (1 MB) refuses a batch that a client fills
			// to batch_bytes=1MiB plus per-record overhead; the embedded
			// broker is not there to measure that limit.
			"message.max.bytes": strconv.Itoa(16 << 20),
		}),
		// kfake always asks for 127.0.0.1:PORT; bind the host the user named.
		kfake.ListenFn(func(network, address string) (net.Listener, error) {
			_, p, err := net.SplitHostPort(address)
			if err != nil {
				return nil, err
			}
			return net.Listen(network, net.JoinHostPort(host, p))
		}),
	}
	if port != 0 {
		opts = append(opts, kfake.Ports(ports...))
	}
	if len(o.Users) > 0 {
		opts = append(opts, kfake.EnableSASL())
		for _, u := range o.Users {
			opts = append(opts, kfake.Superuser(u.Mechanism, u.Name, u.Password))
		}
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("broker: %w", err)
	}
	return &Embedded{c: c, addrs: c.ListenAddrs()}, nil
}

// Addrs are the brokers' host:port addresses.
func (e *Embedded) Addrs() []string { return append([]string(nil), e.addrs...) }

// Cluster exposes kfake for fault hooks.
func (e *Embedded) Cluster() *kfake.Cluster { return e.c }

// Close stops the broker and drops its data.
func (e *Embedded) Close() { e.c.Close() }
