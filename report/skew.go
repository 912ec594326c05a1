package report

import "math"

// computeSkew derives the skew figures of a load vector (SPEC §5):
// max_mean = max/mean, cov = stddev/mean (population), gini =
// ΣΣ|x_i-x_j| / (2 P² mean), jain = (Σx)² / (P Σx²), hottest_share =
// max/Σx, idle = #{x_i = 0}. An empty or all-zero vector gives zero figures
// except idle.
//
// keying.ComputeSkew is the canonical implementation for offline analysis;
// this private copy keeps report free of an import on keying (which builds
// on report's types) and is used when merging shard results.
func computeSkew(load []int64) Skew {
	var s Skew
	p := float64(len(load))
	if p == 0 {
		return s
	}
	var sum, sumSq, max float64
	for _, x := range load {
		f := float64(x)
		sum += f
		sumSq += f * f
		if f > max {
			max = f
		}
		if x == 0 {
			s.Idle++
		}
	}
	if sum == 0 {
		return s
	}
	mean := sum / p
	variance := sumSq/p - mean*mean
	if variance < 0 {
		variance = 0
	}
	var absDiff float64
	for _, a := range load {
		for _, b := range load {
			absDiff += math.Abs(float64(a) - float64(b))
		}
	}
	s.MaxMean = max / mean
	s.CoV = math.Sqrt(variance) / mean
	s.Gini = absDiff / (2 * p * p * mean)
	s.Jain = sum * sum / (p * sumSq)
	s.HottestShare = max / sum
	return s
}
