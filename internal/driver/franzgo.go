package driver

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/sasl"
	"github.com/twmb/franz-go/pkg/sasl/plain"
	"github.com/twmb/franz-go/pkg/sasl/scram"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/internal/wire"
)

// This file adapts twmb/franz-go (kgo) to the driver contract.
//
// Producer: one kgo.Client with the manual partitioner, so the partition
// kbench chose (Record.Partition) is the one the record lands on. Acks come
// from kgo's per-record promises, which kgo calls serially; they are
// handed to OnAck in batches (see hold), each stamped at most once per
// produce response (see ackStamp).
// The kgo.Record handed to the client, its one header and the caller's
// token live together in a franzGoRec whose first field is the kgo.Record,
// so the promise finds the franzGoRec from the *kgo.Record it is given.
// franzGoRecs live in slabs that Produce fills front to back and that go
// back on the producer's free list once every record in them completed:
// the records of a Produce call are neighbours in memory, which is what
// makes them cheap to write, encode and complete (recycling records one
// by one, in the order they completed, scattered them over memory: the
// slabs cut the client's CPU per message by about a third). Not a
// sync.Pool: it would hand memory between the promise goroutine's P and
// Produce's and be emptied by every GC. Steady-state producing does not
// allocate.
// (Record.Context cannot carry the franzGoRec: kgo may still read a
// record's context from another goroutine after the promise ran.)
//
// Consumer: one kgo group member per instance (classic group protocol,
// kgo's default cooperative-sticky balancer), polling at most
// franzGoMaxPoll records at a time with BlockRebalanceOnPoll, so a
// rebalance (and the commit on revocation) happens only between batches,
// once every polled record has been handled, as with the Java client.

// franzGoMaxPoll bounds one poll, like the Java client's max.poll.records
// default. It is also the unit of a before-process commit and the most a
// transaction holds (see franzGoTxnBudget).
const franzGoMaxPoll = 500

// franzGoCommitTimeout bounds a commit made on revocation or Close.
const franzGoCommitTimeout = 5 * time.Second

// franzGoTxnTimeout is the transaction timeout of commit=transactional: a
// transaction abandoned by a crashed member (its sockets gone, no EndTxn)
// is aborted by the broker this long after it began, which is how long it
// holds back read_committed readers of the output (the last stable offset)
// and, if it had already sent its offsets, the new owner's offset fetch.
const franzGoTxnTimeout = 5 * time.Second

// franzGoTxnBudget is the processing time one transaction aims at: a
// transactional member polls at most as many records as its handler takes
// franzGoTxnBudget to process (by the average so far), so that a batch's
// transaction stays well inside franzGoTxnTimeout whatever the processing
// delay.
const franzGoTxnBudget = franzGoTxnTimeout / 5

// franzGoEndTimeout bounds ending one transaction (flush, offsets, EndTxn).
const franzGoEndTimeout = 10 * time.Second

// franzGoProducer drives a kgo.Client as an asynchronous producer.
type franzGoProducer struct {
	cl      *kgo.Client
	topic   string
	onAck   AckFunc
	ctx     context.Context // every record's context: canceled only to abort Close
	cancel  context.CancelFunc
	maxBuf  int
	space   chan struct{} // signaled by promises when Produce waits for buffer room
	waiting atomic.Bool
	promise func(*kgo.Record, error) // p.complete, bound once
	one     [1]Ack                   // promise goroutine only (kgo calls promises serially)

	// reads counts produce responses (nil with acks=0); stamp is the
	// completion time ackStamp read when the count was stampReads
	// (promise goroutine only).
	reads      *produceReads
	stamp      int64
	stampReads uint64

	// ackMu guards pend: acknowledgements completed and not yet handed to
	// onAck. kgo completes records one promise call at a time; handing
	// them over in batches (full, or franzGoAckDelay after the first was
	// held) costs the caller one call, one lock and one wake-up per batch
	// instead of per record. Each Ack keeps its own At.
	ackMu  sync.Mutex
	pend   []Ack
	armed  bool        // flushT will fire
	flushT *time.Timer // hands a held batch over

	// The record slabs (see the file comment). cur (Produce only) is the
	// slab being filled, next its first unused record. freeMu guards
	// free: slabs whose every record completed. slabs counts the slabs
	// made, at most maxSlabs: a record that stays in flight pins its
	// whole slab, so a stuck partition could otherwise pin a slab for
	// each of its records; past the cap (no free slab either) records are
	// allocated one by one.
	cur      *franzGoSlab
	next     int
	slabs    int
	maxSlabs int
	freeMu   sync.Mutex
	free     []*franzGoSlab
}

// franzGoAckBatch is the most acknowledgements held back before they are
// handed over; franzGoAckDelay the longest one is held. Latency is stamped
// when each record completes, so holding only delays the bookkeeping.
const (
	franzGoAckBatch = 128
	franzGoAckDelay = time.Millisecond
)

// franzGoSlabRecs is how many records one slab holds: one Produce chunk
// of the runner's.
const franzGoSlabRecs = 256

