package stats

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, eps float64) bool { return math.Abs(a-b) <= eps }

// Published values: two-sided exact Mann–Whitney p-values.
func TestKnownPValues(t *testing.T) {
	cases := []struct {
		name      string
		base, cur []float64
		p         float64
	}{
		// Complete separation of 5 and 5: 2/C(10,5) = 2/252.
		{"separated 5v5", []float64{1, 2, 3, 4, 5}, []float64{6, 7, 8, 9, 10}, 2.0 / 252},
		// scipy.stats.mannwhitneyu documentation example (method="exact"):
		// U=17, p=0.1111111111111111.
		{"scipy example", []float64{19, 22, 16, 29, 24}, []float64{20, 11, 17, 12}, 0.1111111111111111},
		// Identical samples.
		{"equal", []float64{3, 1, 2}, []float64{1, 2, 3}, 1},
	}
	for _, c := range cases {
		r, err := Test(c.base, c.cur, DefaultAlpha)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		if !near(r.P, c.p, 1e-9) {
			t.Errorf("%s: p = %.12f, want %.12f", c.name, r.P, c.p)
		}
		// Symmetric in its arguments.
		r2, _ := Test(c.cur, c.base, DefaultAlpha)
		if !near(r2.P, r.P, 1e-12) {
			t.Errorf("%s: p not symmetric: %v vs %v", c.name, r.P, r2.P)
		}
	}
}

// bruteP enumerates every way of splitting the pooled values into samples
// of sizes n and m and counts the splits whose U (mid-ranks for ties) is at
// most and at least the observed one: twice the smaller tail is the exact
// two-sided permutation p-value, computed independently of the library.
func bruteP(base, cur []float64) float64 {
	pool := append(append([]float64(nil), base...), cur...)
	n, N := len(base), len(pool)
	u := func(mask int) float64 {
		var x float64
		for i := 0; i < N; i++ {
			if mask&(1<<i) == 0 {
				continue
			}
			for j := 0; j < N; j++ {
				if mask&(1<<j) != 0 {
					continue
				}
				switch {
				case pool[i] > pool[j]:
					x++
				case pool[i] == pool[j]:
					x += 0.5
				}
			}
		}
		return x
	}
	obs := u(1<<n - 1)
	var lo, hi, all float64
	for mask := 0; mask < 1<<N; mask++ {
		if popcount(mask) != n {
			continue
		}
		all++
		if x := u(mask); x <= obs+1e-9 {
			lo++
		}
		if x := u(mask); x >= obs-1e-9 {
			hi++
		}
	}
	return math.Min(1, 2*math.Min(lo, hi)/all)
}

func popcount(x int) int {
	c := 0
	for ; x != 0; x &= x - 1 {
		c++
	}
	return c
}

func TestTiesExact(t *testing.T) {
	cases := [][2][]float64{
		{{1, 1, 1, 2, 2}, {2, 2, 3, 3, 3}},
		{{5, 5, 5, 5, 6}, {5, 6, 6, 6, 6}},
		{{0.5, 0.5, 1, 1, 1, 2}, {1, 1, 2, 2, 2, 2}},
		{{7, 7, 8}, {7, 8, 8, 8, 9}},
	}
	for _, c := range cases {
		r, err := Test(c[0], c[1], DefaultAlpha)
		if err != nil {
			t.Fatal(err)
		}
		want := bruteP(c[0], c[1])
		if !near(r.P, want, 1e-9) {
			t.Errorf("%v vs %v: p = %.6f, brute force %.6f", c[0], c[1], r.P, want)
		}
		// With ties the null distribution is not symmetric: the
		// p-value must still not depend on the order of the samples.
		if r2, _ := Test(c[1], c[0], DefaultAlpha); !near(r2.P, r.P, 1e-12) {
			t.Errorf("%v vs %v: p = %v one way, %v the other", c[0], c[1], r.P, r2.P)
		}
	}
}

