package keying

import (
	"bytes"
	"cmp"
	"slices"
)

// ExplainPartitioners are the keyed placements PlacementCheck tests: the
// defaults of the Java client (murmur2), librdkafka/kcat (crc32) and
// Sarama/kafka-go Hash (fnv1a).
var ExplainPartitioners = []string{PartitionerMurmur2, PartitionerCRC32, PartitionerFNV1a}

// PlacementCheck finds which partitioner explains where keyed records of a
// topic actually are: for each candidate, the share of records whose
// observed partition it predicts. One client's topic shows one candidate
// at 100% (the others near 1/P by chance); a topic written by mixed
// clients shows none near 100%. Memory is bounded: it keeps counts and at
// most DisagreeLimit example keys per candidate. Not safe for concurrent use.
type PlacementCheck struct {
	partitions int
	names      []string
	kinds      []placeKind
	agree      []int64
	keyed      int64
	disagree   [][]Disagreement
}

// DisagreeLimit bounds the example keys kept per candidate.
const DisagreeLimit = 10

// Disagreement is a key found on a partition the candidate would not put
// it on, with where each candidate would (same order as Candidates).
type Disagreement struct {
	Key       string `json:"key"`
	Partition int    `json:"partition"`
	// Predicted by each candidate, in the order of PlacementResult.Candidates.
	Predicted []int `json:"predicted"`
}

// NewPlacementCheck tests names (empty = ExplainPartitioners; round-robin
// ignores keys and is not a candidate) on a topic of partitions partitions.
func NewPlacementCheck(names []string, partitions int) *PlacementCheck {
	if len(names) == 0 {
		names = ExplainPartitioners
	}
	c := &PlacementCheck{partitions: partitions}
	for _, n := range names {
		k, ok := placeKinds[n]
		if !ok || k == placeRoundRobin {
			continue
		}
		c.names = append(c.names, n)
		c.kinds = append(c.kinds, k)
	}
	c.agree = make([]int64, len(c.names))
	c.disagree = make([][]Disagreement, len(c.names))
	return c
}

// Observe records a keyed record (non-empty key) found on partition.
func (c *PlacementCheck) Observe(key []byte, partition int) {
	if len(key) == 0 {
		return
	}
	c.keyed++
	var predicted []int
	for i, k := range c.kinds {
		if k.place(key, c.partitions) == partition {
			c.agree[i]++
			continue
		}
		if len(c.disagree[i]) >= DisagreeLimit || slices.ContainsFunc(c.disagree[i], func(d Disagreement) bool { return d.Key == string(key) }) {
			continue
		}
		if predicted == nil {
			predicted = make([]int, len(c.kinds))
			for j, kj := range c.kinds {
				predicted[j] = kj.place(key, c.partitions)
			}
		}
		c.disagree[i] = append(c.disagree[i], Disagreement{Key: string(bytes.Clone(key)), Partition: partition, Predicted: predicted})
	}
}

// PlacementResult: per candidate, the share of keyed records it places
// where they are.
type PlacementResult struct {
	Partitions int `json:"partitions"`
	// Keyed records checked.
	Keyed      int64                `json:"keyed"`
	Candidates []PlacementCandidate `json:"candidates"`
	// Best is the candidate with the highest share ("" with no keyed
	// record); Disagreeing are example keys it does not explain.
	Best        string         `json:"best,omitempty"`
	Disagreeing []Disagreement `json:"disagreeing"`
}

// PlacementCandidate is one partitioner's agreement with the topic.
type PlacementCandidate struct {
	Partitioner string  `json:"partitioner"`
	Agree       int64   `json:"agree"`
	Share       float64 `json:"share"`
}

// Result summarises the check.
func (c *PlacementCheck) Result() PlacementResult {
	r := PlacementResult{Partitions: c.partitions, Keyed: c.keyed, Disagreeing: []Disagreement{}}
	best := -1
	for i, n := range c.names {
		pc := PlacementCandidate{Partitioner: n, Agree: c.agree[i]}
		if c.keyed > 0 {
			pc.Share = float64(c.agree[i]) / float64(c.keyed)
		}
		r.Candidates = append(r.Candidates, pc)
		if c.keyed > 0 && (best < 0 || c.agree[i] > c.agree[best]) {
			best = i
		}
	}
	if best >= 0 {
		r.Best = c.names[best]
		r.Disagreeing = append(r.Disagreeing, c.disagree[best]...)
	}
	slices.SortStableFunc(r.Disagreeing, func(a, b Disagreement) int { return cmp.Compare(a.Key, b.Key) })
	return r
}