// franzGoMaxSlabs is the most slabs a producer makes for a client that
// buffers maxBuf records: enough for a full buffer plus partly completed
// slabs, so that records are allocated one by one only when some stay in
// flight far longer than the rest (each pinning its slab).
func franzGoMaxSlabs(maxBuf int) int { return (maxBuf+franzGoSlabRecs-1)/franzGoSlabRecs + 64 }

// franzGoSlab is a run of records handed to kgo. refs counts the records
// kgo holds plus one while Produce still fills the slab; the last to drop
// its reference puts the slab on the free list.
type franzGoSlab struct {
	recs [franzGoSlabRecs]franzGoRec
	refs atomic.Int32
}

// franzGoRec is one in-flight record: the kgo.Record the client holds, its
// kbench header, the caller's token and its slab. rec must stay the first
// field: recOf maps the *kgo.Record back to its franzGoRec.
type franzGoRec struct {
	rec   kgo.Record
	hdr   [1]kgo.RecordHeader
	token any
	slab  *franzGoSlab
}

// recOf returns the franzGoRec whose rec field r is. Every record this
// producer hands to kgo is one (they live in franzGoSlabs).
func recOf(r *kgo.Record) *franzGoRec { return (*franzGoRec)(unsafe.Pointer(r)) }

// takeRecs appends n records to dst for Produce, the next unused ones of
// the current slab, then of a free (or new) one; each taken record holds
// a reference to its slab. With every slab in use and maxSlabs made, the
// rest are allocated one by one (slab nil).
func (p *franzGoProducer) takeRecs(dst []*franzGoRec, n int) []*franzGoRec {
	for n > 0 {
		if (p.cur == nil || p.next == franzGoSlabRecs) && !p.nextSlab() {
			for ; n > 0; n-- {
				dst = append(dst, new(franzGoRec))
			}
			return dst
		}
		k := min(n, franzGoSlabRecs-p.next)
		p.cur.refs.Add(int32(k))
		for i := p.next; i < p.next+k; i++ {
			dst = append(dst, &p.cur.recs[i])
		}
		p.next += k
		n -= k
	}
	return dst
}

// nextSlab drops Produce's reference to the current slab and starts
// filling a free one, or a new one; false when there is none and
// maxSlabs were made.
func (p *franzGoProducer) nextSlab() bool {
	if p.cur != nil {
		p.release(p.cur)
		p.cur = nil
	}
	p.freeMu.Lock()
	if n := len(p.free); n > 0 {
		p.cur = p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
	}
	p.freeMu.Unlock()
	if p.cur == nil {
		if p.slabs >= p.maxSlabs {
			return false
		}
		p.slabs++
		p.cur = new(franzGoSlab)
		for i := range p.cur.recs {
			p.cur.recs[i].slab = p.cur
		}
	}
	p.cur.refs.Store(1) // Produce's own, until it moves on
	p.next = 0
	return true
}

// release drops one reference to s (nil: a record allocated on its own);
// the last one frees it.
func (p *franzGoProducer) release(s *franzGoSlab) {
	if s != nil && s.refs.Add(-1) == 0 {
		p.freeMu.Lock()
		p.free = append(p.free, s)
		p.freeMu.Unlock()
	}
}