// Large samples use the normal approximation with tie and continuity
// correction; check it against the textbook formula.
func TestNormalApproximation(t *testing.T) {
	var base, cur []float64
	for i := 0; i < 30; i++ {
		base = append(base, float64(i%4))     // 0..3, many ties
		cur = append(cur, float64((i+1)%4)+1) // 1..4
	}
	r, err := Test(base, cur, DefaultAlpha)
	if err != nil {
		t.Fatal(err)
	}
	// U of base, mid-ranks.
	var u float64
	for _, b := range base {
		for _, c := range cur {
			switch {
			case b > c:
				u++
			case b == c:
				u += 0.5
			}
		}
	}
	n, m := 30.0, 30.0
	N := n + m
	counts := map[float64]float64{}
	for _, x := range append(append([]float64(nil), base...), cur...) {
		counts[x]++
	}
	var tie float64
	for _, c := range counts {
		tie += c*c*c - c
	}
	sd := math.Sqrt(n * m / 12 * ((N + 1) - tie/(N*(N-1))))
	z := (math.Abs(u-n*m/2) - 0.5) / sd
	want := math.Erfc(z / math.Sqrt2)
	if !near(r.P, want, 1e-9) {
		t.Errorf("p = %v, formula %v", r.P, want)
	}
	if !r.Significant {
		t.Errorf("a shift of one step over 30 samples is significant: p=%v", r.P)
	}
}

func TestTooFewForSignificance(t *testing.T) {
	cases := []struct {
		n, m     int
		minP     float64
		possible bool
	}{
		{1, 1, 1, false},
		{2, 2, 2.0 / 6, false},
		{3, 3, 0.1, false},
		{3, 4, 2.0 / 35, false},
		{3, 5, 2.0 / 56, true},
		{4, 4, 2.0 / 70, true},
		{5, 5, 2.0 / 252, true},
	}
	for _, c := range cases {
		if got := MinP(c.n, c.m); !near(got, c.minP, 1e-12) {
			t.Errorf("MinP(%d,%d) = %v, want %v", c.n, c.m, got, c.minP)
		}
		// The most extreme samples of these sizes.
		var base, cur []float64
		for i := 0; i < c.n; i++ {
			base = append(base, float64(i))
		}
		for i := 0; i < c.m; i++ {
			cur = append(cur, float64(100+i))
		}
		r, err := Test(base, cur, DefaultAlpha)
		if err != nil {
			t.Fatal(err)
		}
		if r.Possible != c.possible || r.Significant != c.possible {
			t.Errorf("%dv%d: possible=%v significant=%v (p=%v), want %v", c.n, c.m, r.Possible, r.Significant, r.P, c.possible)
		}
		if !near(r.P, c.minP, 1e-9) {
			t.Errorf("%dv%d: separated samples p=%v, want the minimum %v", c.n, c.m, r.P, c.minP)
		}
	}
}

// Samples of one distribution are significant at about the test's level
// (at most α; for 5 v 5 the exact test's attainable level below 0.05 is
// 8/252 ≈ 3.2%); shifted ones almost always.
func TestFalseAndTruePositiveRates(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 42))
	draw := func(n int, shift, tail float64) []float64 {
		xs := make([]float64, n)
		for i := range xs {
			// Latency-like: a log-normal body with a rare long tail.
			x := math.Exp(rng.NormFloat64()*0.1) * 8
			if rng.Float64() < tail {
				x *= 3
			}
			xs[i] = x + shift
		}
		return xs
	}
	const trials = 4000
	equal, shifted := 0, 0
	for i := 0; i < trials; i++ {
		if r, _ := Test(draw(5, 0, 0.05), draw(5, 0, 0.05), DefaultAlpha); r.Significant {
			equal++
		}
		// A shift of 4 ms on 8 ms (about 5 standard deviations of
		// the body).
		if r, _ := Test(draw(5, 0, 0), draw(5, 4, 0), DefaultAlpha); r.Significant {
			shifted++
		}
	}
	fp := float64(equal) / trials
	if fp > DefaultAlpha || fp < 0.015 {
		t.Errorf("equal distributions significant in %.2f%% of trials, want about 3.2%% (≤ 5%%)", fp*100)
	}
	if tp := float64(shifted) / trials; tp < 0.95 {
		t.Errorf("shifted distributions significant in only %.2f%% of trials", tp*100)
	}
	t.Logf("false positives %.2f%%, detected shifts %.2f%%", fp*100, float64(shifted)/trials*100)
}

