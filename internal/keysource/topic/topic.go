// Package topic reads the keys of an existing Kafka topic for `kbench
// keys --from-topic`, strictly read-only: assigned partitions (no consumer
// group, so no join and no commit), no produce, no topic creation.
package topic

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// ErrNoTopic is returned when the topic does not exist (it is never
// created).
var ErrNoTopic = errors.New("topic does not exist")

// Options bound what is read. Metadata is requested with auto-creation
// off.
type Options struct {
	Brokers []string
	Topic   string
	// Sample stops after this many records (0 = read every partition to
	// the end it had when reading started). Without Since or FromOffset the
	// sample is the newest records, each partition contributing in
	// proportion to its size, so the sample's load mirrors the topic's.
	Sample int64
	// Since starts each partition at its first record at or after now -
	// Since (0 = unset).
	Since time.Duration
	// FromOffset starts every partition at this offset, clamped to what the
	// partition holds (-1 = unset).
	FromOffset int64
	// Idle stops reading when no record arrived for this long although
	// some partition is short of its end (transaction markers and
	// compacted-away records have offsets but no record). Default 5s.
	Idle time.Duration
	// Extra kgo options (SASL, TLS).
	Extra []kgo.Opt
	// Progress, when set, is called about once a second with the records
	// read so far.
	Progress func(read int64)
}

// Info is what Open and Read found.
type Info struct {
	Topic      string
	Partitions int
	// Start (log start) and End (high watermark) offsets per partition when
	// reading started: End - Start is the partition's load by offsets.
	Start, End []int64
	// From: where reading started per partition; Read: records read.
	From, Read []int64
	// Keyless records read (no key, or an empty one).
	Keyless int64
	// StoppedBy: "end" (every partition read to its end), "sample",
	// "idle" or "interrupted".
	StoppedBy string
}

// Records read in all.
func (t *Info) Records() int64 {
	var n int64
	for _, r := range t.Read {
		n += r
	}
	return n
}

// Topic is an existing topic opened for reading keys.
type Topic struct {
	// Info: partitions and offsets when the topic was opened; Read fills
	// in what was read.
	Info    Info
	opt     Options
	adminCl *kgo.Client
	base    []kgo.Opt
}

// Open finds opt.Topic (ErrNoTopic when it does not exist), its
// partitions, their offsets, and where reading will start.
func Open(ctx context.Context, opt Options) (*Topic, error) {
	if opt.Idle <= 0 {
		opt.Idle = 5 * time.Second
	}
	t := &Topic{Info: Info{Topic: opt.Topic}, opt: opt}
	t.base = append([]kgo.Opt{
		kgo.SeedBrokers(opt.Brokers...),
		kgo.DialTimeout(5 * time.Second),
		kgo.RequestRetries(2),
		kgo.RetryTimeout(10 * time.Second),
	}, opt.Extra...)
	cl, err := kgo.NewClient(t.base...)
	if err != nil {
		return nil, err
	}
	t.adminCl = cl
	if err := locate(ctx, kadm.NewClient(cl), opt, &t.Info); err != nil {
		cl.Close()
		return nil, err
	}
	return t, nil
}

// Close releases the connections.
func (t *Topic) Close() { t.adminCl.Close() }

// Read reads the keys and calls fn for every record (key empty when
// keyless; valid only during the call) with its partition. A cancelled ctx
// stops it with what was read (StoppedBy "interrupted"), not an error.
func (t *Topic) Read(ctx context.Context, fn func(key []byte, partition int)) error {
	info := &t.Info
	assign := map[int32]kgo.Offset{}
	for p := range info.Partitions {
		if info.From[p] < info.End[p] {
			assign[int32(p)] = kgo.NewOffset().At(info.From[p])
		}
	}
	info.StoppedBy = "end"
	if len(assign) == 0 {
		return nil
	}
	cl, err := kgo.NewClient(append(t.base,
		kgo.ConsumePartitions(map[string]map[int32]kgo.Offset{t.opt.Topic: assign}),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(500*time.Millisecond),
	)...)
	if err != nil {
		return err
	}
	defer cl.Close()
	return consume(ctx, cl, t.opt, info, len(assign), fn)
}