// NewFranzGoProducer returns a producer over franz-go's kgo.Client.
//
// ProducerConfig maps to kgo as:
//   - Brokers -> kgo.SeedBrokers; Topic -> kgo.DefaultProduceTopic;
//     ClientID -> kgo.ClientID (default "kbench").
//   - Partition: kgo.RecordPartitioner(kgo.ManualPartitioner()) with
//     kgo.Record.Partition set from Record.Partition, so the client never
//     re-places a record.
//   - Linger -> kgo.ProducerLinger (0: no linger; a batch goes out as soon
//     as the partition's sink can send).
//   - BatchBytes -> kgo.ProducerBatchMaxBytes (clamped to [1KiB, 1GiB];
//     default 1MiB like Kafka's max.message.bytes).
//   - BatchSize: kgo has no per-batch message count (batches are cut by
//     bytes and linger only), so it is not a batch limit; it only raises
//     the client's buffer, kgo.MaxBufferedRecords =
//     clamp(64 x BatchSize, 10000, 1000000) (room for 64 full batches).
//     Produce waits (honouring its ctx) while that buffer is full.
//   - Acks -> kgo.RequiredAcks: "0" -> kgo.NoAck, "1" -> kgo.LeaderAck,
//     both with kgo.DisableIdempotentWrite (idempotence needs acks=all) and
//     kgo.MaxProduceRequestsInflightPerBroker(5), the Java client's
//     max.in.flight default (kgo would otherwise allow 1 without
//     idempotence); "all" -> kgo.AllISRAcks with kgo's idempotent writes
//     (5 requests in flight per broker).
//   - Compression -> kgo.ProducerBatchCompression (kgo.NoCompression,
//     GzipCompression, SnappyCompression, Lz4Compression, ZstdCompression;
//     "none" is set explicitly: kgo's default would be snappy).
//   - WriteTimeout -> kgo.ProduceRequestTimeout (default 10s).
//   - MaxAttempts -> kgo.RecordRetries (default 3) and, with WriteTimeout,
//     kgo.RecordDeliveryTimeout = MaxAttempts x WriteTimeout + Linger, so
//     a record fails in bounded time as with kafka-go.
//   - Net.Dial / Net.TLS / Net.DialTimeout -> kgo.Dialer (TLS is layered on
//     the dial function, since kgo rejects Dialer with DialTLSConfig);
//     Net.SASL -> kgo.SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512).
//
// Produce hands records to kgo.Client.Produce with the producer's own
// context, not the caller's: kgo cancels buffered records whose context
// ends, and records already handed over must survive the end of the
// producing loop until Close flushes them.
func NewFranzGoProducer(c ProducerConfig) (Producer, error) {
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = 10 * time.Second
	}
	if c.MaxAttempts <= 0 {
		c.MaxAttempts = 3
	}
	if c.ClientID == "" {
		c.ClientID = "kbench"
	}
	netOpts, err := franzGoNetOpts(c.Net)
	if err != nil {
		return nil, err
	}
	codec, err := franzGoCompression(c.Compression)
	if err != nil {
		return nil, err
	}
	batchBytes := c.BatchBytes
	if batchBytes <= 0 {
		batchBytes = 1 << 20
	}
	batchBytes = min(max(batchBytes, 1024), 1<<30)
	maxBuf := min(max(64*c.BatchSize, 10000), 1000000)
	linger := max(c.Linger, 0)

	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(c.ClientID),
		kgo.DefaultProduceTopic(c.Topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(linger),
		kgo.ProducerBatchMaxBytes(int32(batchBytes)),
		kgo.MaxBufferedRecords(maxBuf),
		kgo.ProducerBatchCompression(codec),
		kgo.ProduceRequestTimeout(c.WriteTimeout),
		kgo.RecordRetries(c.MaxAttempts),
		kgo.RecordDeliveryTimeout(time.Duration(c.MaxAttempts)*c.WriteTimeout + linger),
		kgo.MetadataMinAge(250 * time.Millisecond),
	}
	switch c.Acks {
	case "0":
		opts = append(opts, kgo.RequiredAcks(kgo.NoAck()), kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(5))
	case "1":
		opts = append(opts, kgo.RequiredAcks(kgo.LeaderAck()), kgo.DisableIdempotentWrite(), kgo.MaxProduceRequestsInflightPerBroker(5))
	case "all", "-1", "":
		opts = append(opts, kgo.RequiredAcks(kgo.AllISRAcks()))
	default:
		return nil, fmt.Errorf("acks %q: want 0, 1 or all", c.Acks)
	}
	opts = append(opts, netOpts...)
	var reads *produceReads
	if c.Acks != "0" {
		reads = &produceReads{}
		opts = append(opts, kgo.WithHooks(reads))
	}
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("franz-go producer: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	p := &franzGoProducer{cl: cl, topic: c.Topic, onAck: c.OnAck, ctx: ctx, cancel: cancel, maxBuf: maxBuf, space: make(chan struct{}, 1), reads: reads,
		maxSlabs: franzGoMaxSlabs(maxBuf)}
	p.promise = p.complete
	p.pend = make([]Ack, 0, franzGoAckBatch)
	p.flushT = time.AfterFunc(time.Hour, p.flushHeld)
	p.flushT.Stop()
	return p, nil
}

func (p *franzGoProducer) Produce(ctx context.Context, recs []Record) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	// kgo.Client.Produce blocks on a full buffer without a way to stop
	// waiting that would not also cancel the records (see above), so wait
	// for room here, where ctx can end the wait.
	for need := min(len(recs), p.maxBuf); int(p.cl.BufferedProduceRecords())+need > p.maxBuf; {
		p.waiting.Store(true)
		if int(p.cl.BufferedProduceRecords())+need <= p.maxBuf {
			break // room appeared before the flag was seen
		}
		select {
		case <-p.space:
		case <-ctx.Done():
			p.waiting.Store(false)
			return ctx.Err()
		}
	}
	p.waiting.Store(false)
	var buf [franzGoSlabRecs]*franzGoRec
	for len(recs) > 0 {
		n := min(len(recs), len(buf))
		p.produce(recs[:n], p.takeRecs(buf[:0], n))
		recs = recs[n:]
	}
	return nil
}

// produce hands recs to kgo in fs (one record each). The records of one
// call share one timestamp (their CreateTime; kgo would otherwise read the
// clock for each): they are handed over within microseconds, and Kafka
// keeps milliseconds.
func (p *franzGoProducer) produce(recs []Record, fs []*franzGoRec) {
	now := time.Now()
	for i := range recs {
		r := &recs[i]
		f := fs[i]
		f.token = r.Token
		f.hdr[0] = kgo.RecordHeader{Key: wire.HeaderKey, Value: r.Header}
		f.rec = kgo.Record{
			Key:       r.Key,
			Value:     r.Value,
			Headers:   f.hdr[:],
			Partition: int32(r.Partition),
			Timestamp: now,
			Context:   p.ctx,
		}
		p.cl.Produce(p.ctx, &f.rec, p.promise)
	}
}

// complete is the kgo promise: kgo calls it serially, once per record.
func (p *franzGoProducer) complete(r *kgo.Record, err error) {
	f := recOf(r)
	if p.onAck != nil {
		p.hold(r, f, err)
	}
	f.token = nil // Produce overwrites the rest
	p.release(f.slab)
	if p.waiting.Load() {
		select {
		case p.space <- struct{}{}:
		default:
		}
	}
}

