package keying

import "bytes"

// Bounds of the Analyzer's sketches.
const (
	// DistinctExactLimit: distinct keys are counted exactly up to this many,
	// then estimated by a HyperLogLog of 2^14 registers (~0.8% error).
	DistinctExactLimit = 1 << 16
	// TopCapacity: Space-Saving counters behind the hot-key list; counts are
	// exact while no more distinct keys than this were seen.
	TopCapacity = 256
	// TopN: hot keys reported.
	TopN = 10
	// EntityLimit: order_by entities tracked exactly before hash sampling.
	EntityLimit = 1 << 17
	// RemapKeyLimit: distinct keys remembered for remap_share's key-weighted
	// figure beyond which it is sampled by key hash.
	RemapKeyLimit = 1 << 16
)

const hllPrecision = 14

// Analyzer accumulates, message by message, everything SPEC §5 reports
// about keys and placement. Observe allocates nothing in the steady state
// (the exact sets grow while warming up; past their limits they stop).
// Not safe for concurrent use: one per producer, then Merge.
type Analyzer struct {
	partitions int
	msgs       []int64
	bytes      []int64
	total      int64
	keyed      int64
	keys       distinct
	perPart    []distinct
	top        spaceSaving
	entities   entityTable
	remap      *remapTracker
}

// NewAnalyzer returns an empty Analyzer for partitions (>= 1) partitions.
func NewAnalyzer(partitions int) *Analyzer {
	if partitions < 1 {
		partitions = 1
	}
	perLimit := DistinctExactLimit / partitions
	if perLimit < 256 {
		perLimit = 256
	}
	prec := uint8(12)
	if partitions > 64 {
		prec = 10
	}
	a := &Analyzer{
		partitions: partitions,
		msgs:       make([]int64, partitions),
		bytes:      make([]int64, partitions),
		keys:       newDistinct(DistinctExactLimit, hllPrecision),
		perPart:    make([]distinct, partitions),
		top:        newSpaceSaving(TopCapacity),
		entities:   newEntityTable(partitions, EntityLimit),
	}
	for i := range a.perPart {
		a.perPart[i] = newDistinct(perLimit, prec)
	}
	return a
}

// Partitions the analyzer was made for.
func (a *Analyzer) Partitions() int { return a.partitions }

// Observe records one message: its key (empty = keyless), its order_by
// entity, the partition it was placed on and its size in bytes (key plus
// value, as counted for bytes skew). A partition out of range panics.
func (a *Analyzer) Observe(key, entity []byte, partition int, size int) {
	a.msgs[partition]++
	a.bytes[partition] += int64(size)
	a.total++
	var kh uint64
	if len(key) > 0 {
		a.keyed++
		kh = hash64(key)
		a.keys.add(kh)
		a.perPart[partition].add(kh)
		a.top.add(kh, key, 1)
		if a.remap != nil {
			a.remap.observe(kh, key)
		}
	}
	eh := kh
	if len(key) == 0 || !bytes.Equal(entity, key) {
		eh = hash64(entity)
	}
	a.entities.observe(eh, partition)
}

// TrackRemap makes the Analyzer also measure remap_share: for every keyed
// message, whether part places its key differently on p2 partitions than
// on the analyzer's. part must be a fresh instance of the run's partitioner
// (keyed placement is stateless for every built-in one except round-robin,
// which ignores keys, so its keys have no home and "move" at random).
func (a *Analyzer) TrackRemap(p2 int, part Partitioner) {
	a.TrackRemapFrom(a.partitions, p2, part)
}

// TrackRemapFrom is TrackRemap from p1 partitions rather than the
// analyzer's own count: an analyzer sized for a topic that grows during
// the run (p2) still measures the remap from the count it started with.
func (a *Analyzer) TrackRemapFrom(p1, p2 int, part Partitioner) {
	a.remap = &remapTracker{from: p1, to: p2, part: part, moved: newDistinct(RemapKeyLimit, hllPrecision)}
}

// Merge folds other (same partition count) into a.
func (a *Analyzer) Merge(other *Analyzer) {
	if other.partitions != a.partitions {
		panic("keying: Merge of analyzers with different partition counts")
	}
	for i := range a.msgs {
		a.msgs[i] += other.msgs[i]
		a.bytes[i] += other.bytes[i]
		a.perPart[i].merge(&other.perPart[i])
	}
	a.total += other.total
	a.keyed += other.keyed
	a.keys.merge(&other.keys)
	a.top.merge(&other.top)
	a.entities.merge(&other.entities)
	if other.remap != nil {
		if a.remap == nil {
			a.remap = &remapTracker{from: other.remap.from, to: other.remap.to, part: other.remap.part, moved: newDistinct(RemapKeyLimit, hllPrecision)}
		}
		a.remap.movedMsgs += other.remap.movedMsgs
		a.remap.moved.merge(&other.remap.moved)
	}
}