// locate fills the partition count, offsets and starting points.
func locate(ctx context.Context, adm *kadm.Client, opt Options, info *Info) error {
	md, err := adm.Metadata(ctx, opt.Topic)
	if err != nil {
		return fmt.Errorf("metadata of %q: %w", opt.Topic, err)
	}
	td, ok := md.Topics[opt.Topic]
	if !ok || errors.Is(td.Err, kerr.UnknownTopicOrPartition) || len(td.Partitions) == 0 {
		return fmt.Errorf("%q: %w", opt.Topic, ErrNoTopic)
	}
	if td.Err != nil {
		return fmt.Errorf("metadata of %q: %w", opt.Topic, td.Err)
	}
	n := len(td.Partitions)
	info.Partitions = n
	if info.Start, err = listed(adm.ListStartOffsets(ctx, opt.Topic))(opt.Topic, n); err != nil {
		return fmt.Errorf("start offsets of %q: %w", opt.Topic, err)
	}
	if info.End, err = listed(adm.ListEndOffsets(ctx, opt.Topic))(opt.Topic, n); err != nil {
		return fmt.Errorf("end offsets of %q: %w", opt.Topic, err)
	}
	info.Read = make([]int64, n)
	info.From = startPoints(info.Start, info.End, opt.Sample)
	switch {
	case opt.FromOffset >= 0:
		for p := range info.From {
			info.From[p] = min(max(opt.FromOffset, info.Start[p]), info.End[p])
		}
	case opt.Since > 0:
		at := time.Now().Add(-opt.Since).UnixMilli()
		since, err := listed(adm.ListOffsetsAfterMilli(ctx, at, opt.Topic))(opt.Topic, n)
		if err != nil {
			return fmt.Errorf("offsets of %q since %s: %w", opt.Topic, opt.Since, err)
		}
		for p := range info.From {
			info.From[p] = info.End[p]
			if since[p] >= 0 {
				info.From[p] = min(max(since[p], info.Start[p]), info.End[p])
			}
		}
	}
	return nil
}

// listed flattens a kadm offset listing into a per-partition slice.
func listed(lo kadm.ListedOffsets, err error) func(topic string, n int) ([]int64, error) {
	return func(topic string, n int) ([]int64, error) {
		if err != nil {
			return nil, err
		}
		if err := lo.Error(); err != nil {
			return nil, err
		}
		out := make([]int64, n)
		for p := range out {
			o, ok := lo.Lookup(topic, int32(p))
			if !ok {
				return nil, fmt.Errorf("partition %d: no offset listed", p)
			}
			out[p] = o.Offset
		}
		return out, nil
	}
}

// startPoints: with a sample smaller than the topic, the newest records,
// each partition giving its proportional share; else every record.
func startPoints(start, end []int64, sample int64) []int64 {
	from := append([]int64(nil), start...)
	var total int64
	for p := range start {
		total += end[p] - start[p]
	}
	if sample <= 0 || total <= sample {
		return from
	}
	for p := range start {
		size := end[p] - start[p]
		take := int64(float64(size) * float64(sample) / float64(total))
		from[p] = end[p] - take
	}
	return from
}

// consume polls until every assigned partition reached its end, the
// sample is full, nothing arrives for opt.Idle, or ctx ends.
func consume(ctx context.Context, cl *kgo.Client, opt Options, info *Info, open int, fn func([]byte, int)) error {
	done := make([]bool, info.Partitions)
	var read int64
	lastRecord := time.Now()
	lastProgress := time.Now()
	for open > 0 {
		if opt.Sample > 0 && read >= opt.Sample {
			info.StoppedBy = "sample"
			return nil
		}
		pctx, cancel := context.WithTimeout(ctx, time.Second)
		fs := cl.PollFetches(pctx)
		cancel()
		if ctx.Err() != nil {
			info.StoppedBy = "interrupted"
			return nil
		}
		for _, fe := range fs.Errors() {
			if errors.Is(fe.Err, context.DeadlineExceeded) || errors.Is(fe.Err, context.Canceled) {
				continue
			}
			return fmt.Errorf("reading %s partition %d: %w", fe.Topic, fe.Partition, fe.Err)
		}
		got := false
		fs.EachRecord(func(r *kgo.Record) {
			p := int(r.Partition)
			if done[p] || (opt.Sample > 0 && read >= opt.Sample) {
				return
			}
			got = true
			read++
			info.Read[p]++
			if len(r.Key) == 0 {
				info.Keyless++
			}
			fn(r.Key, p)
			if r.Offset+1 >= info.End[p] {
				done[p] = true
				open--
				cl.PauseFetchPartitions(map[string][]int32{opt.Topic: {r.Partition}})
			}
		})
		now := time.Now()
		if got {
			lastRecord = now
		} else if now.Sub(lastRecord) >= opt.Idle {
			info.StoppedBy = "idle"
			return nil
		}
		if opt.Progress != nil && now.Sub(lastProgress) >= time.Second {
			opt.Progress(read)
			lastProgress = now
		}
	}
	return nil
}
