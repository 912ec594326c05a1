package keying

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"
)

// zipfKeys draws n keys over `distinct` ids with Zipf popularity, with
// their exact counts.
func zipfKeys(n, distinct int, seed uint64) ([]string, map[string]int64) {
	r := rand.New(rand.NewPCG(seed, seed+1))
	z := rand.NewZipf(r, 1.2, 1, uint64(distinct-1))
	keys := make([]string, n)
	counts := map[string]int64{}
	for i := range keys {
		keys[i] = "user-" + strconv.FormatUint(z.Uint64(), 10)
		counts[keys[i]]++
	}
	return keys, counts
}

// Per-partition loads equal an independent placement of every message by
// the partitioners' own implementations, at both partition counts; so do
// the remapped traffic shares, and round-robin spreads exactly.
func TestCensusLoadsExact(t *testing.T) {
	keys, counts := zipfKeys(200_000, 50_000, 7)
	names := []string{"murmur2", "crc32", "fnv1a", "jump", "sticky", "round-robin"}
	c, err := NewCensus(names, []int{12, 17}, 0)
	if err != nil {
		t.Fatal(err)
	}
	// the same messages, some as KEY<TAB>COUNT-style weighted records
	for i, k := range keys {
		if i%10 == 0 {
			continue
		}
		c.Add([]byte(k), 1)
	}
	var weighted int64
	for i := 0; i < len(keys); i += 10 {
		c.Add([]byte(keys[i]), 1)
		weighted++
	}
	res := c.Result()
	if res.Messages != int64(len(keys)) || !slices.Equal(res.Partitions, []int{12, 17}) || len(res.Placements) != 2*len(names) {
		t.Fatalf("result %d messages, partitions %v, %d placements", res.Messages, res.Partitions, len(res.Placements))
	}
	for _, pl := range res.Placements {
		want := make([]int64, pl.Partitions)
		var moved int64
		if pl.Partitioner == "round-robin" {
			for i := range keys {
				want[i%pl.Partitions]++
			}
		} else {
			part, _ := NewPartitioner(pl.Partitioner, PartitionerOptions{})
			for k, n := range counts {
				p := part.Partition([]byte(k), pl.Partitions)
				want[p] += n
				if part.Partition([]byte(k), 12) != p {
					moved += n
				}
			}
		}
		if !slices.Equal(pl.Load, want) {
			t.Fatalf("%s on %d: load %v, independent placement %v", pl.Partitioner, pl.Partitions, pl.Load, want)
		}
		switch {
		case !pl.Keyed:
			if pl.Partitioner != "round-robin" || pl.Remap != nil {
				t.Fatalf("%+v", pl)
			}
		case pl.Partitions == 12:
			if pl.Remap != nil {
				t.Fatalf("remap on the current count: %+v", pl)
			}
		default:
			if pl.Remap == nil || pl.Remap.Traffic != float64(moved)/float64(len(keys)) {
				t.Fatalf("%s remap %+v, want traffic %v", pl.Partitioner, pl.Remap, float64(moved)/float64(len(keys)))
			}
			movedKeys := 0
			part, _ := NewPartitioner(pl.Partitioner, PartitionerOptions{})
			for k := range counts {
				if part.Partition([]byte(k), 12) != part.Partition([]byte(k), 17) {
					movedKeys++
				}
			}
			want := float64(movedKeys) / float64(len(counts))
			if math.Abs(pl.Remap.Keys-want) > 0.03 {
				t.Fatalf("%s moved keys %.4f, exact %.4f", pl.Partitioner, pl.Remap.Keys, want)
			}
		}
	}
	// distinct keys within 4 standard errors of the truth
	if d := float64(res.Distinct); math.Abs(d-float64(len(counts)))/float64(len(counts)) > 4*DistinctStdError {
		t.Fatalf("distinct %d, exact %d", res.Distinct, len(counts))
	}
	// hot keys by guaranteed count: the truth lies in [Count, Count+Error]
	if len(res.Hot) == 0 || res.Hot[0].Key != "user-0" {
		t.Fatalf("hot %+v", res.Hot[:min(3, len(res.Hot))])
	}
	for _, hk := range res.Hot {
		if n := counts[hk.Key]; n < hk.Count || n > hk.Count+hk.Error {
			t.Fatalf("%s: true %d outside [%d, %d]", hk.Key, n, hk.Count, hk.Count+hk.Error)
		}
	}
}

func TestCensusWeightedEqualsRepeated(t *testing.T) {
	a, _ := NewCensus(nil, []int{6, 9}, 0)
	b, _ := NewCensus(nil, []int{6, 9}, 0)
	for i := range 500 {
		k := []byte(fmt.Sprintf("k%d", i%37))
		n := int64(i%5 + 1)
		a.Add(k, n)
		for range n {
			b.Add(k, 1)
		}
	}
	ra, rb := a.Result(), b.Result()
	for i := range ra.Placements {
		if !slices.Equal(ra.Placements[i].Load, rb.Placements[i].Load) {
			t.Fatalf("weighted %v, repeated %v", ra.Placements[i].Load, rb.Placements[i].Load)
		}
	}
	if ra.Messages != rb.Messages || ra.Distinct != 37 || rb.Distinct != 37 || !slices.Equal(ra.Hot, rb.Hot) {
		t.Fatalf("weighted %+v\nrepeated %+v", ra, rb)
	}
}

func TestCensusBadConfig(t *testing.T) {
	for _, c := range []struct {
		parts []string
		ps    []int
	}{{nil, nil}, {nil, []int{0}}, {[]string{"modulo"}, []int{3}}} {
		if _, err := NewCensus(c.parts, c.ps, 0); err == nil {
			t.Errorf("%v %v accepted", c.parts, c.ps)
		}
	}
}

