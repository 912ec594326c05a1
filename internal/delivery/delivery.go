// Package delivery verifies delivery semantics per consumer group: the
// `delivery.lost`, `delivery.duplicated` and `delivery.reordered` figures of
// SPEC §5, and the `foreign` count of messages without a kbench header.
//
// Why: at-most-once commits lose messages and at-least-once commits
// duplicate them when a consumer crashes; an ambiguous produce retry
// duplicates them too. These figures are how kbench shows which one a
// configuration gives, so they must be exact and must not grow with the
// length of the run.
//
// How: every message carries its producer id and a per-producer sequence
// (internal/wire). The producer side records each acknowledged sequence in
// an IntervalSet per producer (Acked); each group's consumers feed a Tracker
// that records each consumed sequence in an IntervalSet per producer, plus
// the highest sequence seen per producer+partition for reordering. Sets of
// sequences are runs of consecutive numbers, so memory is proportional to
// the gaps (in practice, the consumers' lag window), not to the message
// count: a million in-order messages take one 16-byte run.
//
// The consumed set is per producer rather than per producer+partition on
// purpose: a producer's sequences are spread over the partitions, so a
// per-partition set of them would be one run per message, whereas their
// union across partitions closes up as consumption catches up.
package delivery

import (
	"sync"
)

// Acked holds each producer's acknowledged sequences. The producer side
// records from one goroutine per producer: take that producer's set with
// For before starting the goroutines, then Add to it without locking. Acked
// itself (For, Merge) is not safe for concurrent use.
type Acked struct {
	sets map[uint32]*IntervalSet
}

// NewAcked returns an empty Acked.
func NewAcked() *Acked { return &Acked{sets: map[uint32]*IntervalSet{}} }

// For returns producer's set, creating it if needed. The set is owned by
// one goroutine at a time.
func (a *Acked) For(producer uint32) *IntervalSet {
	if a.sets == nil {
		a.sets = map[uint32]*IntervalSet{}
	}
	s := a.sets[producer]
	if s == nil {
		s = &IntervalSet{}
		a.sets[producer] = s
	}
	return s
}

// Merge adds o's acknowledgements to a (e.g. one Acked per producer
// instance, merged at the end).
func (a *Acked) Merge(o *Acked) {
	if o == nil {
		return
	}
	for id, s := range o.sets {
		a.For(id).Merge(s)
	}
}

// Len is the number of acknowledged messages over all producers.
func (a *Acked) Len() uint64 {
	var n uint64
	for _, s := range a.sets {
		n += s.Len()
	}
	return n
}

type producerPartition struct {
	producer  uint32
	partition int32
}

// Tracker verifies one consumer group's deliveries. It is safe for
// concurrent use by the group's consumer goroutines; the in-order path of
// Observe is allocation-free.
type Tracker struct {
	mu       sync.Mutex
	consumed map[uint32]*IntervalSet
	// highest+1 seen per producer and partition (0 = none yet).
	highest map[producerPartition]uint64

	// one-entry cache of the last producer's set: the usual case is a long
	// run of messages from one producer.
	lastID  uint32
	lastSet *IntervalSet

	// offsets[partition]: the partition offsets processed, to tell a
	// backlog (unprocessed records at or above the committed offset) from
	// a loss at the end of a run (see Backlog).
	offsets map[int32]*IntervalSet
	// one-entry cache of the last partition's offsets: consecutive
	// messages usually come from one partition's fetch.
	lastPart    int32
	lastOffsets *IntervalSet
	// foreignOn[partition]: foreign records processed from it.
	foreignOn map[int32]int64

	messages, duplicated, reordered, foreign int64
}

// NewTracker returns an empty tracker.
func NewTracker() *Tracker {
	return &Tracker{
		consumed:  map[uint32]*IntervalSet{},
		highest:   map[producerPartition]uint64{},
		offsets:   map[int32]*IntervalSet{},
		foreignOn: map[int32]int64{},
	}
}