// hold keeps a successful acknowledgement for the next batch handed to
// onAck (written in place, not copied); a failed one goes over at once,
// after what was held (a call's err covers all of its acks).
func (p *franzGoProducer) hold(r *kgo.Record, f *franzGoRec, err error) {
	at := p.ackStamp(err)
	p.ackMu.Lock()
	defer p.ackMu.Unlock()
	if err != nil {
		p.handOverLocked()
		p.one[0] = ackOf(r, f, at)
		p.onAck(p.one[:], err)
		p.one[0] = Ack{}
		return
	}
	p.pend = append(p.pend, ackOf(r, f, at))
	if len(p.pend) == cap(p.pend) {
		p.handOverLocked()
	} else if !p.armed {
		p.armed = true
		p.flushT.Reset(franzGoAckDelay)
	}
}

func ackOf(r *kgo.Record, f *franzGoRec, at int64) Ack {
	return Ack{
		Partition: int(r.Partition),
		Offset:    r.Offset,
		Key:       r.Key,
		Header:    f.hdr[0].Value,
		Bytes:     len(r.Key) + len(r.Value) + len(f.hdr[0].Value) + len(wire.HeaderKey),
		Token:     f.token,
		At:        at,
	}
}

// ackStamp is the time a record completed: read from the clock at most
// once per produce response. Every record of a response was acknowledged
// when the client read it, and kgo reads it (OnBrokerRead, counted in
// reads) before it completes any of its records; so a stamp read after
// the count last moved is no earlier than the response of any record
// completing now, and no later than the record's completion. A failed
// record, and every record with acks=0 (no response), reads the clock.
func (p *franzGoProducer) ackStamp(err error) int64 {
	if err != nil || p.reads == nil {
		return clock.Now()
	}
	if n := p.reads.n.Load(); n != p.stampReads || p.stamp == 0 {
		p.stampReads = n
		p.stamp = clock.Now()
	}
	return p.stamp
}

// produceReads counts the produce responses a client read
// (kgo.HookBrokerRead).
type produceReads struct{ n atomic.Uint64 }

func (h *produceReads) OnBrokerRead(_ kgo.BrokerMetadata, key int16, _ int, _, _ time.Duration, _ error) {
	if key == 0 { // Produce
		h.n.Add(1)
	}
}

// handOverLocked hands the held acknowledgements to onAck (ackMu held).
func (p *franzGoProducer) handOverLocked() {
	if len(p.pend) == 0 {
		return
	}
	p.onAck(p.pend, nil)
	clear(p.pend)
	p.pend = p.pend[:0]
}

// flushHeld is flushT's function: what was held franzGoAckDelay goes over.
func (p *franzGoProducer) flushHeld() {
	p.ackMu.Lock()
	p.armed = false
	p.handOverLocked()
	p.ackMu.Unlock()
}

// Close flushes what is buffered (kgo.Client.Flush) and closes the client,
// waiting until ctx ends at most. When ctx ends first, what is still
// buffered is failed (reported through OnAck with an error) and the client
// is closed in the background.
func (p *franzGoProducer) Close(ctx context.Context) error {
	defer p.flushHeld() // what completed last goes over before Close returns
	ferr := p.cl.Flush(ctx)
	if ferr != nil {
		p.cancel() // fail records not yet in flight
	}
	done := make(chan struct{})
	go func() {
		p.cl.Close()
		p.cancel()
		close(done)
	}()
	if ferr != nil {
		select {
		case <-done:
		case <-time.After(time.Second):
		}
		return fmt.Errorf("producer close: %w", ferr)
	}
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("producer close: %w", ctx.Err())
	}
}

func franzGoCompression(s string) (kgo.CompressionCodec, error) {
	switch s {
	case "", "none":
		return kgo.NoCompression(), nil
	case "gzip":
		return kgo.GzipCompression(), nil
	case "snappy":
		return kgo.SnappyCompression(), nil
	case "lz4":
		return kgo.Lz4Compression(), nil
	case "zstd":
		return kgo.ZstdCompression(), nil
	}
	return kgo.CompressionCodec{}, fmt.Errorf("compression %q: want none, gzip, snappy, lz4 or zstd", s)
}

func franzGoMechanism(s *SASL) (sasl.Mechanism, error) {
	switch s.Mechanism {
	case "PLAIN":
		return plain.Auth{User: s.Username, Pass: s.Password}.AsMechanism(), nil
	case "SCRAM-SHA-256":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha256Mechanism(), nil
	case "SCRAM-SHA-512":
		return scram.Auth{User: s.Username, Pass: s.Password}.AsSha512Mechanism(), nil
	}
	return nil, fmt.Errorf("sasl mechanism %q: want PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512", s.Mechanism)
}

// KgoNetOpts maps Net to franz-go client options, for kbench's other
// franz-go clients (the admin client). See franzGoNetOpts.
func KgoNetOpts(n Net) ([]kgo.Opt, error) { return franzGoNetOpts(n) }

