package traffic

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/kbench/kbench/internal/keysource"
	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/pace"
)

// Source is one producer's message pipeline: it generates an event, keys
// it with the experiment's strategy and places it with its partitioner,
// reusing its buffers (Next allocates nothing). The runner and `kbench keys`
// both draw every message from a Source, so for the same experiment, seed,
// producer index and intended times they see the same keys and partitions.
// Not safe for concurrent use.
type Source struct {
	gen        *Generator
	strategy   keying.Strategy
	part       keying.Partitioner
	entity     keying.EntityFunc
	partitions int
	ev         keying.Event
	key        []byte
	ent        []byte
	entOK      bool
	replay     *replay
}

// replay draws keys from a real key distribution (workload.traffic.keys).
type replay struct {
	keys []string
	pick alias
	rng  *rand.PCG
}

// NewSource builds producer `producer` (0-based) of `producers`. Its seeds
// derive from exp.Seed and the producer index, so producers draw different
// but reproducible streams. Zero-valued fields take the SPEC defaults
// (partitions 6, strategy path, partitioner murmur2, order_by service, ...).
func NewSource(exp *workloads.Experiment, producer, producers int) (*Source, error) {
	if producers < 1 || producer < 0 || producer >= producers {
		return nil, fmt.Errorf("traffic: producer %d of %d", producer, producers)
	}
	k := exp.Workload.Keying
	base := exp.Seed
	gen, err := New(exp.Workload.Traffic, int64(keying.DeriveSeed(base, uint64(producer), 1)))
	if err != nil {
		return nil, err
	}
	strategy, err := keying.NewStrategy(keying.StrategyConfig{Name: k.Strategy, Fields: k.Fields, Salts: k.Salts}, int64(keying.DeriveSeed(base, uint64(producer), 2)))
	if err != nil {
		return nil, fmt.Errorf("workload.keying: %w", err)
	}
	part, err := keying.NewPartitioner(k.Partitioner, keying.PartitionerOptions{
		BatchSize: exp.Producer.BatchSize,
		Seed:      int64(keying.DeriveSeed(base, uint64(producer), 3)),
	})
	if err != nil {
		return nil, fmt.Errorf("workload.keying: %w", err)
	}
	entity, err := keying.NewEntity(k.OrderBy)
	if err != nil {
		return nil, fmt.Errorf("workload.keying: %w", err)
	}
	partitions := exp.Topic.Partitions
	if partitions == 0 {
		partitions = workloads.DefaultPartitions
	}
	if partitions < 0 {
		return nil, fmt.Errorf("topic.partitions must be positive, got %d", partitions)
	}
	src := &Source{
		gen: gen, strategy: strategy, part: part, entity: entity, partitions: partitions,
		key: make([]byte, 0, 64), ent: make([]byte, 0, 64),
	}
	if kf := exp.Workload.Traffic.Keys; kf != nil {
		d, err := keysource.LoadDistribution(kf.From)
		if err != nil {
			return nil, fmt.Errorf("workload.traffic.keys.from: %w", err)
		}
		w := make([]float64, len(d.Weights))
		for i, x := range d.Weights {
			w[i] = float64(x)
		}
		s := keying.DeriveSeed(base, uint64(producer), 4)
		src.replay = &replay{keys: d.Keys, pick: newAlias(w), rng: rand.NewPCG(s, s^0x5851F42D4C957F2D)}
		// replayed keys are the entities whose order matters
		src.entity, _ = keying.NewEntity("key")
	}
	return src, nil
}

// Next generates, keys and places the next message, intended at offset at
// since the start of the run. ev and key stay valid until the next call; an
// empty key means a keyless record.
func (s *Source) Next(at time.Duration) (ev *keying.Event, key []byte, partition int) {
	s.gen.Next(&s.ev, at)
	if s.replay != nil {
		s.key = append(s.key[:0], s.replay.keys[s.replay.pick.sample(s.replay.rng.Uint64())]...)
	} else {
		s.key = s.strategy.AppendKey(s.key, &s.ev)
	}
	s.entOK = false
	return &s.ev, s.key, s.part.Partition(s.key, s.partitions)
}

// Entity returns the order_by entity of the current message (valid until
// the next call to Next).
func (s *Source) Entity() []byte {
	if !s.entOK {
		s.ent = s.entity(s.ent, &s.ev, s.key)
		s.entOK = true
	}
	return s.ent
}

// Partitions the source places messages on.
func (s *Source) Partitions() int { return s.partitions }

// SetPartitions makes the source place the next messages on n partitions
// (the topic grew during the run: topic.repartition_at). n < 1 is ignored.
func (s *Source) SetPartitions(n int) {
	if n >= 1 {
		s.partitions = n
	}
}

// Generator behind the source.
func (s *Source) Generator() *Generator { return s.gen }

// Simulate is `kbench keys`' offline run of exp: messages messages in all
// (exp.Workload.Messages when 0, else 100000), split over
// exp.Producer.Instances producers exactly as the runner splits
// workload.messages, each producer's message n intended at its pacer's
// Due(n) (the runner's schedule; with rate 0 the messages are spread evenly
// over warmup + duration). Messages intended before the warmup ends are
// generated but not counted, as in a run. Sizes count key, value and the
// kbench header as the runner does. repartition > 0 also measures
// remap_share from topic.partitions to repartition partitions.
//
// With a broker run that sends all its messages before the duration ends,
// `kbench run` reports the same per-partition counts.
func Simulate(exp *workloads.Experiment, messages int64, repartition int) (keying.Analysis, error) {
	if messages <= 0 {
		messages = exp.Workload.Messages
	}
	if messages <= 0 {
		messages = 100000
	}
	n := exp.Producer.Instances
	if n <= 0 {
		n = 1
	}
	warmup := exp.Warmup.D()
	total := warmup + exp.Duration.D()
	size := int(exp.Workload.Message.Size)
	if size == 0 {
		size = int(workloads.DefaultMessageSize)
	}
	jsonFmt := exp.Workload.Message.Format == "json"
	overhead := wire.Size + len(wire.HeaderKey)
	var merged *keying.Analyzer
	value := make([]byte, 0, size+256)
	for i := range n {
		src, err := NewSource(exp, i, n)
		if err != nil {
			return keying.Analysis{}, err
		}
		shape, err := pace.FromSpec(exp.Workload.Shape, exp.Workload.Rate, 1/float64(n))
		if err != nil {
			return keying.Analysis{}, fmt.Errorf("workload.shape: %w", err)
		}
		pacer := pace.NewPacer(shape)
		limit := messages / int64(n)
		if int64(i) < messages%int64(n) {
			limit++
		}
		an := keying.NewAnalyzer(src.Partitions())
		if repartition > 0 {
			fresh, err := keying.NewPartitioner(exp.Workload.Keying.Partitioner, keying.PartitionerOptions{BatchSize: exp.Producer.BatchSize})
			if err != nil {
				return keying.Analysis{}, err
			}
			an.TrackRemap(repartition, fresh)
		}
		for m := range uint64(limit) {
			var at time.Duration
			if shape != nil {
				at = pacer.Due(m)
			} else if limit > 0 {
				at = time.Duration(float64(total) * float64(m) / float64(limit))
			}
			ev, key, p := src.Next(at)
			if at < warmup {
				continue
			}
			vlen := max(size-overhead, 0)
			if jsonFmt {
				value = AppendJSON(value[:0], ev, size)
				vlen = len(value)
			}
			an.Observe(key, src.Entity(), p, len(key)+vlen+overhead)
		}
		if merged == nil {
			merged = an
		} else {
			merged.Merge(an)
		}
	}
	return merged.Result(), nil
}