func TestMedianAndCI(t *testing.T) {
	if m := Median([]float64{3, 1, 2}); m != 2 {
		t.Errorf("median = %v", m)
	}
	if m := Median([]float64{4, 1, 3, 2}); m != 2.5 {
		t.Errorf("median = %v", m)
	}
	if !math.IsNaN(Median(nil)) {
		t.Error("median of nothing is not NaN")
	}
	xs := func(n int) []float64 {
		s := make([]float64, n)
		for i := range s {
			s[i] = float64(n - i) // reversed: MedianCI sorts
		}
		return s
	}
	cases := []struct {
		n      int
		lo, hi float64
		level  float64
	}{
		// Textbook: the 95% interval of the median of 10 values is
		// x(2)..x(9), coverage 1 - 2·11/1024.
		{10, 2, 9, 1 - 22.0/1024},
		{6, 1, 6, 1 - 2.0/64},
		// Five values cannot reach 95%: min..max covers 1 - 2/32.
		{5, 1, 5, 1 - 2.0/32},
		{2, 1, 2, 0.5},
		{1, 1, 1, 0},
	}
	for _, c := range cases {
		iv, ok := MedianCI(xs(c.n), DefaultConfidence)
		if !ok || iv.Lo != c.lo || iv.Hi != c.hi || !near(iv.Level, c.level, 1e-12) {
			t.Errorf("n=%d: %+v, want [%v,%v] at %v", c.n, iv, c.lo, c.hi, c.level)
		}
	}
	if _, ok := MedianCI(nil, DefaultConfidence); ok {
		t.Error("an interval for no values")
	}
}

func TestShift(t *testing.T) {
	r, err := Test([]float64{1, 2, 3}, []float64{11, 12, 13}, DefaultAlpha)
	if err != nil || r.Shift != 10 {
		t.Errorf("shift = %v (%v)", r.Shift, err)
	}
	if _, err := Test(nil, []float64{1}, DefaultAlpha); err == nil {
		t.Error("an empty sample is not an error")
	}
}

// TestSlope: an exact line has its slope and no uncertainty; a noisy one
// has the least-squares slope, its standard error (0.305) times Student's
// t for 3 degrees of freedom at 95% (3.1824); too few points is no fit.
func TestSlope(t *testing.T) {
	b, half, ok := Slope([]float64{0, 1, 2, 3}, []float64{3, 5, 7, 9}, 0.95)
	if !ok || !near(b, 2, 1e-12) || !near(half, 0, 1e-9) {
		t.Errorf("exact line: %v ± %v (%v)", b, half, ok)
	}
	b, half, ok = Slope([]float64{1, 2, 3, 4, 5}, []float64{1, 2, 1.3, 3.75, 2.25}, 0.95)
	if !ok || !near(b, 0.425, 1e-12) || !near(half, 0.305*3.182446, 1e-4) {
		t.Errorf("noisy line: %v ± %v (%v)", b, half, ok)
	}
	if _, _, ok := Slope([]float64{1, 2}, []float64{1, 2}, 0.95); ok {
		t.Error("two points fitted")
	}
	if _, _, ok := Slope([]float64{1, 1, 1}, []float64{1, 2, 3}, 0.95); ok {
		t.Error("one x fitted")
	}
}