// franzGoNetOpts maps Net to kgo options: one kgo.Dialer that dials through
// Net.Dial (the fault switch, when set) within Net.DialTimeout and then,
// with Net.TLS, does the TLS handshake on that connection; and kgo.SASL.
func franzGoNetOpts(n Net) ([]kgo.Opt, error) {
	dt := n.DialTimeout
	if dt <= 0 {
		dt = 5 * time.Second
	}
	opts := []kgo.Opt{kgo.DialTimeout(dt)}
	if n.SASL != nil {
		mech, err := franzGoMechanism(n.SASL)
		if err != nil {
			return nil, err
		}
		opts = append(opts, kgo.SASL(mech))
	}
	if n.Dial == nil && n.TLS == nil {
		return opts, nil // kgo's own net.Dialer with DialTimeout
	}
	dial := n.Dial
	if dial == nil {
		d := &net.Dialer{}
		dial = d.DialContext
	}
	tlsCfg := n.TLS
	opts = append(opts, kgo.Dialer(func(ctx context.Context, network, addr string) (net.Conn, error) {
		ctx, cancel := context.WithTimeout(ctx, dt)
		defer cancel()
		conn, err := dial(ctx, network, addr)
		if err != nil || tlsCfg == nil {
			return conn, err
		}
		cfg := tlsCfg.Clone()
		if cfg.ServerName == "" {
			if host, _, err := net.SplitHostPort(addr); err == nil {
				cfg.ServerName = host
			}
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			_ = conn.Close()
			return nil, err
		}
		return tc, nil
	}))
	return opts, nil
}

// franzGoConsumer is one member of a consumer group on a kgo.Client.
type franzGoConsumer struct {
	cl   *kgo.Client
	sess *kgo.GroupTransactSession // commit=transactional only
	mode string

	// output: the topic of commit=transactional's output records ("": none).
	output string
	// outs/outHdrs/outVals back the output records of the transaction in
	// hand; reused once End has flushed or aborted them.
	outs    []kgo.Record
	outHdrs []kgo.RecordHeader
	outVals []byte
	// perRec: average handling time per record (ns, commit=transactional),
	// which sizes the next poll to franzGoTxnBudget.
	perRec float64
	// maxPoll: most records per poll (ConsumerConfig.MaxPollRecords).
	maxPoll int
	onPoll  func()

	rebalances atomic.Int64
	ownMu      sync.Mutex
	owned      map[int32]bool // partitions held now
	// dead: the handler failed (the runner's crash): the member commits
	// and says nothing more, the group finds out by session timeout.
	dead atomic.Bool
	// partial: Run stopped with polled records unhandled, so "all polled"
	// offsets (commit=auto) must not be committed any more.
	partial atomic.Bool

	quit       context.Context // canceled by Close: Run stops after its batch
	quitCancel context.CancelFunc

	mu      sync.Mutex
	closing bool
	running chan struct{} // closed when Run returns; nil before Run

	closeOnce sync.Once
	closeErr  error
}