// Observe records that the group consumed (finished processing) the message
// seq of producer from partition at offset (< 0: unknown). dup is true when this producer+seq was
// consumed before; reordered is true when it is consumed for the first time
// but a higher seq of the same producer was already consumed from the same
// partition. A duplicate counts as duplicated only, never also as reordered
// (re-delivery after a rebalance rewinds by design; reordering is about
// first deliveries).
func (t *Tracker) Observe(producer uint32, partition int32, seq uint64, offset int64) (dup, reordered bool) {
	t.mu.Lock()
	t.addOffset(partition, offset)
	set := t.lastSet
	if set == nil || t.lastID != producer {
		set = t.consumed[producer]
		if set == nil {
			set = &IntervalSet{}
			t.consumed[producer] = set
		}
		t.lastID, t.lastSet = producer, set
	}
	t.messages++
	if !set.Add(seq) {
		t.duplicated++
		t.mu.Unlock()
		return true, false
	}
	k := producerPartition{producer, partition}
	if h := t.highest[k]; h == 0 || seq+1 > h {
		t.highest[k] = seq + 1
	} else {
		t.reordered++
		reordered = true
	}
	t.mu.Unlock()
	return false, reordered
}

// ObserveForeign counts a consumed message without a (valid) kbench header.
func (t *Tracker) ObserveForeign() {
	t.mu.Lock()
	t.foreign++
	t.mu.Unlock()
}

// ObserveForeignAt counts a foreign message processed from partition at
// offset (< 0: unknown): its offset is processed like any other, and it is
// counted per partition, so a backlog is not mistaken for foreign records
// (see ForeignOn).
func (t *Tracker) ObserveForeignAt(partition int32, offset int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.foreign++
	if t.foreignOn == nil {
		t.foreignOn = map[int32]int64{}
	}
	t.foreignOn[partition]++
	t.addOffset(partition, offset)
}

// addOffset records a processed offset of partition (< 0: unknown).
// Called with t.mu held.
func (t *Tracker) addOffset(partition int32, offset int64) {
	if offset < 0 {
		return
	}
	o := t.lastOffsets
	if o == nil || t.lastPart != partition {
		o = t.offsets[partition]
		if o == nil {
			o = &IntervalSet{}
			t.offsets[partition] = o
		}
		t.lastPart, t.lastOffsets = partition, o
	}
	o.Add(uint64(offset))
}

// ForeignOn is how many foreign messages were processed from partition.
func (t *Tracker) ForeignOn(partition int32) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.foreignOn[partition]
}

// Counts is a snapshot of a tracker's running counters.
type Counts struct {
	// Messages is every Observe call (duplicates included).
	Messages int64
	// Distinct is the number of distinct producer+seq consumed.
	Distinct   int64
	Duplicated int64
	Reordered  int64
	Foreign    int64
}

// Counts returns the running counters.
func (t *Tracker) Counts() Counts {
	t.mu.Lock()
	defer t.mu.Unlock()
	return Counts{
		Messages:   t.messages,
		Distinct:   t.messages - t.duplicated,
		Duplicated: t.duplicated,
		Reordered:  t.reordered,
		Foreign:    t.foreign,
	}
}

// Foreign is the number of messages without a kbench header.
func (t *Tracker) Foreign() int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.foreign
}

// Result computes the group's delivery figures against what the producers
// saw acknowledged. lost counts acknowledged messages the group never
// consumed. A message consumed although its producer never saw the ack (an
// ambiguous write: the broker appended it but the ack was lost or timed out)
// is not lost, and counts nowhere here; see Unacknowledged.
func (t *Tracker) Result(acked *Acked) (lost, duplicated, reordered, foreign int64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if acked != nil {
		for id, a := range acked.sets {
			lost += int64(a.CountNotIn(t.consumed[id]))
		}
	}
	return lost, t.duplicated, t.reordered, t.foreign
}

// Missing counts the acknowledged messages the group has not consumed
// (yet): lost plus unconsumed. The drain is over for the group when it is 0.
func (t *Tracker) Missing(acked *Acked) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	if acked != nil {
		for id, a := range acked.sets {
			n += int64(a.CountNotIn(t.consumed[id]))
		}
	}
	return n
}

// Offsets returns a copy of the offsets of partition the group processed.
func (t *Tracker) Offsets(partition int32) *IntervalSet {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := &IntervalSet{}
	out.Merge(t.offsets[partition])
	return out
}

// Unacknowledged counts distinct messages the group consumed whose
// acknowledgement the producers never saw (ambiguous or unacknowledged
// writes, e.g. acks=0 or a produce that timed out after the append).
func (t *Tracker) Unacknowledged(acked *Acked) int64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var n int64
	for id, c := range t.consumed {
		var a *IntervalSet
		if acked != nil {
			a = acked.sets[id]
		}
		n += int64(c.CountNotIn(a))
	}
	return n
}

// Runs is the total number of runs the tracker holds: its memory, in units
// of 16 bytes (plus one map entry per producer and partition).
func (t *Tracker) Runs() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.consumed {
		n += s.NumRuns()
	}
	return n
}
