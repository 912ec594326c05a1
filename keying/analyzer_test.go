package keying

import (
	"fmt"
	"math"
	"math/rand/v2"
	"reflect"
	"strconv"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestComputeSkewHand(t *testing.T) {
	cases := []struct {
		load []int64
		want Skew
	}{
		// sum 60, mean 15, max 30; var = 1400/4 - 225 = 125;
		// ΣΣ|xi-xj| = 2*(10+20+10+30+20+10) = 200 -> 200/(2*16*15);
		// jain = 3600/(4*1400).
		{[]int64{10, 0, 30, 20}, Skew{MaxMean: 2, CoV: math.Sqrt(125) / 15, Gini: 200.0 / 480, Jain: 3600.0 / 5600, HottestShare: 0.5, Idle: 1}},
		{[]int64{5, 5, 5}, Skew{MaxMean: 1, CoV: 0, Gini: 0, Jain: 1, HottestShare: 1.0 / 3}},
		// all on one of 3: gini (P-1)/P, jain 1/P, cov sqrt(P-1)
		{[]int64{0, 0, 9}, Skew{MaxMean: 3, CoV: math.Sqrt2, Gini: 2.0 / 3, Jain: 1.0 / 3, HottestShare: 1, Idle: 2}},
		{[]int64{0, 0}, Skew{Idle: 2}},
		{nil, Skew{}},
	}
	for _, c := range cases {
		got := ComputeSkew(c.load)
		if !near(got.MaxMean, c.want.MaxMean, 1e-12) || !near(got.CoV, c.want.CoV, 1e-12) ||
			!near(got.Gini, c.want.Gini, 1e-12) || !near(got.Jain, c.want.Jain, 1e-12) ||
			!near(got.HottestShare, c.want.HottestShare, 1e-12) || got.Idle != c.want.Idle {
			t.Errorf("ComputeSkew(%v) = %+v, want %+v", c.load, got, c.want)
		}
	}
	// Gini by the O(P²) definition on random vectors.
	r := rand.New(rand.NewPCG(7, 7))
	for range 50 {
		load := make([]int64, 1+r.IntN(40))
		var sum float64
		for i := range load {
			load[i] = r.Int64N(1000)
			sum += float64(load[i])
		}
		if sum == 0 {
			continue
		}
		var acc float64
		for _, x := range load {
			for _, y := range load {
				acc += math.Abs(float64(x - y))
			}
		}
		n := float64(len(load))
		want := acc / (2 * n * n * (sum / n))
		if got := ComputeSkew(load).Gini; !near(got, want, 1e-9) {
			t.Fatalf("gini(%v) = %v, want %v", load, got, want)
		}
	}
}

func TestAnalyzerHand(t *testing.T) {
	a := NewAnalyzer(3)
	obs := func(key string, p, n int) {
		for range n {
			a.Observe([]byte(key), []byte(key), p, 100+len(key))
		}
	}
	obs("A", 0, 5)
	obs("BB", 1, 3)
	obs("C", 1, 2)
	obs("C", 2, 1)
	a.Observe(nil, []byte("svc"), 2, 50) // keyless, entity svc
	r := a.Result()

	if r.Messages != 12 || r.Keyed != 11 {
		t.Fatalf("messages %d keyed %d", r.Messages, r.Keyed)
	}
	if !reflect.DeepEqual(r.Load, []int64{5, 5, 2}) {
		t.Fatalf("load %v", r.Load)
	}
	if !reflect.DeepEqual(r.BytesLoad, []int64{505, 3*102 + 2*101, 101 + 50}) {
		t.Fatalf("bytes load %v", r.BytesLoad)
	}
	if r.Skew != ComputeSkew([]int64{5, 5, 2}) || r.BytesSkew != ComputeSkew(r.BytesLoad) {
		t.Fatal("skew not computed from load")
	}
	if r.Distinct != 3 || !r.DistinctExact {
		t.Fatalf("distinct %d exact %v", r.Distinct, r.DistinctExact)
	}
	if !reflect.DeepEqual(r.KeysPerPartition, []int64{1, 2, 1}) {
		t.Fatalf("keys per partition %v", r.KeysPerPartition)
	}
	wantTop := []HotKey{{"A", 5, 0, 5.0 / 12}, {"BB", 3, 0, 3.0 / 12}, {"C", 3, 0, 3.0 / 12}}
	if !reflect.DeepEqual(r.Top, wantTop) || !r.TopExact {
		t.Fatalf("top %+v exact %v", r.Top, r.TopExact)
	}
	// entities: A (5, one partition), BB (3, one), C (3, two), svc (1, one)
	o := r.Ordering
	if o.PreservedShare != 9.0/12 || o.MaxSpread != 2 || o.Entities != 4 || !o.Exact {
		t.Fatalf("ordering %+v", o)
	}
}

func TestAnalyzerDistinctBoundedEstimate(t *testing.T) {
	a := NewAnalyzer(6)
	buf := make([]byte, 0, 32)
	const exact = DistinctExactLimit - 10
	for i := range exact {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		a.Observe(buf, buf, i%6, 10)
		a.Observe(buf, buf, i%6, 10) // duplicates don't count
	}
	r := a.Result()
	if r.Distinct != exact || !r.DistinctExact {
		t.Fatalf("below the limit: distinct %d (exact %v), want %d", r.Distinct, r.DistinctExact, exact)
	}
	const n = 1_000_000
	for i := exact; i < n; i++ {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		a.Observe(buf, buf, i%6, 10)
	}
	r = a.Result()
	if r.DistinctExact || math.Abs(float64(r.Distinct)-n)/n > 0.03 {
		t.Fatalf("1M distinct estimated as %d (exact %v)", r.Distinct, r.DistinctExact)
	}
	if a.keys.set != nil || len(a.keys.hll) != 1<<hllPrecision {
		t.Fatal("distinct set not bounded")
	}
	for p, k := range r.KeysPerPartition {
		if math.Abs(float64(k)-n/6)/(n/6) > 0.08 {
			t.Errorf("partition %d: %d keys, want ~%d", p, k, n/6)
		}
	}
	// every key seen once or twice out of >1M messages: the 256-counter
	// sketch can't be exact, and says so.
	if r.TopExact {
		t.Fatal("top claims exactness after evictions")
	}
}

func TestAnalyzerHotKeysSpaceSaving(t *testing.T) {
	// three heavy hitters (20%, 10%, 5%) over a long tail of 200k keys
	a := NewAnalyzer(4)
	r := rand.New(rand.NewPCG(3, 4))
	buf := make([]byte, 0, 32)
	const n = 400_000
	for i := range n {
		u := r.Float64()
		switch {
		case u < 0.20:
			buf = append(buf[:0], "hot-1"...)
		case u < 0.30:
			buf = append(buf[:0], "hot-2"...)
		case u < 0.35:
			buf = append(buf[:0], "hot-3"...)
		default:
			buf = strconv.AppendInt(append(buf[:0], "tail-"...), r.Int64N(200_000), 10)
		}
		a.Observe(buf, buf, i%4, 1)
	}
	res := a.Result()
	want := []struct {
		key   string
		share float64
	}{{"hot-1", 0.20}, {"hot-2", 0.10}, {"hot-3", 0.05}}
	// Only the three heavy hitters stand out of the sketch's error; the
	// tail's counters are noise and are not listed.
	if len(res.Top) != len(want) {
		t.Fatalf("top has %d entries, want the 3 heavy hitters: %+v", len(res.Top), res.Top)
	}
	if res.TopError <= 0 || res.TopError > n/TopCapacity {
		t.Fatalf("error bound %d, want in (0, N/k=%d]", res.TopError, n/TopCapacity)
	}
	for i, w := range want {
		got := res.Top[i]
		if got.Key != w.key || !near(got.Share, w.share, 0.01) {
			t.Fatalf("top[%d] = %+v, want %s ~%.2f", i, got, w.key, w.share)
		}
		if got.Count <= res.TopError {
			t.Fatalf("listed key's guaranteed count %d not above the error %d", got.Count, res.TopError)
		}
	}
}

// TestAnalyzerHotKeysGuarantee: each listed key's true count lies in
// [Count, Count+Error], and keys drawn uniformly (random keys) list none:
// every counter of a saturated sketch sits near N/k with an error as large.
func TestAnalyzerHotKeysGuarantee(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	buf := make([]byte, 0, 32)
	uniform := NewAnalyzer(4)
	for i := range 200_000 {
		buf = strconv.AppendUint(buf[:0], r.Uint64(), 36)
		uniform.Observe(buf, buf, i%4, 1)
	}
	if u := uniform.Result(); len(u.Top) != 0 {
		t.Fatalf("uniform random keys listed as hot: %+v (error bound %d)", u.Top, u.TopError)
	}

	skewed := NewAnalyzer(4)
	truth := map[string]int64{}
	for i := range 300_000 {
		k := strconv.Itoa(int(r.ExpFloat64() * 40))
		if r.IntN(3) == 0 {
			k = "u" + strconv.FormatUint(r.Uint64(), 36)
		}
		truth[k]++
		skewed.Observe([]byte(k), nil, i%4, 1)
	}
	res := skewed.Result()
	if len(res.Top) == 0 {
		t.Fatal("no hot keys in a skewed stream")
	}
	for _, hk := range res.Top {
		if c := truth[hk.Key]; c < hk.Count || c > hk.Count+hk.Error {
			t.Fatalf("%q: true count %d outside [%d, %d]", hk.Key, c, hk.Count, hk.Count+hk.Error)
		}
	}
}

func TestAnalyzerEntitySampling(t *testing.T) {
	// 600k entities; every 5th spans two partitions. Messages per entity: 2.
	const entities = 600_000
	a := NewAnalyzer(8)
	buf := make([]byte, 0, 16)
	for i := range entities {
		buf = strconv.AppendInt(buf[:0], int64(i), 10)
		p := i % 8
		a.Observe(nil, buf, p, 1)
		if i%5 == 0 {
			p = (p + 3) % 8
		}
		a.Observe(nil, buf, p, 1)
	}
	o := a.Result().Ordering
	if o.Exact || o.Entities > EntityLimit {
		t.Fatalf("entities not bounded: %+v", o)
	}
	if !near(o.PreservedShare, 0.8, 0.01) || o.MaxSpread != 2 {
		t.Fatalf("ordering %+v, want preserved ~0.8 spread 2", o)
	}
	if len(a.entities.hashes) > 4*EntityLimit {
		t.Fatalf("entity table grew to %d", len(a.entities.hashes))
	}
}

func TestAnalyzerWidePartitionMasks(t *testing.T) {
	a := NewAnalyzer(200)
	for p := range 200 {
		a.Observe(nil, []byte("one"), p, 1)
	}
	a.Observe(nil, []byte("two"), 130, 1)
	o := a.Result().Ordering
	if o.MaxSpread != 200 || o.PreservedShare != 1.0/201 {
		t.Fatalf("ordering %+v", o)
	}
}

// A merged pair of analyzers reports what one analyzer over the whole
// stream reports.
func TestAnalyzerMerge(t *testing.T) {
	for _, distinctKeys := range []int{50, 100_000, 5_000_000} {
		whole, x, y := NewAnalyzer(5), NewAnalyzer(5), NewAnalyzer(5)
		r := rand.New(rand.NewPCG(5, 6))
		buf, ent := make([]byte, 0, 32), make([]byte, 0, 32)
		for i := range 300_000 {
			k := r.IntN(distinctKeys)
			buf = strconv.AppendInt(append(buf[:0], 'k'), int64(k*k%distinctKeys), 10)
			ent = strconv.AppendInt(ent[:0], int64(k%1000), 10)
			p := Murmur2Partition(ent, 5)
			if k%1000%17 == 0 {
				p = i % 5
			}
			whole.Observe(buf, ent, p, len(buf)+10)
			if i%3 == 0 {
				x.Observe(buf, ent, p, len(buf)+10)
			} else {
				y.Observe(buf, ent, p, len(buf)+10)
			}
		}
		x.Merge(y)
		w, m := whole.Result(), x.Result()
		if !reflect.DeepEqual(w.Load, m.Load) || !reflect.DeepEqual(w.BytesLoad, m.BytesLoad) || w.Ordering != m.Ordering {
			t.Fatalf("%d keys: merged load/ordering differ:\n%+v\n%+v", distinctKeys, w, m)
		}
		if w.Ordering.PreservedShare <= 0 || w.Ordering.PreservedShare >= 1 {
			t.Fatalf("degenerate ordering %+v", w.Ordering)
		}
		if w.TopExact != m.TopExact || (w.TopExact && !reflect.DeepEqual(w.Top, m.Top)) {
			t.Fatalf("top differs:\n%+v\n%+v", w.Top, m.Top)
		}
		if w.DistinctExact {
			if w.Distinct != m.Distinct || !reflect.DeepEqual(w.KeysPerPartition, m.KeysPerPartition) {
				t.Fatalf("exact regime differs:\n%+v\n%+v", w, m)
			}
		} else {
			if w.Distinct != m.Distinct { // HLL merge is lossless: same registers
				t.Fatalf("merged distinct %d vs %d", m.Distinct, w.Distinct)
			}
		}
	}
}

func TestAnalyzerRemapOnline(t *testing.T) {
	keys := make([]WeightedKey, 3000)
	for i := range keys {
		keys[i] = WeightedKey{Key: []byte(fmt.Sprintf("key-%d", i)), Weight: int64(1 + i%5)}
	}
	for _, name := range []string{PartitionerMurmur2, PartitionerJump, PartitionerCRC32} {
		part, _ := NewPartitioner(name, PartitionerOptions{})
		fresh, _ := NewPartitioner(name, PartitionerOptions{})
		a := NewAnalyzer(6)
		a.TrackRemap(9, fresh)
		for _, k := range keys {
			for range k.Weight {
				a.Observe(k.Key, k.Key, part.Partition(k.Key, 6), 1)
			}
		}
		a.Observe(nil, nil, 0, 1) // keyless: not part of remap
		got := *a.Result().Remap
		want := RemapShare(keys, 6, 9, part)
		if got != want {
			t.Fatalf("%s: online remap %+v, RemapShare %+v", name, got, want)
		}
	}
}

func TestObserveZeroAlloc(t *testing.T) {
	a := NewAnalyzer(12)
	keys := make([][]byte, 500)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("svc-%d|node-%d", i%40, i))
	}
	part, _ := NewPartitioner("jump", PartitionerOptions{})
	a.TrackRemap(16, part)
	for _, k := range keys { // warm up: sets grow to size
		a.Observe(k, k[:5], 1, 100)
	}
	i := 0
	n := testing.AllocsPerRun(5000, func() {
		k := keys[i%len(keys)]
		a.Observe(k, k[:5], i%12, 100)
		i++
	})
	if n != 0 {
		t.Fatalf("Observe: %.2f allocs", n)
	}
	// random keys: past the exact limits nothing allocates either.
	buf := make([]byte, 0, 24)
	for j := range 2 * DistinctExactLimit {
		buf = strconv.AppendInt(buf[:0], int64(j), 16)
		a.Observe(buf, buf, j%12, 1)
	}
	j := 0
	n = testing.AllocsPerRun(5000, func() {
		buf = strconv.AppendInt(append(buf[:0], 'x'), int64(j), 16)
		a.Observe(buf, buf, j%12, 1)
		j++
	})
	if n != 0 {
		t.Fatalf("Observe with fresh keys: %.2f allocs", n)
	}
}

func BenchmarkObserve(b *testing.B) {
	keys := make([][]byte, 64)
	for i := range keys {
		keys[i] = []byte(fmt.Sprintf("service-%d", i))
	}
	a := NewAnalyzer(12)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		k := keys[i&63]
		a.Observe(k, k, i%12, 512)
		i++
	}
}