// NewFranzGoConsumer returns a group member on franz-go's kgo.Client.
//
// ConsumerConfig maps to kgo as: Brokers -> kgo.SeedBrokers; Group ->
// kgo.ConsumerGroup; Topic -> kgo.ConsumeTopics; SessionTimeout ->
// kgo.SessionTimeout and kgo.RebalanceTimeout (as kafka-go's driver does);
// HeartbeatInterval -> kgo.HeartbeatInterval; a group without commits
// starts at the earliest offset (kgo.ConsumeResetOffset(AtStart)); Net ->
// kgo.Dialer / kgo.SASL as for the producer (the runner's fault switch
// arrives as Net.Dial, so a crash or stall is real at the socket level);
// fetches wait at most 100ms (kgo.FetchMaxWait), like kafka-go's MaxWait.
//
// Commit modes:
//   - auto: kgo's autocommit every AutoCommitInterval (kgo.AutoCommitInterval,
//     default 200ms), which commits what earlier polls returned, like the
//     Java client's enable.auto.commit; on revocation and Close everything
//     handled is committed (kgo.CommitUncommittedOffsets).
//   - after-process: autocommit of marks only (kgo.AutoCommitMarks, every
//     AutoCommitInterval); each record is marked (kgo.MarkCommitRecords)
//     once its handler returned; marks are committed on revocation and
//     Close (kgo.CommitMarkedOffsets): at-least-once.
//   - before-process: kgo.DisableAutoCommit; each polled batch (at most
//     franzGoMaxPoll records) is committed synchronously
//     (kgo.CommitRecords) before any of it is handled: at-most-once. A
//     batch whose commit fails (the member lost its partitions) is not
//     handled; its new owner gets it from the last commit.
//   - transactional: a kgo.GroupTransactSession (transactional id
//     "kbench-<group>-<instance>-<random>"); each polled batch is one
//     transaction: Begin, handle every record, End(TryCommit), which
//     commits the batch's offsets inside the transaction (TxnOffsetCommit,
//     fenced by the group generation, KIP-447) or aborts when the member
//     lost partitions meanwhile. The offsets commit atomically and exactly
//     once; the handler itself is not transactional, so a batch handled
//     by a member that crashes before End, or whose End aborts, is handled
//     again by the next owner (duplicates at the handler, never loss).
//     Fetches read committed data only (kgo.ReadCommitted). With Output
//     set, this is consume-transform-produce: for every record the handler
//     processed successfully the member produces one record to Output
//     (same partition number, same key, the same kbench header, an 8-byte
//     value: the input offset) inside the batch's transaction, so the
//     output and the input offsets commit together or not at all, and a
//     read_committed reader of Output sees every input exactly once. A
//     transaction's batch is sized by the handler's speed (at most what it
//     processes in franzGoTxnBudget, at most franzGoMaxPoll records) and
//     its timeout is franzGoTxnTimeout. When Run ends mid-batch (its ctx
//     ends: a crash or an interruption) the transaction is abandoned, not
//     aborted: a crashed member cannot reach the broker, which aborts the
//     transaction when its timeout passes; until then it holds back
//     read_committed readers of Output (and, if its offsets were already
//     sent, the next owner's offset fetch), never anyone's progress on
//     partitions it did not write.
//
// Every mode polls with kgo.BlockRebalanceOnPoll and allows rebalancing
// between batches, so revocations never split a batch. Rebalances counts
// every generation this member joins, the first included
// (kgo.OnPartitionsAssigned runs once per completed join and sync, even
// with nothing new assigned), like kafka-go's Reader statistics.
func NewFranzGoConsumer(c ConsumerConfig) (Consumer, error) {
	id := "kbench-" + c.Group + "-" + strconv.Itoa(c.Instance)
	if c.AutoCommitInterval <= 0 {
		c.AutoCommitInterval = 200 * time.Millisecond
	}
	mode := c.Commit
	if mode == "" {
		mode = "after-process"
	}
	netOpts, err := franzGoNetOpts(c.Net)
	if err != nil {
		return nil, err
	}
	if c.Output != "" && mode != "transactional" {
		return nil, fmt.Errorf("an output topic needs commit transactional, not %q", mode)
	}
	maxPoll := c.MaxPollRecords
	if maxPoll <= 0 {
		maxPoll = franzGoMaxPoll
	}
	balancer, err := franzGoBalancer(c.Assignor)
	if err != nil {
		return nil, err
	}
	k := &franzGoConsumer{mode: mode, output: c.Output, maxPoll: maxPoll, onPoll: c.onPoll}
	k.quit, k.quitCancel = context.WithCancel(context.Background())
	opts := []kgo.Opt{
		kgo.SeedBrokers(c.Brokers...),
		kgo.ClientID(id),
		kgo.ConsumerGroup(c.Group),
		kgo.ConsumeTopics(c.Topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(100 * time.Millisecond),
		kgo.MetadataMinAge(250 * time.Millisecond),
		kgo.BlockRebalanceOnPoll(),
		kgo.Balancers(balancer),
		kgo.OnPartitionsAssigned(func(_ context.Context, _ *kgo.Client, m map[string][]int32) {
			k.own(m, true)
			k.rebalances.Add(1)
		}),
		kgo.OnPartitionsRevoked(k.revoked),
		kgo.OnPartitionsLost(func(_ context.Context, _ *kgo.Client, m map[string][]int32) { k.own(m, false) }),
	}
	if c.SessionTimeout > 0 {
		opts = append(opts, kgo.SessionTimeout(c.SessionTimeout), kgo.RebalanceTimeout(c.SessionTimeout))
	}
	if c.MaxPollInterval > 0 {
		// As in the Java client, a rebalance waits for members to
		// return to poll for at most max.poll.interval.
		opts = append(opts, kgo.RebalanceTimeout(c.MaxPollInterval))
	}
	if c.HeartbeatInterval > 0 {
		opts = append(opts, kgo.HeartbeatInterval(c.HeartbeatInterval))
	}
	if c.WatchPartitions {
		// The group leader rebalances when its metadata shows more
		// partitions: keep it fresh.
		opts = append(opts, kgo.MetadataMaxAge(time.Second))
	}
	switch mode {
	case "auto":
		opts = append(opts, kgo.AutoCommitInterval(c.AutoCommitInterval))
	case "after-process":
		opts = append(opts, kgo.AutoCommitMarks(), kgo.AutoCommitInterval(c.AutoCommitInterval))
	case "before-process":
		opts = append(opts, kgo.DisableAutoCommit())
	case "transactional":
		var suffix [4]byte
		_, _ = rand.Read(suffix[:])
		opts = append(opts,
			kgo.TransactionalID(id+"-"+hex.EncodeToString(suffix[:])),
			kgo.TransactionTimeout(franzGoTxnTimeout),
			kgo.FetchIsolationLevel(kgo.ReadCommitted()),
		)
		if c.Output != "" {
			// Output records keep their input's partition number.
			opts = append(opts, kgo.DefaultProduceTopic(c.Output),
				kgo.RecordPartitioner(kgo.ManualPartitioner()))
			k.outs = make([]kgo.Record, 0, maxPoll)
			k.outHdrs = make([]kgo.RecordHeader, maxPoll)
			k.outVals = make([]byte, 8*maxPoll)
		}
	default:
		return nil, fmt.Errorf("commit mode %q is not supported by the franz-go driver (auto, after-process, before-process, transactional)", c.Commit)
	}
	opts = append(opts, netOpts...)
	if mode == "transactional" {
		k.sess, err = kgo.NewGroupTransactSession(opts...)
		if err == nil {
			k.cl = k.sess.Client()
		}
	} else {
		k.cl, err = kgo.NewClient(opts...)
	}
	if err != nil {
		return nil, fmt.Errorf("franz-go consumer: %w", err)
	}
	return k, nil
}

// commitOnRevoke commits what the mode allows when partitions are revoked
// (rebalance or leave). With BlockRebalanceOnPoll this runs between batches,
// so every polled record has been handled.
func (k *franzGoConsumer) commitOnRevoke(ctx context.Context, cl *kgo.Client, _ map[string][]int32) {
	if k.dead.Load() {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, franzGoCommitTimeout)
	defer cancel()
	switch k.mode {
	case "auto":
		if !k.partial.Load() {
			_ = cl.CommitUncommittedOffsets(ctx)
		}
	case "after-process":
		_ = cl.CommitMarkedOffsets(ctx)
	}
}

// revoked commits what the mode allows (commitOnRevoke), then gives the
// partitions up.
func (k *franzGoConsumer) revoked(ctx context.Context, cl *kgo.Client, m map[string][]int32) {
	k.commitOnRevoke(ctx, cl, m)
	k.own(m, false)
}

// own records partitions assigned (held) or revoked or lost (not held).
func (k *franzGoConsumer) own(m map[string][]int32, held bool) {
	k.ownMu.Lock()
	defer k.ownMu.Unlock()
	if k.owned == nil {
		k.owned = map[int32]bool{}
	}
	for _, ps := range m {
		for _, p := range ps {
			if held {
				k.owned[p] = true
			} else {
				delete(k.owned, p)
			}
		}
	}
}

func (k *franzGoConsumer) Assigned() []int {
	k.ownMu.Lock()
	defer k.ownMu.Unlock()
	out := make([]int, 0, len(k.owned))
	for p := range k.owned {
		out = append(out, int(p))
	}
	slices.Sort(out)
	return out
}

func (k *franzGoConsumer) allowRebalance() {
	if k.sess != nil {
		k.sess.AllowRebalance()
	} else {
		k.cl.AllowRebalance()
	}
}

func (k *franzGoConsumer) poll(ctx context.Context) kgo.Fetches {
	if k.sess != nil {
		n := k.maxPoll
		if k.perRec > 0 {
			n = int(min(max(float64(franzGoTxnBudget)/k.perRec, 1), float64(k.maxPoll)))
		}
		return k.sess.PollRecords(ctx, n)
	}
	return k.cl.PollRecords(ctx, k.maxPoll)
}

// produceOutput hands the output record of r (processed) to the open
// transaction. Its failure fails the transaction: End then aborts it.
func (k *franzGoConsumer) produceOutput(r *kgo.Record, hdr []byte) {
	i := len(k.outs)
	if i == cap(k.outs) { // cannot happen: a batch is at most franzGoMaxPoll
		return
	}
	v := k.outVals[8*i : 8*i+8 : 8*i+8]
	binary.BigEndian.PutUint64(v, uint64(r.Offset))
	k.outHdrs[i] = kgo.RecordHeader{Key: wire.HeaderKey, Value: hdr}
	k.outs = append(k.outs, kgo.Record{
		Key:       r.Key,
		Value:     v,
		Headers:   k.outHdrs[i : i+1 : i+1],
		Partition: r.Partition,
	})
	k.sess.Produce(context.Background(), &k.outs[i], nil)
}

// Run polls and handles batches until ctx ends or Close is called (then
// it finishes the batch in hand first). Fetch errors are not fatal: kgo
// retries fetching by itself and reports them only for information.
func (k *franzGoConsumer) Run(ctx context.Context, h Handler) error {
	k.mu.Lock()
	if k.closing || k.running != nil {
		k.mu.Unlock()
		return nil
	}
	done := make(chan struct{})
	k.running = done
	k.mu.Unlock()
	defer close(done)
	defer k.allowRebalance()

	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stop := context.AfterFunc(k.quit, cancel)
	defer stop()

	var m Message
	mk := marker{cl: k.cl}
	for {
		k.allowRebalance()
		fs := k.poll(pctx)
		if pctx.Err() != nil || fs.IsClientClosed() {
			if !fs.Empty() {
				k.partial.Store(true)
			}
			return nil
		}
		recs := fs.Records()
		if k.onPoll != nil {
			k.onPoll()
		}
		if len(recs) == 0 {
			if len(fs.Errors()) > 0 { // errors only: don't spin
				t := time.NewTimer(50 * time.Millisecond)
				select {
				case <-pctx.Done():
				case <-t.C:
				}
				t.Stop()
			}
			continue
		}
		switch k.mode {
		case "before-process":
			if err := k.cl.CommitRecords(pctx, recs...); err != nil {
				if pctx.Err() != nil {
					return nil
				}
				continue // not ours any more: the new owner handles it
			}
		case "transactional":
			if err := k.sess.Begin(); err != nil {
				return fmt.Errorf("franz-go consumer: begin transaction: %w", err)
			}
			k.outs = k.outs[:0]
		}
		k.partial.Store(true)
		began := time.Now()
		for _, r := range recs {
			if ctx.Err() != nil { // not Close: that lets the batch finish
				// A transaction in hand is abandoned (see
				// NewFranzGoConsumer): the broker aborts it.
				mk.flush(m.At)
				return nil
			}
			m = Message{Partition: int(r.Partition), Offset: r.Offset, Key: r.Key, Value: r.Value, At: time.Now()}
			for i := range r.Headers {
				if r.Headers[i].Key == wire.HeaderKey {
					m.Header = r.Headers[i].Value
					break
				}
			}
			if err := h(&m); err != nil {
				mk.flush(m.At)
				// A member out of its poll interval is alive: Close
				// commits what it processed and leaves the group.
				if !errors.Is(err, errEvicted) {
					k.dead.Store(true)
				}
				return err
			}
			switch {
			case k.mode == "after-process":
				mk.handled(r, m.At)
			case k.output != "":
				k.produceOutput(r, m.Header)
			}
		}
		mk.flush(m.At)
		k.partial.Store(false)
		if k.mode == "transactional" {
			per := float64(time.Since(began)) / float64(len(recs))
			if k.perRec == 0 {
				k.perRec = per
			} else {
				k.perRec = 0.7*k.perRec + 0.3*per
			}
			// Bounded by Run's ctx, not by Close (which lets the batch
			// commit): a crash or interruption abandons the transaction.
			ectx, ecancel := context.WithTimeout(ctx, franzGoEndTimeout)
			_, err := k.sess.End(ectx, kgo.TryCommit)
			ecancel()
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return fmt.Errorf("franz-go consumer: end transaction: %w", err)
			}
		}
	}
}

