// Package stats holds the statistics kbench applies to repeated runs: the
// median of a figure's samples with its confidence interval, and the
// two-sided Mann–Whitney U test that tells a real change from run-to-run
// noise (the test Go's benchstat uses; computed by go-moremath, the
// library benchstat is built on).
package stats

import (
	"errors"
	"math"
	"sort"

	mm "github.com/aclements/go-moremath/stats"
)

// DefaultAlpha is the significance level of Test unless told otherwise: a
// difference counts only when a difference at least this large would
// arise by chance in fewer than 5% of comparisons of equal distributions.
const DefaultAlpha = 0.05

// DefaultConfidence is the level asked of MedianCI.
const DefaultConfidence = 0.95

// Median is the middle value of xs (the mean of the two middle values for
// an even count); NaN for no values.
func Median(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := sorted(xs)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func sorted(xs []float64) []float64 {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return s
}

// Interval is a confidence interval of a median.
type Interval struct {
	Lo, Hi float64
	// Level is the interval's actual coverage (0..1). Intervals are
	// bounded by order statistics, so the coverage is one of a few values
	// for a given n; it is the asked level or more, unless the sample is
	// too small to reach it (n ≤ 5 for 95%): the interval is then the
	// whole sample, min..max, and Level says how much less it covers
	// (93.75% for n=5, 0 for n=1).
	Level float64
}

// MedianCI returns the distribution-free confidence interval of the median
// of xs at the asked level: the narrowest pair of order statistics
// x(k)..x(n+1-k) whose binomial coverage reaches it (no assumption about
// the distribution, deterministic). With too few values to reach the
// level, min..max and its lower coverage. ok is false for no values.
func MedianCI(xs []float64, level float64) (iv Interval, ok bool) {
	n := len(xs)
	if n == 0 {
		return Interval{}, false
	}
	s := sorted(xs)
	ci := mm.QuantileCI(n, 0.5, level)
	lo, hi := ci.LoOrder, ci.HiOrder
	if lo < 1 || hi > n {
		// The asked level needs more values: the whole sample is
		// the best interval there is.
		lo, hi = 1, n
	}
	// Coverage of [x(lo), x(hi)]: the population median lies between
	// them when between lo and hi-1 values fall below it.
	b := mm.BinomialDist{N: n, P: 0.5}
	cov := b.CDF(float64(hi-1)) - b.CDF(float64(lo-1))
	return Interval{Lo: s[lo-1], Hi: s[hi-1], Level: cov}, true
}

// Result is the outcome of Test.
type Result struct {
	// N and M are the sample sizes (base, current).
	N, M int
	// P is the two-sided p-value: the probability, were both samples drawn
	// from one distribution, of a rank difference at least as large.
	P float64
	// MinP is the smallest p-value the test can give for these sizes (the
	// two samples not overlapping at all): 2/C(n+m, n).
	MinP float64
	// Possible is false when MinP > alpha: the samples are too small for
	// any difference to be significant (n=m=3 gives at best 0.1, so at
	// least 4 runs a side, or 3 against 5, are needed at α=0.05).
	Possible bool
	// Significant: P < alpha (never when !Possible).
	Significant bool
	// Shift is the Hodges–Lehmann estimate of how far current lies above
	// base: the median of every pairwise difference cur[j]-base[i].
	Shift float64
}

// ErrTooFew is returned for an empty sample.
var ErrTooFew = errors.New("stats: a sample is empty")

// Test runs the two-sided Mann–Whitney U test of base against cur at
// significance level alpha. The p-value is exact for samples of up to 25
// (computed over the tie pattern, so repeated equal values are handled
// exactly) and otherwise from the normal approximation with tie and
// continuity correction. All values equal on both sides: P is 1.
func Test(base, cur []float64, alpha float64) (Result, error) {
	r := Result{N: len(base), M: len(cur), P: 1}
	if r.N == 0 || r.M == 0 {
		return r, ErrTooFew
	}
	r.MinP = MinP(r.N, r.M)
	r.Possible = r.MinP <= alpha
	r.Shift = hodgesLehmann(base, cur)
	// Two-sided p as twice the smaller one-sided tail: with ties the null
	// distribution is not symmetric, and the library's own two-sided
	// p-value then depends on which sample comes first.
	less, err := mm.MannWhitneyUTest(base, cur, mm.LocationLess)
	switch {
	case errors.Is(err, mm.ErrSamplesEqual):
		return r, nil
	case err != nil:
		return r, err
	}
	greater, err := mm.MannWhitneyUTest(base, cur, mm.LocationGreater)
	if err != nil {
		return r, err
	}
	r.P = math.Min(1, 2*math.Min(less.P, greater.P))
	r.Significant = r.Possible && r.P < alpha
	return r, nil
}

// MinP is the smallest two-sided p-value of the Mann–Whitney U test for
// sample sizes n and m: the probability 2/C(n+m, n) of the most extreme
// ranking.
func MinP(n, m int) float64 {
	if n <= 0 || m <= 0 {
		return 1
	}
	// C(n+m, n) as a product, in floating point (exact enough; the
	// value only decides a comparison with alpha).
	c := 1.0
	for i := 1; i <= n; i++ {
		c = c * float64(m+i) / float64(i)
	}
	return math.Min(1, 2/c)
}

// hodgesLehmann is the median of all pairwise differences cur-base.
func hodgesLehmann(base, cur []float64) float64 {
	d := make([]float64, 0, len(base)*len(cur))
	for _, b := range base {
		for _, c := range cur {
			d = append(d, c-b)
		}
	}
	return Median(d)
}

// Slope fits y = a + b·x by least squares and returns b with the
// half-width of its confidence interval at level (Student's t with n-2
// degrees of freedom times b's standard error). ok is false with fewer
// than 3 points or when every x is the same.
func Slope(xs, ys []float64, level float64) (b, half float64, ok bool) {
	n := len(xs)
	if n < 3 || len(ys) != n {
		return 0, 0, false
	}
	var mx, my float64
	for i := range xs {
		mx += xs[i]
		my += ys[i]
	}
	mx /= float64(n)
	my /= float64(n)
	var sxx, sxy float64
	for i := range xs {
		dx := xs[i] - mx
		sxx += dx * dx
		sxy += dx * (ys[i] - my)
	}
	if sxx == 0 {
		return 0, 0, false
	}
	b = sxy / sxx
	a := my - b*mx
	var sse float64
	for i := range xs {
		r := ys[i] - a - b*xs[i]
		sse += r * r
	}
	se := math.Sqrt(sse / float64(n-2) / sxx)
	t := mm.InvCDF(mm.TDist{V: float64(n - 2)})(1 - (1-level)/2)
	return b, t * se, true
}
