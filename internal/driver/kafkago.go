package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/kbench/kbench/internal/wire"
)

// kafkaGoProducer drives segmentio/kafka-go's Writer in async mode.
//
// kafka-go defaults that would distort a benchmark are set explicitly:
// BatchTimeout (1s by default, used as linger), RequiredAcks (none by
// default), and topic auto-creation (off: a Writer on a missing topic would
// retry forever; the runner creates the topic first).
type kafkaGoProducer struct {
	w     *kafka.Writer
	onAck AckFunc
	msgs  []kafka.Message // reused by Produce; the Writer copies messages
	acks  sync.Pool       // *[]Ack
}

// envelopes carry a call's records through kafka-go: each record's header
// slice and the caller's token ride in a slot (Message.WriterData holds a
// pointer to it: no allocation), and the slots of one Produce call share one
// block that returns to the pool once every record is acknowledged.
const envBlock = 256

type envSlot struct {
	hdr   [1]kafka.Header
	token any
	blk   *envelopes
}

type envelopes struct {
	slots [envBlock]envSlot
	refs  atomic.Int32
}

var envPool = sync.Pool{New: func() any {
	e := new(envelopes)
	for i := range e.slots {
		e.slots[i].blk = e
	}
	return e
}}

func (s *envSlot) release() {
	s.token = nil
	s.hdr[0] = kafka.Header{}
	if s.blk.refs.Add(-1) == 0 {
		envPool.Put(s.blk)
	}
}

