package keying

import (
	"math"
	"slices"
)

// Skew of a load vector x_1..x_P over partitions (SPEC §5). It has the
// fields, names and meaning of report.Skew; the runner converts.
type Skew struct {
	// MaxMean = max / mean (1 is perfect balance, P is everything on one).
	MaxMean float64 `json:"max_mean"`
	// CoV = population stddev / mean.
	CoV float64 `json:"cov"`
	// Gini = ΣΣ|x_i-x_j| / (2 P² mean): 0 perfect, (P-1)/P all on one.
	Gini float64 `json:"gini"`
	// Jain = (Σx)² / (P Σx²): 1 perfect, 1/P all on one.
	Jain float64 `json:"jain"`
	// HottestShare = max / Σx.
	HottestShare float64 `json:"hottest_share"`
	// Idle = number of partitions with x_i = 0.
	Idle int `json:"idle"`
}

// ComputeSkew computes the skew figures of load. With no load at all
// (empty vector or Σx = 0) every ratio is 0 and Idle is len(load).
func ComputeSkew(load []int64) Skew {
	var s Skew
	p := len(load)
	if p == 0 {
		return s
	}
	var sum, sumSq float64
	var maxV int64
	for _, x := range load {
		if x == 0 {
			s.Idle++
		}
		if x > maxV {
			maxV = x
		}
		f := float64(x)
		sum += f
		sumSq += f * f
	}
	if sum == 0 {
		return s
	}
	n := float64(p)
	mean := sum / n
	s.MaxMean = float64(maxV) / mean
	variance := sumSq/n - mean*mean
	if variance < 0 { // rounding
		variance = 0
	}
	s.CoV = math.Sqrt(variance) / mean
	s.Jain = sum * sum / (n * sumSq)
	s.HottestShare = float64(maxV) / sum

	// ΣΣ|x_i-x_j| over ordered pairs = 2 Σ_i (2i-P+1) x_(i) for x sorted
	// ascending, 0-based i.
	sorted := slices.Clone(load)
	slices.Sort(sorted)
	var acc float64
	for i, x := range sorted {
		acc += float64(2*i-p+1) * float64(x)
	}
	s.Gini = 2 * acc / (2 * n * n * mean)
	return s
}
