package broker

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kmsg"
)

// Broker-side fault kinds the embedded broker can inject (SPEC §4 faults).
const (
	// FaultProduceError answers produce requests with a retriable error
	// (NOT_LEADER_OR_FOLLOWER) without appending: clients retry.
	FaultProduceError = "produce-error"
	// FaultProduceTimeout appends the records and then answers
	// REQUEST_TIMED_OUT: the ambiguous write. A client that retries writes
	// the same records again, which is what duplicates look like in Kafka.
	FaultProduceTimeout = "produce-timeout"
	// FaultProduceLatency delays produce requests by Latency.
	FaultProduceLatency = "produce-latency"
	// FaultFetchLatency delays fetch requests by Latency.
	FaultFetchLatency = "fetch-latency"
	// FaultLeaderMove moves every partition's leader to another broker
	// (needs more than one broker).
	FaultLeaderMove = "leader-move"
)

// IsBrokerFault reports whether kind needs the embedded broker.
func IsBrokerFault(kind string) bool {
	switch kind {
	case FaultProduceError, FaultProduceTimeout, FaultProduceLatency, FaultFetchLatency, FaultLeaderMove:
		return true
	}
	return false
}

// FaultSpec is one broker fault to inject on a topic.
type FaultSpec struct {
	Kind  string
	Topic string
	// Rate is the share of matching requests affected, in (0, 1].
	Rate float64
	// Latency added by the latency kinds.
	Latency time.Duration
}

// Injected is an installed fault.
type Injected struct {
	stop func()
	hits func() int64
}

// Stop removes the fault. Safe to call more than once.
func (i *Injected) Stop() { i.stop() }

// Hits is how many requests the fault has affected.
func (i *Injected) Hits() int64 { return i.hits() }

// Inject installs a fault until Stop (leader-move acts once).
func (e *Embedded) Inject(f FaultSpec) (*Injected, error) {
	if f.Rate <= 0 || f.Rate > 1 {
		f.Rate = 1
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 0x6b62656e6368))
	sample := func() bool {
		if f.Rate >= 1 {
			return true
		}
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64() < f.Rate
	}
	switch f.Kind {
	case FaultProduceError, FaultProduceTimeout:
		code := kerr.NotLeaderForPartition
		if f.Kind == FaultProduceTimeout {
			code = kerr.RequestTimedOut
		}
		h := e.c.Fault(kfake.Fault{
			Keys:  []kmsg.Key{kmsg.Produce},
			Topic: f.Topic,
			Err:   code,
			Count: -1,
			When:  func(kmsg.Request) bool { return sample() },
		})
		var once sync.Once
		return &Injected{stop: func() { once.Do(h.Remove) }, hits: func() int64 { return int64(h.Hits()) }}, nil

	case FaultProduceLatency, FaultFetchLatency:
		key := int16(kmsg.Produce)
		if f.Kind == FaultFetchLatency {
			key = int16(kmsg.Fetch)
		}
		var stopped atomic.Bool
		var hits atomic.Int64
		e.c.ControlKey(key, func(req kmsg.Request) (kmsg.Response, error, bool) {
			if stopped.Load() {
				e.c.DropControl()
				return nil, nil, false
			}
			e.c.KeepControl()
			if !touches(req, f.Topic) || !sample() {
				return nil, nil, false
			}
			hits.Add(1)
			e.c.SleepControl(func() { time.Sleep(f.Latency) })
			return nil, nil, false // now let the broker answer as usual
		})
		return &Injected{stop: func() { stopped.Store(true) }, hits: hits.Load}, nil

	case FaultLeaderMove:
		if len(e.addrs) < 2 {
			return nil, fmt.Errorf("leader-move needs more than one embedded broker")
		}
		var moved int64
		for p := int32(0); ; p++ {
			cur := e.c.LeaderFor(f.Topic, p)
			if cur < 0 {
				break
			}
			next := (cur + 1) % int32(len(e.addrs))
			if err := e.c.MoveTopicPartition(f.Topic, p, next); err != nil {
				break
			}
			moved++
		}
		if moved == 0 {
			return nil, fmt.Errorf("leader-move: topic %q has no partitions", f.Topic)
		}
		return &Injected{stop: func() {}, hits: func() int64 { return moved }}, nil
	}
	return nil, fmt.Errorf("unknown broker fault %q", f.Kind)
}

// touches reports whether a produce or fetch request names topic.
func touches(req kmsg.Request, topic string) bool {
	switch r := req.(type) {
	case *kmsg.ProduceRequest:
		for _, t := range r.Topics {
			if t.Topic == topic {
				return true
			}
		}
	case *kmsg.FetchRequest:
		for _, t := range r.Topics {
			if t.Topic == topic || t.TopicID != [16]byte{} {
				return true
			}
		}
	}
	return false
}
