package driver

import (
	"bytes"
	"context"
	"fmt"
	"github.com/kbench/kbench/internal/clock"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/admin"
	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/internal/faultconn"
	"github.com/kbench/kbench/internal/wire"
)

// These tests run the drivers against the embedded broker over TCP.

const testRunID = 0x6b62656e6368

type testCluster struct {
	emb *broker.Embedded
	adm *admin.Client
}

func startCluster(t testing.TB) *testCluster {
	t.Helper()
	emb, err := broker.Start(broker.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(emb.Close)
	adm, err := admin.New(admin.Options{Brokers: emb.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(adm.Close)
	return &testCluster{emb: emb, adm: adm}
}

func (tc *testCluster) topic(t testing.TB, name string, partitions int) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := tc.adm.CreateTopic(ctx, name, partitions, 1); err != nil {
		t.Fatal(err)
	}
	return name
}

// testRec is one produced record and what its ack reported.
type testRec struct {
	part  int
	key   []byte
	hdr   [wire.Size]byte
	acked int
	off   int64
	err   error
}

// produceAll produces n records with the producer newP builds, placing
// record i on partition (i*7)%partitions, and checks that every record is
// acknowledged exactly once, on its partition, with its token and header,
// and that offsets per partition are 0..count-1. It returns the count per
// partition.
func produceAll(t *testing.T, tc *testCluster, newP func(ProducerConfig) (Producer, error), topic string, partitions, n int, producer uint32) []int64 {
	t.Helper()
	recs := make([]testRec, n)
	var mu sync.Mutex
	var bad []string
	offsets := make([]map[int64]bool, partitions)
	for i := range offsets {
		offsets[i] = map[int64]bool{}
	}
	begin := clock.Now()
	onAck := func(acks []Ack, err error) {
		now := clock.Now()
		mu.Lock()
		defer mu.Unlock()
		for _, a := range acks {
			if a.At < begin || a.At > now {
				bad = append(bad, fmt.Sprintf("ack stamped %d ns after the start, handed over %d ns after it", a.At-begin, now-begin))
			}
			r, ok := a.Token.(*testRec)
			if !ok {
				bad = append(bad, fmt.Sprintf("ack without token: %+v", a))
				continue
			}
			r.acked++
			r.off = a.Offset
			r.err = err
			if a.Partition != r.part {
				bad = append(bad, fmt.Sprintf("ack on partition %d, produced to %d", a.Partition, r.part))
			}
			if !bytes.Equal(a.Header, r.hdr[:]) || !bytes.Equal(a.Key, r.key) {
				bad = append(bad, "ack header or key differs")
			}
			if want := len(r.key) + 10 + wire.Size + len(wire.HeaderKey); a.Bytes != want {
				bad = append(bad, fmt.Sprintf("ack bytes %d, want %d", a.Bytes, want))
			}
			if err == nil {
				if offsets[a.Partition][a.Offset] {
					bad = append(bad, fmt.Sprintf("offset %d/%d acked twice", a.Partition, a.Offset))
				}
				offsets[a.Partition][a.Offset] = true
			}
		}
	}
	p, err := newP(ProducerConfig{
		Brokers: tc.emb.Addrs(), Topic: topic, BatchSize: 100, BatchBytes: 64 << 10,
		Linger: 2 * time.Millisecond, Acks: "all", OnAck: onAck,
	})
	if err != nil {
		t.Fatal(err)
	}
	value := []byte("0123456789")
	ctx := context.Background()
	batch := make([]Record, 0, 256)
	counts := make([]int64, partitions)
	for i := range recs {
		r := &recs[i]
		r.part = (i * 7) % partitions
		counts[r.part]++
		r.key = fmt.Appendf(nil, "key-%d", i%13)
		wire.Put(r.hdr[:], &wire.Header{RunID: testRunID, Producer: producer, Seq: uint64(i), Intended: 1, Sent: 2})
		batch = append(batch, Record{Partition: r.part, Key: r.key, Value: value, Header: r.hdr[:], Token: r})
		if len(batch) == cap(batch) || i == n-1 {
			if err := p.Produce(ctx, batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.Close(cctx); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range bad[:min(len(bad), 5)] {
		t.Error(b)
	}
	for i := range recs {
		if recs[i].acked != 1 || recs[i].err != nil {
			t.Fatalf("record %d: acked %d times, err %v", i, recs[i].acked, recs[i].err)
		}
	}
	for part, c := range counts {
		for o := int64(0); o < c; o++ {
			if !offsets[part][o] {
				t.Fatalf("partition %d: offset %d never acked (%d records)", part, o, c)
			}
		}
	}
	return counts
}

func endOffsets(t *testing.T, tc *testCluster, topic string, partitions int) []int64 {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	end, err := tc.adm.EndOffsets(ctx, topic, partitions)
	if err != nil {
		t.Fatal(err)
	}
	return end
}

// consumeAll runs members consumers of group until every one of the n
// records (seq 0..n-1 of producer) has been handled, then closes them and
// checks the group's commits reached the end of every partition.
func consumeAll(t *testing.T, tc *testCluster, newC func(ConsumerConfig) (Consumer, error), topic, group, commit string, partitions, members, n int, producer uint32) []Consumer {
	t.Helper()
	var mu sync.Mutex
	seen := make([]int, n)
	unique := 0
	done := make(chan struct{})
	var errs []string
	h := func(m *Message) error {
		var hd wire.Header
		if err := wire.Parse(m.Header, &hd); err != nil || hd.RunID != testRunID || hd.Producer != producer {
			mu.Lock()
			errs = append(errs, fmt.Sprintf("p%d@%d: bad kbench header %x", m.Partition, m.Offset, m.Header))
			mu.Unlock()
			return nil
		}
		if want := (int(hd.Seq) * 7) % partitions; m.Partition != want {
			mu.Lock()
			errs = append(errs, fmt.Sprintf("seq %d on partition %d, want %d", hd.Seq, m.Partition, want))
			mu.Unlock()
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[hd.Seq] == 0 {
			unique++
			if unique == n {
				close(done)
			}
		}
		seen[hd.Seq]++
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cs := make([]Consumer, members)
	var wg sync.WaitGroup
	runErrs := make([]error, members)
	for i := range cs {
		c, err := newC(ConsumerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, Group: group, Instance: i, Commit: commit,
			SessionTimeout: 3 * time.Second, HeartbeatInterval: 100 * time.Millisecond,
			AutoCommitInterval: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
		wg.Add(1)
		go func() { defer wg.Done(); runErrs[i] = c.Run(ctx, h) }()
	}
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		mu.Lock()
		t.Errorf("%s: consumed %d of %d", commit, unique, n)
		mu.Unlock()
	}
	if commit == "transactional" {
		// Transactions commit per batch, not at Close; one aborted by a
		// rebalance (members joining one after the other) is consumed and
		// committed again by the partition's next owner. Let that settle.
		waitCommitted(t, tc, topic, group, partitions, 10*time.Second)
	}
	for _, c := range cs {
		if err := c.Close(); err != nil {
			t.Errorf("%s: close: %v", commit, err)
		}
	}
	wg.Wait()
	for i, err := range runErrs {
		if err != nil {
			t.Errorf("%s: member %d: Run: %v", commit, i, err)
		}
	}
	mu.Lock()
	for _, e := range errs[:min(len(errs), 5)] {
		t.Error(e)
	}
	mu.Unlock()
	end := endOffsets(t, tc, topic, partitions)
	cctx, ccancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer ccancel()
	committed, err := tc.adm.Committed(cctx, group, topic, partitions)
	if err != nil {
		t.Fatal(err)
	}
	for p := range end {
		if committed[p] != end[p] {
			t.Errorf("%s: partition %d: committed %d, high watermark %d", commit, p, committed[p], end[p])
		}
	}
	return cs
}

// waitCommitted waits until group has committed every partition's high
// watermark, or the bound passes (the caller's own check then reports it).
func waitCommitted(t *testing.T, tc *testCluster, topic, group string, partitions int, bound time.Duration) {
	t.Helper()
	deadline := time.Now().Add(bound)
	for time.Now().Before(deadline) {
		end := endOffsets(t, tc, topic, partitions)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		committed, err := tc.adm.Committed(ctx, group, topic, partitions)
		cancel()
		if err == nil && slices.Equal(committed, end) {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestFranzGoProducerAcksAndCompression(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	for _, c := range []struct{ acks, comp string }{{"1", "lz4"}, {"0", "zstd"}, {"all", "snappy"}, {"1", "gzip"}} {
		topic := tc.topic(t, "fg-acks-"+c.acks+"-"+c.comp, 3)
		var mu sync.Mutex
		var acked, failed int
		p, err := NewFranzGoProducer(ProducerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, Acks: c.acks, Compression: c.comp,
			OnAck: func(acks []Ack, err error) {
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					failed += len(acks)
				} else {
					acked += len(acks)
				}
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		recs := make([]Record, 300)
		for i := range recs {
			recs[i] = Record{Partition: i % 3, Value: bytes.Repeat([]byte("x"), 100), Header: make([]byte, wire.Size)}
		}
		if err := p.Produce(context.Background(), recs); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := p.Close(ctx); err != nil {
			t.Fatal(err)
		}
		cancel()
		if acked != len(recs) || failed != 0 {
			t.Errorf("acks %s %s: acked %d, failed %d of %d", c.acks, c.comp, acked, failed, len(recs))
		}
		var total int64
		for _, e := range endOffsets(t, tc, topic, 3) {
			total += e
		}
		if total != int64(len(recs)) {
			t.Errorf("acks %s %s: broker has %d records, want %d", c.acks, c.comp, total, len(recs))
		}
	}
	if _, err := NewFranzGoProducer(ProducerConfig{Brokers: tc.emb.Addrs(), Topic: "x", Acks: "2"}); err == nil {
		t.Error("acks 2 accepted")
	}
	if _, err := NewFranzGoProducer(ProducerConfig{Brokers: tc.emb.Addrs(), Topic: "x", Compression: "brotli"}); err == nil {
		t.Error("compression brotli accepted")
	}
}

func TestFranzGoConsumerCommitModes(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	const P, N = 6, 3000
	topic := tc.topic(t, "fg-consume", P)
	produceAll(t, tc, NewFranzGoProducer, topic, P, N, 2)
	for _, mode := range []string{"auto", "after-process", "before-process", "transactional"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			cs := consumeAll(t, tc, NewFranzGoConsumer, topic, "g-"+mode, mode, P, 2, N, 2)
			var most int64
			for _, c := range cs {
				most = max(most, c.Rebalances())
			}
			if most < 1 {
				t.Errorf("no member counted its first join")
			}
		})
	}
}

func TestFranzGoConsumerRejectsUnknownCommit(t *testing.T) {
	if _, err := NewFranzGoConsumer(ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Group: "g", Commit: "sometimes"}); err == nil {
		t.Error("commit sometimes accepted")
	}
}

// TestFranzGoConsumerRebalances: every generation a member joins counts,
// the first included, so the runner's "max over members minus one" is the
// group's count of generation changes.
func TestFranzGoConsumerRebalances(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	topic := tc.topic(t, "fg-rebalance", 4)
	newMember := func(i int) Consumer {
		c, err := NewFranzGoConsumer(ConsumerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, Group: "rb", Instance: i, Commit: "after-process",
			SessionTimeout: 2 * time.Second, HeartbeatInterval: 100 * time.Millisecond,
		})
		if err != nil {
			t.Fatal(err)
		}
		go func() { _ = c.Run(context.Background(), func(*Message) error { return nil }) }()
		return c
	}
	waitFor := func(what string, cond func() bool) {
		t.Helper()
		for deadline := time.Now().Add(8 * time.Second); !cond(); {
			if time.Now().After(deadline) {
				t.Fatalf("timed out waiting for %s", what)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	a := newMember(0)
	defer a.Close()
	waitFor("a's first join", func() bool { return a.Rebalances() >= 1 })
	b := newMember(1)
	waitFor("b's join", func() bool { return b.Rebalances() >= 1 && a.Rebalances() >= 2 })
	before := a.Rebalances()
	if err := b.Close(); err != nil {
		t.Fatal(err)
	}
	waitFor("the rebalance after b left", func() bool { return a.Rebalances() > before })
	if b.Rebalances() > a.Rebalances() {
		t.Errorf("b counted %d generations, a %d", b.Rebalances(), a.Rebalances())
	}
}

// TestDriverInterop: what one driver produces, the other consumes, header
// and placement intact.
func TestDriverInterop(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	const P, N = 4, 2000
	t.Run("kafka-go to franz-go", func(t *testing.T) {
		t.Parallel()
		topic := tc.topic(t, "kg-to-fg", P)
		produceAll(t, tc, NewKafkaGoProducer, topic, P, N, 3)
		consumeAll(t, tc, NewFranzGoConsumer, topic, "fg-reader", "after-process", P, 1, N, 3)
	})
	t.Run("franz-go to kafka-go", func(t *testing.T) {
		t.Parallel()
		topic := tc.topic(t, "fg-to-kg", P)
		produceAll(t, tc, NewFranzGoProducer, topic, P, N, 4)
		consumeAll(t, tc, NewKafkaGoConsumer, topic, "kg-reader", "after-process", P, 1, N, 4)
	})
}

// TestFranzGoConsumerDialsThroughNet: the consumer's connections go through
// Net.Dial, so severing the fault switch cuts it off, and Close after a
// crash (handler error) returns promptly without leaving the group.
func TestFranzGoConsumerDialsThroughNet(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	topic := tc.topic(t, "fg-crash", 2)
	produceAll(t, tc, NewFranzGoProducer, topic, 2, 200, 5)
	sw := &faultconn.Switch{}
	c, err := NewFranzGoConsumer(ConsumerConfig{
		Brokers: tc.emb.Addrs(), Topic: topic, Group: "crash", Commit: "after-process",
		SessionTimeout: 2 * time.Second, HeartbeatInterval: 100 * time.Millisecond,
		Net: Net{Dial: sw.DialFunc},
	})
	if err != nil {
		t.Fatal(err)
	}
	crashed := make(chan struct{})
	var once sync.Once
	var handled int
	errCrash := fmt.Errorf("crashed")
	runErr := make(chan error, 1)
	go func() {
		runErr <- c.Run(context.Background(), func(*Message) error {
			handled++
			if handled == 50 {
				once.Do(func() { close(crashed) })
			}
			if handled >= 50 {
				<-crashed
				return errCrash
			}
			return nil
		})
	}()
	select {
	case <-crashed:
	case <-time.After(10 * time.Second):
		t.Fatal("consumer never handled 50 messages")
	}
	if sw.Conns() == 0 {
		t.Fatal("no connection went through Net.Dial")
	}
	sw.Sever()
	if err := <-runErr; err != errCrash {
		t.Fatalf("Run returned %v, want the handler's error", err)
	}
	start := time.Now()
	_ = c.Close()
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("Close after a crash took %v", d)
	}
	// Nothing was committed after the sever: at most what autocommit had
	// flushed before, never the crash batch's tail.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	committed, err := tc.adm.Committed(ctx, "crash", topic, 2)
	if err != nil {
		t.Fatal(err)
	}
	if committed[0]+committed[1] >= 200 {
		t.Errorf("crashed member committed everything: %v", committed)
	}
}

// TestFranzGoTransactionalOutput: consume-transform-produce. Two
// transactional members write one output record per processed input; one
// crashes in the middle of a batch (its sockets severed as the runner's
// consumer-crash does), abandoning a transaction that already holds output
// records. A read_committed reader of the output then sees every input
// exactly once, while a read_uncommitted one sees the abandoned records too.
func TestFranzGoTransactionalOutput(t *testing.T) {
	t.Parallel()
	start := time.Now()
	tc := startCluster(t)
	const P, N, crashAt = 4, 2000, 300
	topic := tc.topic(t, "fg-eos-in", P)
	out := tc.topic(t, "fg-eos-out", P)
	produceAll(t, tc, NewFranzGoProducer, topic, P, N, 6)

	var mu sync.Mutex
	processed := make([]int, N)
	var handledA int
	errCrash := fmt.Errorf("crashed")
	crashed := make(chan struct{})
	sws := []*faultconn.Switch{{}, {}}
	members := make([]Consumer, 2)
	ctxs := make([]context.CancelFunc, 2)
	runErrs := make([]chan error, 2)
	for i := range members {
		c, err := NewFranzGoConsumer(ConsumerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, Group: "eos", Instance: i, Commit: "transactional",
			Output: out, SessionTimeout: time.Second, HeartbeatInterval: 100 * time.Millisecond,
			Net: Net{Dial: sws[i].DialFunc},
		})
		if err != nil {
			t.Fatal(err)
		}
		members[i] = c
		ctx, cancel := context.WithCancel(context.Background())
		ctxs[i] = cancel
		runErrs[i] = make(chan error, 1)
		go func() {
			runErrs[i] <- c.Run(ctx, func(m *Message) error {
				time.Sleep(time.Millisecond) // batches build up behind the handler
				var hd wire.Header
				if err := wire.Parse(m.Header, &hd); err != nil || hd.Seq >= N {
					return fmt.Errorf("bad header %x", m.Header)
				}
				mu.Lock()
				defer mu.Unlock()
				if i == 0 {
					if handledA == crashAt {
						close(crashed)
					}
					if handledA >= crashAt {
						return errCrash // the message in hand is not processed
					}
					handledA++
				}
				processed[hd.Seq]++
				return nil
			})
		}()
	}
	defer func() {
		for i, c := range members {
			ctxs[i]()
			_ = c.Close()
		}
	}()
	select {
	case <-crashed:
	case <-time.After(15 * time.Second):
		t.Fatal("member 0 never reached the crash")
	}
	// The runner's crash: silence first, then the member stops and closes.
	sws[0].Sever()
	if err := <-runErrs[0]; err != errCrash {
		t.Fatalf("crashed member: Run returned %v", err)
	}
	ctxs[0]()
	closed := time.Now()
	_ = members[0].Close()
	if d := time.Since(closed); d > 3*time.Second {
		t.Errorf("Close after a crash took %v", d)
	}

	// read_committed: every input exactly once, on its partition, with its
	// key and header.
	seen, total := readOutput(t, tc, out, P, N, kgo.ReadCommitted(), 20*time.Second)
	var missing, dups int
	for seq, n := range seen {
		switch {
		case n == 0:
			missing++
			if missing <= 3 {
				t.Errorf("seq %d missing from the committed output", seq)
			}
		case n > 1:
			dups++
		}
	}
	if missing != 0 || dups != 0 || total != N {
		t.Errorf("committed output: %d records, %d inputs missing, %d duplicated; want each of %d once", total, missing, dups, N)
	}
	mu.Lock()
	var reprocessed int
	for _, n := range processed {
		reprocessed += max(n-1, 0)
	}
	mu.Unlock()
	// The crashed member's open transaction held output records that were
	// aborted: a read_uncommitted reader sees them, the handler processed
	// their inputs again on the next owner.
	_, all := readOutput(t, tc, out, P, N, kgo.ReadUncommitted(), 5*time.Second)
	if all <= N || reprocessed == 0 {
		t.Errorf("read_uncommitted output has %d records for %d inputs, %d processed twice: want the crashed member's aborted records", all, N, reprocessed)
	}
	t.Logf("committed %d, uncommitted %d, reprocessed %d, in %v", total, all, reprocessed, time.Since(start).Round(time.Millisecond))
}

// readOutput reads every partition of topic from the start at isolation
// level iso until it has reached each partition's end offset (control
// records included), and returns how often each input seq appeared and how
// many data records there were. Records must carry their input's key
// (key-<seq%13>) on partition (seq*7)%partitions.
func readOutput(t *testing.T, tc *testCluster, topic string, partitions, n int, iso kgo.IsolationLevel, bound time.Duration) ([]int, int) {
	t.Helper()
	offs := map[string]map[int32]kgo.Offset{topic: {}}
	for p := range partitions {
		offs[topic][int32(p)] = kgo.NewOffset().AtStart()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(tc.emb.Addrs()...), kgo.ConsumePartitions(offs),
		kgo.FetchIsolationLevel(iso), kgo.KeepControlRecords(), kgo.FetchMaxWait(100*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	seen := make([]int, n)
	next := make([]int64, partitions)
	total := 0
	deadline := time.Now().Add(bound)
	for {
		end := endOffsets(t, tc, topic, partitions)
		if slices.Equal(next, end) {
			return seen, total
		}
		if time.Now().After(deadline) {
			t.Errorf("reading %s: at %v of %v after %v", topic, next, end, bound)
			return seen, total
		}
		ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachRecord(func(r *kgo.Record) {
			next[r.Partition] = r.Offset + 1
			if r.Attrs.IsControl() {
				return
			}
			total++
			var hd wire.Header
			if len(r.Headers) != 1 || wire.Parse(r.Headers[0].Value, &hd) != nil || hd.Seq >= uint64(n) {
				t.Errorf("output %d@%d: bad kbench header", r.Partition, r.Offset)
				return
			}
			if want := int32((int(hd.Seq) * 7) % partitions); r.Partition != want || string(r.Key) != fmt.Sprintf("key-%d", hd.Seq%13) {
				t.Errorf("output of seq %d on partition %d key %q", hd.Seq, r.Partition, r.Key)
			}
			seen[hd.Seq]++
		})
	}
}

// The franz-go producer hands acknowledgements over in batches, each
// stamped when its record completed, and does not hold a lone one back
// until Close: it arrives on its own within the hand-over delay.
func TestFranzGoAcksBatchedAndHandedOver(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	topic := tc.topic(t, "fg-ack-batches", 3)
	var mu sync.Mutex
	calls, acked := 0, 0
	var late []string
	p, err := NewFranzGoProducer(ProducerConfig{
		Brokers: tc.emb.Addrs(), Topic: topic, BatchSize: 1000, Linger: 5 * time.Millisecond, Acks: "all",
		OnAck: func(acks []Ack, err error) {
			now := clock.Now()
			mu.Lock()
			defer mu.Unlock()
			calls++
			acked += len(acks)
			for _, a := range acks {
				if err != nil || a.At == 0 || a.At > now {
					late = append(late, fmt.Sprintf("err %v, stamped %d, handed over %d", err, a.At, now))
				}
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = p.Close(ctx)
	}()
	waitAcked := func(n int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		for {
			mu.Lock()
			a := acked
			mu.Unlock()
			if a >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d of %d acknowledged without Close", a, n)
			}
			time.Sleep(time.Millisecond)
		}
	}
	hdr := make([]byte, wire.Size)
	ctx := context.Background()
	if err := p.Produce(ctx, []Record{{Partition: 1, Key: []byte("k"), Value: []byte("v"), Header: hdr}}); err != nil {
		t.Fatal(err)
	}
	waitAcked(1)
	const n = 3000
	recs := make([]Record, 250)
	for i := range recs {
		recs[i] = Record{Partition: i % 3, Key: []byte("k"), Value: []byte("value"), Header: hdr}
	}
	for sent := 0; sent < n; sent += len(recs) {
		if err := p.Produce(ctx, recs); err != nil {
			t.Fatal(err)
		}
	}
	waitAcked(n + 1)
	mu.Lock()
	defer mu.Unlock()
	if acked != n+1 {
		t.Errorf("%d acknowledgements for %d records", acked, n+1)
	}
	if calls > (n+1)/4 {
		t.Errorf("%d hand-overs for %d records: not batched", calls, n+1)
	}
	for _, l := range late[:min(len(late), 3)] {
		t.Error(l)
	}
}

// The franz-go producer reads the clock for acknowledgements at most once
// per produce response, never reusing a stamp from before a response: the
// acks of a round produced after a pause are all stamped after the pause
// began, whatever the acks setting (acks=0 has no response: each record
// reads the clock).
func TestFranzGoAckStampedPerResponse(t *testing.T) {
	t.Parallel()
	tc := startCluster(t)
	for _, acks := range []string{"all", "1", "0"} {
		topic := tc.topic(t, "fg-ack-stamps-"+acks, 3)
		var mu sync.Mutex
		var got []Ack
		var bad []string
		p, err := NewFranzGoProducer(ProducerConfig{
			Brokers: tc.emb.Addrs(), Topic: topic, BatchSize: 1000, Linger: 5 * time.Millisecond, Acks: acks,
			OnAck: func(acks []Ack, err error) {
				now := clock.Now()
				mu.Lock()
				defer mu.Unlock()
				for _, a := range acks {
					if err != nil || a.At > now {
						bad = append(bad, fmt.Sprintf("err %v, stamped %d ns after its hand-over", err, a.At-now))
					}
				}
				got = append(got, acks...)
			},
		})
		if err != nil {
			t.Fatal(err)
		}
		hdr := make([]byte, wire.Size)
		recs := make([]Record, 600)
		for i := range recs {
			recs[i] = Record{Partition: i % 3, Key: []byte("k"), Value: []byte("value"), Header: hdr}
		}
		round := func() (from int64, out []Ack) {
			from = clock.Now()
			mu.Lock()
			start := len(got)
			mu.Unlock()
			if err := p.Produce(context.Background(), recs); err != nil {
				t.Fatal(err)
			}
			deadline := time.Now().Add(20 * time.Second)
			for {
				mu.Lock()
				n := len(got) - start
				if n >= len(recs) {
					out = append([]Ack(nil), got[start:]...)
					mu.Unlock()
					return from, out
				}
				mu.Unlock()
				if time.Now().After(deadline) {
					t.Fatalf("acks=%s: %d of %d acknowledged", acks, n, len(recs))
				}
				time.Sleep(time.Millisecond)
			}
		}
		round()
		time.Sleep(30 * time.Millisecond) // the next responses come well after the last stamp
		from, second := round()
		distinct := map[int64]bool{}
		for _, a := range second {
			if a.At < from {
				t.Errorf("acks=%s: an ack of the second round stamped %s before the round began", acks, time.Duration(from-a.At))
				break
			}
			distinct[a.At] = true
		}
		if acks != "0" && len(distinct) > len(second)/2 {
			t.Errorf("acks=%s: %d distinct stamps for %d acks: the clock is read per record, not per response", acks, len(distinct), len(second))
		}
		for _, l := range bad[:min(len(bad), 3)] {
			t.Error(l)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_ = p.Close(ctx)
		cancel()
	}
}