// NewKafkaGoProducer returns a producer over kafka-go's Writer.
func NewKafkaGoProducer(c ProducerConfig) (Producer, error) {
	acks, err := kafkaGoAcks(c.Acks)
	if err != nil {
		return nil, err
	}
	comp, err := kafkaGoCompression(c.Compression)
	if err != nil {
		return nil, err
	}
	tr, err := kafkaGoTransport(c.Net, c.ClientID)
	if err != nil {
		return nil, err
	}
	linger := c.Linger
	if linger <= 0 {
		// kafka-go treats 0 as "use the 1s default"; a nanosecond means
		// "send as soon as the batch goroutine runs".
		linger = time.Nanosecond
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	p := &kafkaGoProducer{onAck: c.OnAck}
	p.acks.New = func() any { s := make([]Ack, 0, 64); return &s }
	p.w = &kafka.Writer{
		Addr:                   kafka.TCP(c.Brokers...),
		Topic:                  c.Topic,
		Balancer:               kafka.BalancerFunc(func(m kafka.Message, _ ...int) int { return m.Partition }),
		MaxAttempts:            c.MaxAttempts,
		WriteBackoffMin:        50 * time.Millisecond,
		WriteBackoffMax:        500 * time.Millisecond,
		BatchSize:              max(c.BatchSize, 1),
		BatchBytes:             max(c.BatchBytes, 1024),
		BatchTimeout:           linger,
		ReadTimeout:            c.WriteTimeout,
		WriteTimeout:           c.WriteTimeout,
		RequiredAcks:           acks,
		Async:                  true,
		Completion:             p.complete,
		Compression:            comp,
		Transport:              tr,
		AllowAutoTopicCreation: false,
	}
	return p, nil
}

func (p *kafkaGoProducer) Produce(ctx context.Context, recs []Record) error {
	for len(recs) > 0 {
		n := min(len(recs), envBlock)
		if err := p.produce(ctx, recs[:n]); err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

func (p *kafkaGoProducer) produce(ctx context.Context, recs []Record) error {
	blk := envPool.Get().(*envelopes)
	blk.refs.Store(int32(len(recs)))
	msgs := p.msgs[:0]
	for i := range recs {
		r := &recs[i]
		slot := &blk.slots[i]
		slot.hdr[0] = kafka.Header{Key: wire.HeaderKey, Value: r.Header}
		slot.token = r.Token
		msgs = append(msgs, kafka.Message{
			Partition:  r.Partition,
			Key:        r.Key,
			Value:      r.Value,
			Headers:    slot.hdr[:],
			WriterData: slot,
		})
	}
	p.msgs = msgs
	err := p.w.WriteMessages(ctx, msgs...)
	clear(msgs) // drop references so buffers can be reused
	return err
}

func (p *kafkaGoProducer) complete(msgs []kafka.Message, err error) {
	at := time.Now()
	sp := p.acks.Get().(*[]Ack)
	acks := (*sp)[:0]
	for i := range msgs {
		m := &msgs[i]
		a := Ack{Partition: m.Partition, Offset: m.Offset, Key: m.Key, Bytes: len(m.Key) + len(m.Value)}
		if slot, ok := m.WriterData.(*envSlot); ok {
			a.Header = slot.hdr[0].Value
			a.Bytes += len(slot.hdr[0].Value) + len(wire.HeaderKey)
			a.Token = slot.token
			slot.release()
		}
		acks = append(acks, a)
	}
	if p.onAck != nil {
		p.onAck(acks, at, err)
	}
	clear(acks)
	*sp = acks
	p.acks.Put(sp)
}

func (p *kafkaGoProducer) Close(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- p.w.Close() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return fmt.Errorf("producer close: %w", ctx.Err())
	}
}

func kafkaGoAcks(s string) (kafka.RequiredAcks, error) {
	switch s {
	case "0":
		return kafka.RequireNone, nil
	case "1":
		return kafka.RequireOne, nil
	case "all", "-1", "":
		return kafka.RequireAll, nil
	}
	return 0, fmt.Errorf("acks %q: want 0, 1 or all", s)
}

func kafkaGoCompression(s string) (kafka.Compression, error) {
	switch s {
	case "", "none":
		return 0, nil
	case "gzip":
		return kafka.Gzip, nil
	case "snappy":
		return kafka.Snappy, nil
	case "lz4":
		return kafka.Lz4, nil
	case "zstd":
		return kafka.Zstd, nil
	}
	return 0, fmt.Errorf("compression %q: want none, gzip, snappy, lz4 or zstd", s)
}

func kafkaGoMechanism(s *SASL) (sasl.Mechanism, error) {
	if s == nil {
		return nil, nil
	}
	switch s.Mechanism {
	case "PLAIN":
		return plain.Mechanism{Username: s.Username, Password: s.Password}, nil
	case "SCRAM-SHA-256":
		return scram.Mechanism(scram.SHA256, s.Username, s.Password)
	case "SCRAM-SHA-512":
		return scram.Mechanism(scram.SHA512, s.Username, s.Password)
	}
	return nil, fmt.Errorf("sasl mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}

func kafkaGoTransport(n Net, clientID string) (*kafka.Transport, error) {
	mech, err := kafkaGoMechanism(n.SASL)
	if err != nil {
		return nil, err
	}
	if clientID == "" {
		clientID = "kbench"
	}
	dt := n.DialTimeout
	if dt <= 0 {
		dt = 5 * time.Second
	}
	return &kafka.Transport{
		Dial:        n.Dial,
		DialTimeout: dt,
		IdleTimeout: 30 * time.Second,
		MetadataTTL: 5 * time.Second,
		ClientID:    clientID,
		TLS:         n.TLS,
		SASL:        mech,
	}, nil
}

func kafkaGoDialer(n Net, clientID string) (*kafka.Dialer, error) {
	mech, err := kafkaGoMechanism(n.SASL)
	if err != nil {
		return nil, err
	}
	dt := n.DialTimeout
	if dt <= 0 {
		dt = 5 * time.Second
	}
	return &kafka.Dialer{
		ClientID:      clientID,
		Timeout:       dt,
		DualStack:     true,
		DialFunc:      n.Dial,
		TLS:           n.TLS,
		SASLMechanism: mech,
	}, nil
}

// kafkaGoConsumer is one member of a consumer group on kafka-go's Reader.
type kafkaGoConsumer struct {
	r      *kafka.Reader
	commit string
	gens   *generationWatch
	// next[p] is the offset after the last one this member committed, in
	// before-process mode (see Run).
	next map[int]int64
}

// NewKafkaGoConsumer returns a group member on kafka-go's Reader.
//
// Commit modes map to kafka-go as:
//   - auto: ReadMessage, which marks the message committed on fetch, flushed
//     every AutoCommitInterval (like the Java client's enable.auto.commit).
//   - after-process: FetchMessage, handle, then CommitMessages (flushed every
//     AutoCommitInterval): at-least-once.
//   - before-process: FetchMessage, a synchronous commit, then handle:
//     at-most-once.
func NewKafkaGoConsumer(c ConsumerConfig) (Consumer, error) {
	id := "kbench-" + c.Group + "-" + strconv.Itoa(c.Instance)
	d, err := kafkaGoDialer(c.Net, id)
	if err != nil {
		return nil, err
	}
	if c.AutoCommitInterval <= 0 {
		c.AutoCommitInterval = 200 * time.Millisecond
	}
	interval := c.AutoCommitInterval
	switch c.Commit {
	case "auto", "after-process", "":
	case "before-process":
		interval = 0 // synchronous commits
	default:
		return nil, fmt.Errorf("commit mode %q is not supported by the kafka-go driver", c.Commit)
	}
	gens := &generationWatch{}
	gens.gen.Store(-1)
	r := kafka.NewReader(kafka.ReaderConfig{
		Logger:            gens,
		Brokers:           c.Brokers,
		GroupID:           c.Group,
		Topic:             c.Topic,
		Dialer:            d,
		QueueCapacity:     1000,
		MinBytes:          1,
		MaxBytes:          4 << 20,
		MaxWait:           100 * time.Millisecond,
		ReadBatchTimeout:  2 * time.Second,
		HeartbeatInterval: c.HeartbeatInterval,
		SessionTimeout:    c.SessionTimeout,
		RebalanceTimeout:  c.SessionTimeout,
		JoinGroupBackoff:  200 * time.Millisecond,
		CommitInterval:    interval,
		StartOffset:       kafka.FirstOffset,
		ReadBackoffMin:    10 * time.Millisecond,
		ReadBackoffMax:    200 * time.Millisecond,
		MaxAttempts:       3,
	})
	return &kafkaGoConsumer{r: r, commit: c.Commit, gens: gens, next: map[int]int64{}}, nil
}

func (k *kafkaGoConsumer) Run(ctx context.Context, h Handler) error {
	var m Message
	for {
		var km kafka.Message
		var err error
		if k.commit == "auto" {
			km, err = k.r.ReadMessage(ctx)
		} else {
			km, err = k.r.FetchMessage(ctx)
		}
		if err != nil {
			if ctx.Err() != nil || errors.Is(err, context.Canceled) || errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
		if k.commit == "before-process" {
			gen := k.gens.gen.Load()
			// Around a rebalance kafka-go can hand out a message fetched under
			// the generation that just ended, whose partition may now be
			// another member's (or this member's again, re-read from the
			// committed offset). An at-most-once consumer processes a
			// message only if it committed it within the generation it
			// fetched it in, and never one it has already committed: a
			// message committed but skipped is lost, never duplicated.
			if next, ok := k.next[km.Partition]; ok && km.Offset < next {
				continue
			}
			if err := k.r.CommitMessages(ctx, km); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			k.next[km.Partition] = km.Offset + 1
			if k.gens.gen.Load() != gen {
				continue
			}
		}
		m = Message{Partition: km.Partition, Offset: km.Offset, Key: km.Key, Value: km.Value, At: time.Now()}
		for i := range km.Headers {
			if km.Headers[i].Key == wire.HeaderKey {
				m.Header = km.Headers[i].Value
				break
			}
		}
		if err := h(&m); err != nil {
			return err
		}
		if k.commit == "after-process" || k.commit == "" {
			if err := k.r.CommitMessages(ctx, km); err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
		}
	}
}

func (k *kafkaGoConsumer) Close() error { return k.r.Close() }

// Rebalances is the number of group generations this member joined.
func (k *kafkaGoConsumer) Rebalances() int64 { return k.gens.joins.Load() }

// generationWatch learns the member's group generations from kafka-go's
// log line on every join. kafka-go exposes no generation otherwise, and its
// Stats().Rebalances also counts partition-leader changes, which are not
// group rebalances.
type generationWatch struct {
	gen   atomic.Int64 // latest generation joined, -1 before the first
	joins atomic.Int64
}

// kafkaGoJoinedFormat is kafka-go v0.4's log format for a completed join.
const kafkaGoJoinedFormat = "Joined group %s as member %s in generation %d"

func (w *generationWatch) Printf(format string, args ...any) {
	if format != kafkaGoJoinedFormat || len(args) != 3 {
		return
	}
	if g, ok := args[2].(int32); ok && int64(g) != w.gen.Load() {
		w.gen.Store(int64(g))
		w.joins.Add(1)
	}
}
