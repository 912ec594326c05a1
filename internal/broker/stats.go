package broker

import (
	"encoding/binary"
	"encoding/hex"
	"sort"
	"sync"

	"github.com/twmb/franz-go/pkg/kmsg"
)

// Stats counts what the embedded broker receives: every request by API,
// and per topic partition the produce requests, records and bytes. It is
// fed by a kfake control function that only looks (the broker answers as
// usual), so it costs the broker's request loop a few map updates.
type Stats struct {
	mu       sync.Mutex
	requests map[string]int64
	parts    map[partKey]*PartitionStats
	// names of topic ids, resolved when read: a control function runs in
	// the broker's loop and must not ask the broker anything.
	names   map[[16]byte]string
	resolve func([16]byte) string
}

// partKey: newer produce requests name a topic by id only.
type partKey struct {
	topic     string
	id        [16]byte
	partition int32
}

// TopicPartition names a partition.
type TopicPartition struct {
	Topic     string
	Partition int32
}

// PartitionStats is what a partition received in produce requests.
type PartitionStats struct {
	TopicPartition
	Requests int64 // produce requests that carried records for it
	Records  int64 // records received (appended or refused)
	Bytes    int64 // record-batch bytes received, as sent (compressed)
}

// CountRequests installs the counting and returns the counters.
func (e *Embedded) CountRequests() *Stats {
	s := &Stats{requests: map[string]int64{}, parts: map[partKey]*PartitionStats{}, names: map[[16]byte]string{}}
	s.resolve = func(id [16]byte) string {
		if ti := e.c.TopicIDInfo(id); ti != nil {
			return ti.Topic
		}
		return ""
	}
	e.c.Control(func(req kmsg.Request) (kmsg.Response, error, bool) {
		e.c.KeepControl()
		s.observe(req)
		return nil, nil, false
	})
	return s
}

func (s *Stats) observe(req kmsg.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests[kmsg.NameForKey(req.Key())]++
	pr, ok := req.(*kmsg.ProduceRequest)
	if !ok {
		return
	}
	for _, t := range pr.Topics {
		for _, p := range t.Partitions {
			k := partKey{t.Topic, t.TopicID, p.Partition}
			if t.Topic != "" {
				k.id = [16]byte{}
			}
			ps := s.parts[k]
			if ps == nil {
				ps = &PartitionStats{TopicPartition: TopicPartition{t.Topic, p.Partition}}
				s.parts[k] = ps
			}
			ps.Requests++
			ps.Bytes += int64(len(p.Records))
			ps.Records += countRecords(p.Records)
		}
	}
}

// countRecords reads the record count of every batch in b.
func countRecords(b []byte) int64 {
	var n int64
	for len(b) >= 12 {
		// FirstOffset (8 bytes) and Length (4) precede the batch's rest.
		size := 12 + int(int32(binary.BigEndian.Uint32(b[8:12])))
		if size <= 12 || size > len(b) {
			return n
		}
		var rb kmsg.RecordBatch
		if rb.UnsafeReadFrom(b[:size]) != nil {
			return n
		}
		n += int64(rb.NumRecords)
		b = b[size:]
	}
	return n
}

// Requests is the number of requests received per API name.
func (s *Stats) Requests() map[string]int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int64, len(s.requests))
	for k, v := range s.requests {
		out[k] = v
	}
	return out
}

// Partitions is every partition's counters, by topic and partition. A
// topic named only by an id the broker no longer knows (deleted) shows as
// the id in hex.
func (s *Stats) Partitions() []PartitionStats {
	s.mu.Lock()
	var unknown [][16]byte
	for k := range s.parts {
		if k.topic == "" && s.names[k.id] == "" {
			unknown = append(unknown, k.id)
		}
	}
	s.mu.Unlock()
	resolved := map[[16]byte]string{}
	for _, id := range unknown {
		if _, done := resolved[id]; !done {
			resolved[id] = s.resolve(id)
		}
	}
	s.mu.Lock()
	byName := map[TopicPartition]*PartitionStats{}
	for k, p := range s.parts {
		name := k.topic
		if name == "" {
			if n := resolved[k.id]; n != "" {
				s.names[k.id] = n
			}
			if name = s.names[k.id]; name == "" {
				name = hex.EncodeToString(k.id[:])
			}
		}
		tp := TopicPartition{name, k.partition}
		sum := byName[tp]
		if sum == nil {
			sum = &PartitionStats{TopicPartition: tp}
			byName[tp] = sum
		}
		sum.Requests += p.Requests
		sum.Records += p.Records
		sum.Bytes += p.Bytes
	}
	s.mu.Unlock()
	out := make([]PartitionStats, 0, len(byName))
	for _, p := range byName {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Topic != out[j].Topic {
			return out[i].Topic < out[j].Topic
		}
		return out[i].Partition < out[j].Partition
	})
	return out
}