// Salting moves exactly each hot key's count onto its salts' partitions
// (placed by the partitioner), keeps the total, and breaks per-key order
// for exactly the salted keys that land on more than one partition.
func TestWhatIfSalting(t *testing.T) {
	c, _ := NewCensus([]string{"murmur2", "round-robin"}, []int{8, 12}, 0)
	c.Add([]byte("hot-a"), 4000)
	c.Add([]byte("hot-b"), 2001)
	for i := range 1000 {
		c.Add([]byte("k"+strconv.Itoa(i)), 1)
	}
	res := c.Result()
	if !res.HotExact || res.Hot[0].Key != "hot-a" || res.Hot[1].Count != 2001 {
		t.Fatalf("hot %+v exact %v", res.Hot[:2], res.HotExact)
	}
	rows := WhatIf(res, []SaltHot{{K: 2, S: 4}})
	// murmur2 x {8, 12} x {plain, salted} + round-robin x {8, 12}, unsalted
	if len(rows) != 6 {
		t.Fatalf("%d rows", len(rows))
	}
	for _, r := range rows {
		var sum int64
		for _, x := range r.Load {
			sum += x
		}
		if sum != 7001 {
			t.Fatalf("%+v: load sums to %d", r, sum)
		}
		if r.Partitioner == "round-robin" {
			if r.Salt != nil || r.Ordered != nil || r.Spread != nil || r.Remap != nil {
				t.Fatalf("round-robin row %+v", r)
			}
			continue
		}
		if r.Salt == nil {
			if *r.Ordered != 1 || *r.Spread != 1 || r.Expected {
				t.Fatalf("plain row %+v", r)
			}
			continue
		}
		// independent: the plain load, hot keys moved to their salts
		var plain WhatIfRow
		for _, p := range rows {
			if p.Salt == nil && p.Partitioner == r.Partitioner && p.Partitions == r.Partitions {
				plain = p
			}
		}
		want := slices.Clone(plain.Load)
		broken, spread := int64(0), 1
		for _, hk := range []struct {
			k string
			n int64
		}{{"hot-a", 4000}, {"hot-b", 2001}} {
			want[Murmur2Partition([]byte(hk.k), r.Partitions)] -= hk.n
			parts := map[int]bool{}
			for i := range 4 {
				share := hk.n / 4
				if int64(i) < hk.n%4 {
					share++
				}
				p := Murmur2Partition([]byte(hk.k+"#"+strconv.Itoa(i)), r.Partitions)
				want[p] += share
				parts[p] = true
			}
			if len(parts) > 1 {
				broken += hk.n
			}
			spread = max(spread, len(parts))
		}
		if !slices.Equal(r.Load, want) || !r.Expected {
			t.Fatalf("salted %d: load %v, want %v", r.Partitions, r.Load, want)
		}
		if *r.Ordered != 1-float64(broken)/7001 || *r.Spread != spread || r.Distinct != res.Distinct+6 {
			t.Fatalf("salted %d: ordered %v spread %d distinct %d (want %v %d)", r.Partitions, *r.Ordered, *r.Spread, r.Distinct, 1-float64(broken)/7001, spread)
		}
		if r.Top == nil || r.Top.Key != "hot-a#0" || r.Top.Count != 1000 {
			t.Fatalf("salted top %+v", r.Top)
		}
		if (r.Partitions == 12) != (r.Remap != nil) {
			t.Fatalf("remap %+v on %d", r.Remap, r.Partitions)
		}
	}
}

func TestParseSaltHot(t *testing.T) {
	if s, err := ParseSaltHot("3:8"); err != nil || s != (SaltHot{3, 8}) || s.String() != "3:8" {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"", "3", "3:1", "0:4", "a:b", "3:8:1"} {
		if _, err := ParseSaltHot(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPlacementCheck(t *testing.T) {
	const P = 7
	one := NewPlacementCheck(nil, P)
	mixed := NewPlacementCheck(nil, P)
	for i := range 3000 {
		k := []byte("key-" + strconv.Itoa(i))
		one.Observe(k, CRC32Partition(k, P))
		if i%2 == 0 {
			mixed.Observe(k, Murmur2Partition(k, P))
		} else {
			mixed.Observe(k, CRC32Partition(k, P))
		}
		one.Observe(nil, 0) // keyless: not counted
	}
	r := one.Result()
	if r.Keyed != 3000 || r.Best != "crc32" || len(r.Disagreeing) != 0 {
		t.Fatalf("%+v", r)
	}
	for _, c := range r.Candidates {
		if c.Partitioner == "crc32" && c.Share != 1 || c.Partitioner != "crc32" && c.Share > 0.25 {
			t.Fatalf("%+v", c)
		}
	}
	m := mixed.Result()
	for _, c := range m.Candidates {
		if c.Share > 0.7 {
			t.Fatalf("mixed topic: %s explains %.2f", c.Partitioner, c.Share)
		}
	}
	if len(m.Disagreeing) != DisagreeLimit {
		t.Fatalf("disagreeing %+v", m.Disagreeing)
	}
	best := slices.Index([]string{"murmur2", "crc32", "fnv1a"}, m.Best)
	for _, d := range m.Disagreeing {
		k := []byte(d.Key)
		if d.Predicted[best] == d.Partition || d.Predicted[0] != Murmur2Partition(k, P) || d.Predicted[1] != CRC32Partition(k, P) || d.Predicted[2] != FNV1aPartition(k, P) {
			t.Fatalf("disagreement %+v", d)
		}
	}
}