// Analysis is what an Analyzer measured.
type Analysis struct {
	Partitions int
	// Messages and Bytes in total; Keyed messages had a key.
	Messages int64
	Bytes    int64
	Keyed    int64
	// Load and BytesLoad per partition.
	Load      []int64
	BytesLoad []int64
	Skew      Skew
	BytesSkew Skew
	// Distinct keys; exact when DistinctExact, else a HyperLogLog estimate.
	Distinct      int64
	DistinctExact bool
	// KeysPerPartition: distinct keys seen on each partition (estimates
	// past the per-partition exact limit).
	KeysPerPartition []int64
	// Top: the hottest keys (up to TopN) by guaranteed count, hottest
	// first. A key is listed only when its guaranteed count exceeds
	// TopError, the most any key's count can be over-stated (so the
	// sketch cannot have made it up); random keys list none. Exact when
	// TopExact (then TopError is 0 and every count is the true one).
	Top      []HotKey
	TopExact bool
	// TopError bounds the sketch's over-count of any key: a key not
	// listed occurred at most TopError times more than any listed
	// guaranteed count suggests (0 while exact).
	TopError int64
	Ordering Ordering
	// Remap is set when TrackRemap was called.
	Remap *Remap
}

// HotKey is one frequent key. Count is its guaranteed count: the key
// occurred at least Count and at most Count+Error times. Share is Count
// over all messages (a lower bound of its true share).
type HotKey struct {
	Key   string  `json:"key"`
	Count int64   `json:"count"`
	Error int64   `json:"error"`
	Share float64 `json:"share"`
}

// Ordering: how well per-entity order can hold (SPEC §5).
type Ordering struct {
	// PreservedShare: share of messages whose order_by entity lives on
	// exactly one partition.
	PreservedShare float64 `json:"preserved_share"`
	// MaxSpread: most partitions one entity spans.
	MaxSpread int `json:"max_spread"`
	// Entities tracked; Exact is false when they were sampled by hash
	// (more than EntityLimit entities), making both figures estimates.
	Entities int  `json:"entities"`
	Exact    bool `json:"exact"`
}

// Result summarises what was observed. It allocates; call it at the end.
func (a *Analyzer) Result() Analysis {
	r := Analysis{
		Partitions:       a.partitions,
		Messages:         a.total,
		Keyed:            a.keyed,
		Load:             append([]int64(nil), a.msgs...),
		BytesLoad:        append([]int64(nil), a.bytes...),
		KeysPerPartition: make([]int64, a.partitions),
	}
	for _, b := range a.bytes {
		r.Bytes += b
	}
	r.Skew = ComputeSkew(r.Load)
	r.BytesSkew = ComputeSkew(r.BytesLoad)
	r.Distinct, r.DistinctExact = a.keys.count()
	for i := range a.perPart {
		r.KeysPerPartition[i], _ = a.perPart[i].count()
	}
	r.TopExact = !a.top.evicted
	r.Top, r.TopError = a.top.hot(TopN, a.total)
	o := &r.Ordering
	o.PreservedShare, o.MaxSpread, o.Entities, o.Exact = a.entities.ordering()
	if a.remap != nil {
		rm := Remap{From: a.remap.from, To: a.remap.to}
		if a.keyed > 0 {
			rm.Traffic = float64(a.remap.movedMsgs) / float64(a.keyed)
		}
		moved, _ := a.remap.moved.count()
		if r.Distinct > 0 {
			rm.Keys = float64(moved) / float64(r.Distinct)
			if rm.Keys > 1 {
				rm.Keys = 1
			}
		}
		r.Remap = &rm
	}
	return r
}

// remapTracker counts keyed messages and distinct keys that part places
// differently on `to` partitions than on `from`.
type remapTracker struct {
	from, to  int
	part      Partitioner
	movedMsgs int64
	moved     distinct
}

func (t *remapTracker) observe(h uint64, key []byte) {
	if t.part.Partition(key, t.from) != t.part.Partition(key, t.to) {
		t.movedMsgs++
		t.moved.add(h)
	}
}