// markEvery bounds how long a handled record waits to be marked for
// commit (after-process): far below the autocommit interval, so marks
// reach the broker as soon as with a mark per record.
const markEvery = time.Millisecond

// marker marks handled records for commit (after-process) in few calls:
// kgo's MarkCommitRecords sorts its arguments and takes the group's lock
// on every call, a fifth of an unthrottled consumer's CPU when made per
// record. A mark is a partition's next offset, so marking the last record
// handled of each run of one partition's records is the same as marking
// every one; the marker does that, and at least every markEvery.
type marker struct {
	cl   *kgo.Client
	last *kgo.Record // handled, not yet marked
	at   time.Time   // of the last flush
}

// handled notes r handled at now.
func (mk *marker) handled(r *kgo.Record, now time.Time) {
	if l := mk.last; l != nil && (l.Partition != r.Partition || l.Topic != r.Topic) {
		mk.cl.MarkCommitRecords(l)
	}
	mk.last = r
	if now.Sub(mk.at) >= markEvery {
		mk.flush(now)
	}
}

// flush marks what was handled and not marked yet.
func (mk *marker) flush(now time.Time) {
	if mk.last != nil {
		mk.cl.MarkCommitRecords(mk.last)
		mk.last = nil
	}
	mk.at = now
}

// Close stops Run (after the batch in hand), commits what the mode allows
// and leaves the group, all bounded. A member whose handler failed (a
// crash) commits nothing and does not wait to leave: its sockets are gone,
// and the group notices by session timeout.
func (k *franzGoConsumer) Close() error {
	k.closeOnce.Do(func() {
		k.mu.Lock()
		k.closing = true
		running := k.running
		k.mu.Unlock()
		k.quitCancel()
		if running != nil {
			t := time.NewTimer(30 * time.Second)
			select {
			case <-running:
			case <-t.C:
			}
			t.Stop()
		}
		ctx, cancel := context.WithTimeout(context.Background(), franzGoCommitTimeout)
		defer cancel()
		if k.dead.Load() {
			cancel() // no commit, no waiting on LeaveGroup
		} else {
			switch k.mode {
			case "auto":
				if !k.partial.Load() {
					k.closeErr = k.cl.CommitUncommittedOffsets(ctx)
				}
			case "after-process":
				k.closeErr = k.cl.CommitMarkedOffsets(ctx)
			}
		}
		if err := k.cl.LeaveGroupContext(ctx); err != nil && k.closeErr == nil && !k.dead.Load() && !errors.Is(err, context.DeadlineExceeded) {
			k.closeErr = err
		}
		if k.sess != nil {
			k.sess.Close()
		} else {
			k.cl.Close()
		}
	})
	return k.closeErr
}

func (k *franzGoConsumer) Rebalances() int64 { return k.rebalances.Load() }

// franzGoBalancer maps an assignor name to kgo's group balancer ("": kgo's
// default, cooperative-sticky).
func franzGoBalancer(name string) (kgo.GroupBalancer, error) {
	switch name {
	case AssignRange:
		return kgo.RangeBalancer(), nil
	case AssignRoundRobin:
		return kgo.RoundRobinBalancer(), nil
	case AssignSticky:
		return kgo.StickyBalancer(), nil
	case AssignCooperativeSticky, "":
		return kgo.CooperativeStickyBalancer(), nil
	}
	return nil, CheckAssignor(FranzGo, name)
}
