package driver

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	kafka "github.com/segmentio/kafka-go"
	metadataAPI "github.com/segmentio/kafka-go/protocol/metadata"
	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
	"github.com/segmentio/kafka-go/sasl/scram"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/internal/wire"
)

// kafkaGoProducer drives segmentio/kafka-go's Writer in async mode.
//
// kafka-go defaults that would distort a benchmark are set explicitly:
// BatchTimeout (1s by default, used as linger), RequiredAcks (none by
// default), and topic auto-creation (off: a Writer on a missing topic would
// retry forever; the runner creates the topic first).
//
// Two more settings keep a wide topic (hundreds to thousands of partitions)
// affordable; both follow from how kafka-go v0.4 works (docs/scale.md):
//   - The Writer sends one Produce request per partition batch, and its
//     Transport carries one request at a time per connection, dialling a new
//     connection whenever none is idle: with thin traffic on many partitions
//     every partition has a request in flight, i.e. a connection each. The
//     Transport is wrapped so that at most kafkaGoRequests requests are in
//     flight (so as many connections); see requestLimiter.
//   - Every batch the Writer opens preallocates BatchSize messages
//     (kafkaGoMessageBytes each), however few it will carry. See
//     kafkaGoBatchSize for the size kbench gives the Writer.
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
	if c.WatchPartitions {
		tr.MetadataTTL = time.Second
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
		BatchSize:              kafkaGoBatchSize(c.BatchSize, c.PeakRate, c.Linger),
		BatchBytes:             max(c.BatchBytes, 1024),
		BatchTimeout:           linger,
		ReadTimeout:            c.WriteTimeout,
		WriteTimeout:           c.WriteTimeout,
		RequiredAcks:           acks,
		Async:                  true,
		Completion:             p.complete,
		Compression:            comp,
		Transport:              limitRequests(tr, kafkaGoRequests),
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
	at := clock.Now()
	sp := p.acks.Get().(*[]Ack)
	acks := (*sp)[:0]
	for i := range msgs {
		m := &msgs[i]
		a := Ack{Partition: m.Partition, Offset: m.Offset, Key: m.Key, Bytes: len(m.Key) + len(m.Value), At: at}
		if slot, ok := m.WriterData.(*envSlot); ok {
			a.Header = slot.hdr[0].Value
			a.Bytes += len(slot.hdr[0].Value) + len(wire.HeaderKey)
			a.Token = slot.token
			slot.release()
		}
		acks = append(acks, a)
	}
	if p.onAck != nil {
		p.onAck(acks, err)
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

// kafkaGoRequests is the most requests one kafka-go Writer has in flight,
// hence the most connections it opens. With one message a request (a wide
// topic), it caps a producer at kafkaGoRequests / round-trip requests a
// second: on the embedded broker of a busy 2-core host a round trip took
// up to 2 ms, and 32 held 17,500-19,800 of 20,000 msg/s on 1,000
// partitions (8 s runs), 64 held 18,400-19,900 (16,000 once), 128 no
// better. One connection per partition (1,000) cost twice the CPU per
// message, and a connection and goroutines per partition on both ends; 8
// are too few (docs/scale.md).
const kafkaGoRequests = 64

// requestLimiter is a kafka.RoundTripper that lets at most cap(slots)
// requests through at once (Go queues the waiters in order).
//
// Metadata lookups take a slot too, although the Transport answers them
// from its cache: WriteMessages looks every message's topic up through the
// Transport, so while produce requests queue, the producer waits there.
// That is back-pressure, which kafka-go's async Writer otherwise lacks: the
// wait shows as send delay (and in corrected latency) instead of as batches
// piling up in the Writer's per-partition queues, with their memory and
// collection cost (measured at 1,000 partitions: 2 GB RSS and 1.9 s
// corrected p99 without it, 270 MB and 430 ms with it; docs/scale.md).
//
// It also remembers the answer to the Writer's one-topic metadata lookup
// for kafkaGoTopicTTL: the Transport answers it from its cache (5s) but
// copies the cached response for every WriteMessages call, about a
// thousand allocations for a 6-partition topic, i.e. four per message at
// 256 messages a call (BenchmarkProducePath). The Writer only reads the
// partition count from it.
type requestLimiter struct {
	rt    kafka.RoundTripper
	slots chan struct{}

	mu      sync.Mutex
	topic   string
	topicMD *metadataAPI.Response
	topicAt time.Time
}

// kafkaGoTopicTTL is how long requestLimiter reuses a one-topic metadata
// answer, well under the Transport's own MetadataTTL (5s), so the Writer
// sees a partition count change no later than it did without it.
const kafkaGoTopicTTL = 250 * time.Millisecond

func limitRequests(rt kafka.RoundTripper, n int) kafka.RoundTripper {
	return &requestLimiter{rt: rt, slots: make(chan struct{}, n)}
}

func (l *requestLimiter) RoundTrip(ctx context.Context, addr net.Addr, req kafka.Request) (kafka.Response, error) {
	select {
	case l.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	defer func() { <-l.slots }()
	md, ok := req.(*metadataAPI.Request)
	if !ok || len(md.TopicNames) != 1 {
		return l.rt.RoundTrip(ctx, addr, req)
	}
	now := time.Now()
	l.mu.Lock()
	if l.topicMD != nil && l.topic == md.TopicNames[0] && now.Sub(l.topicAt) < kafkaGoTopicTTL {
		r := l.topicMD
		l.mu.Unlock()
		return r, nil
	}
	l.mu.Unlock()
	res, err := l.rt.RoundTrip(ctx, addr, req)
	if r, ok := res.(*metadataAPI.Response); ok && err == nil && len(r.Topics) == 1 && r.Topics[0].ErrorCode == 0 && r.Topics[0].Name == md.TopicNames[0] {
		l.mu.Lock()
		l.topic, l.topicMD, l.topicAt = md.TopicNames[0], r, now
		l.mu.Unlock()
	}
	return res, err
}

// kafkaGoMessageBytes is the size of a kafka.Message (v0.4.51, 64-bit): the
// Writer preallocates BatchSize of them for every batch it opens
// (writeBatch.add: make([]Message, 0, maxSize)).
const kafkaGoMessageBytes = 152

// minKafkaGoBatch is the least BatchSize kafkaGoBatchSize gives the Writer.
const minKafkaGoBatch = 64

// kafkaGoBatchSize is the Writer's BatchSize for a producer paced at most at
// peak messages/s (0: unpaced) with the given linger.
//
// kafka-go allocates BatchSize message slots for every batch, and a batch
// closes when its linger expires. Paced, a batch can fill no further than
// the messages the whole producer hands over within one linger, whatever
// the keys: a larger BatchSize is memory allocated and never used. On a
// wide topic it is most of the cost: at 1,000 partitions, 20,000 msg/s and
// 5ms linger a batch carries about one message and batch_size 1,000 would
// allocate 152 KB for it, 3 GB/s. So the Writer gets twice a linger's worth
// at the peak rate (room for a producer delayed by one linger), at least
// minKafkaGoBatch, never more than batch_size; unpaced it gets batch_size.
// A batch is cut below batch_size only when one partition receives more
// than twice a linger's worth of the producer's whole peak rate, i.e. a
// producer catching up after falling behind.
func kafkaGoBatchSize(batchSize int, peak float64, linger time.Duration) int {
	batchSize = max(batchSize, 1)
	if !(peak > 0) || math.IsInf(peak, 0) {
		return batchSize
	}
	fill := 2 * peak * max(linger, 0).Seconds()
	if fill >= float64(batchSize) {
		return batchSize
	}
	return min(batchSize, max(int(math.Ceil(fill)), minKafkaGoBatch))
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
	// maxPoll and onPoll emulate polls (see pollinterval.go).
	maxPoll int
	onPoll  func()
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
	balancers := []kafka.GroupBalancer{kafka.RangeGroupBalancer{}}
	switch c.Assignor {
	case "", AssignRange:
	case AssignRoundRobin:
		balancers = []kafka.GroupBalancer{kafka.RoundRobinGroupBalancer{}}
	default:
		return nil, CheckAssignor(KafkaGo, c.Assignor)
	}
	rebalanceTimeout := c.SessionTimeout
	if c.MaxPollInterval > 0 {
		rebalanceTimeout = c.MaxPollInterval
	}
	maxPoll := c.MaxPollRecords
	if maxPoll <= 0 {
		maxPoll = 500
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
		MaxWait:           kafkaGoMaxWait(c.Partitions),
		ReadBatchTimeout:  2 * time.Second,
		HeartbeatInterval: c.HeartbeatInterval,
		SessionTimeout:    c.SessionTimeout,
		RebalanceTimeout:  rebalanceTimeout,
		GroupBalancers:    balancers,
		JoinGroupBackoff:  200 * time.Millisecond,
		CommitInterval:    interval,
		StartOffset:       kafka.FirstOffset,
		ReadBackoffMin:    10 * time.Millisecond,
		ReadBackoffMax:    200 * time.Millisecond,
		MaxAttempts:       3,
		// Every member checks the partition count each interval; a change
		// ends its generation, and the rejoin rebalances the group.
		WatchPartitionChanges:  c.WatchPartitions,
		PartitionWatchInterval: 500 * time.Millisecond,
	})
	return &kafkaGoConsumer{r: r, commit: c.Commit, gens: gens, next: map[int]int64{}, maxPoll: maxPoll, onPoll: c.onPoll}, nil
}

// kafkaGoMaxWait is the Reader's MaxWait on a topic of the given number of
// partitions (0: unknown): 1ms per partition, within [100ms, 2s].
//
// kafka-go's Reader fetches each partition on its own connection and sets
// that connection's read deadline to MaxWait after the fetch is sent, while
// asking the broker to wait at most MaxWait less a margin (a quarter of
// MaxWait below 1.33s, 1s above: adjustDeadlineForRTT). A response later
// than the margin is a read timeout, which the Reader treats as a broken
// connection: it closes it and sets the partition up again, dialling twice
// and reading the whole topic's metadata (reader.initialize, DialLeader).
// With one fetch outstanding per partition, the broker's response time
// grows with the partitions: at 1,000 partitions and MaxWait 100ms (25ms of
// margin) each member re-initialised about 800 partitions in 8 s, a loop
// that took the CPU from producing (10,000 of 20,000 msg/s); with 1s, none
// (docs/scale.md). An empty partition's fetch holds its reader until the
// broker answers, so MaxWait also bounds how long a rebalance or Close
// waits for the member's readers to stop: it stays 100ms on small topics.
func kafkaGoMaxWait(partitions int) time.Duration {
	return min(max(time.Duration(partitions)*time.Millisecond, 100*time.Millisecond), 2*time.Second)
}

func (k *kafkaGoConsumer) Run(ctx context.Context, h Handler) error {
	var m Message
	polled := k.maxPoll // messages handed over since the last emulated poll
	for {
		var km kafka.Message
		var err error
		var asked time.Time
		if k.onPoll != nil { // a clock read per message costs: only when polls are emulated
			asked = time.Now()
		}
		if k.commit == "auto" {
			km, err = k.r.ReadMessage(ctx)
		} else {
			km, err = k.r.FetchMessage(ctx)
		}
		if k.onPoll != nil && err == nil {
			// kafka-go hands over one message at a time: a poll is every
			// maxPoll messages, or a fetch that waited for data.
			if polled >= k.maxPoll || time.Since(asked) > kafkaGoPollWait {
				polled = 0
				k.onPoll()
			}
			polled++
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

func (k *kafkaGoConsumer) Assigned() []int {
	k.gens.mu.Lock()
	defer k.gens.mu.Unlock()
	return slices.Clone(k.gens.owned)
}

// subscribed reads the partitions out of kafka-go's assignment map, whose
// key type is unexported: by reflection, from its partition field.
func (w *generationWatch) subscribed(arg any) {
	v := reflect.ValueOf(arg)
	if v.Kind() != reflect.Map {
		return
	}
	owned := []int{}
	for _, key := range v.MapKeys() {
		if key.Kind() != reflect.Struct {
			return
		}
		f := key.FieldByName("partition")
		if !f.IsValid() || !f.CanInt() {
			return
		}
		owned = append(owned, int(f.Int()))
	}
	slices.Sort(owned)
	w.mu.Lock()
	w.owned = owned
	w.mu.Unlock()
}

// Rebalances is the number of group generations this member joined.
func (k *kafkaGoConsumer) Rebalances() int64 { return k.gens.joins.Load() }

// Settled reports whether every partition of the member's assignment has
// its reader set up. kafka-go sets each assigned partition up on its own
// connection after the assignment (a dial, the whole topic's metadata, the
// partition's offsets): on a wide topic that takes seconds, and a run that
// started producing before it ends would measure the set-up as latency and
// charge its CPU to the first messages.
func (k *kafkaGoConsumer) Settled() bool { return k.gens.settled() }

// kafkaGoPollWait: a fetch that took longer than this found nothing
// buffered, so the member was idle waiting for data (inside a poll, in the
// Java client's terms).
const kafkaGoPollWait = 5 * time.Millisecond

// generationWatch learns the member's group generations from kafka-go's
// log line on every join. kafka-go exposes no generation otherwise, and its
// Stats().Rebalances also counts partition-leader changes, which are not
// group rebalances.
type generationWatch struct {
	gen   atomic.Int64 // latest generation joined, -1 before the first
	joins atomic.Int64

	mu    sync.Mutex
	owned []int // partitions of the current generation; nil between generations
	// fetching holds the partitions of the current generation whose
	// readers are set up (connected, positioned) and fetching.
	fetching map[int]struct{}
}

// kafkaGoJoinedFormat is kafka-go v0.4's log format for a completed join.
const kafkaGoJoinedFormat = "Joined group %s as member %s in generation %d"

// kafka-go v0.4's log formats when a generation's partitions start (the
// argument is the map of assigned topic-partitions to offsets) and when the
// generation ends (every partition stops: kafka-go rebalances eagerly).
const (
	kafkaGoSubscribedFormat = "subscribed to topics and partitions: %+v"
	kafkaGoStoppedFormat    = "stopped commit for group %s\n"
)

// kafkaGoSeekingFormat is kafka-go v0.4's log format when one partition's
// reader is set up and about to fetch (reader.initialize).
const kafkaGoSeekingFormat = "the kafka reader for partition %d of %s is seeking to offset %d"

func (w *generationWatch) Printf(format string, args ...any) {
	switch {
	case format == kafkaGoSubscribedFormat && len(args) == 1:
		w.subscribed(args[0])
		return
	case format == kafkaGoStoppedFormat:
		w.mu.Lock()
		w.owned, w.fetching = nil, nil
		w.mu.Unlock()
		return
	case format == kafkaGoSeekingFormat && len(args) == 3:
		if p, ok := args[0].(int); ok {
			w.mu.Lock()
			if w.fetching == nil {
				w.fetching = map[int]struct{}{}
			}
			w.fetching[p] = struct{}{}
			w.mu.Unlock()
		}
		return
	case format != kafkaGoJoinedFormat || len(args) != 3:
		return
	}
	if g, ok := args[2].(int32); ok && int64(g) != w.gen.Load() {
		// A new generation: its partitions' readers start after this.
		w.mu.Lock()
		w.fetching = nil
		w.mu.Unlock()
		w.gen.Store(int64(g))
		w.joins.Add(1)
	}
}

// settled reports whether the current generation's assignment is known
// and every partition in it has a reader set up.
func (w *generationWatch) settled() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.owned == nil {
		return false
	}
	for _, p := range w.owned {
		if _, ok := w.fetching[p]; !ok {
			return false
		}
	}
	return true
}
