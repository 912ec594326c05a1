package runner

import (
	"time"

	"github.com/kbench/kbench/internal/stats"
	"github.com/kbench/kbench/report"
)

// lagGrowth sets each group's lag.growth_per_s and growth_ci: the
// least-squares slope of its per-second lag readings taken between from
// and to (times since the pacing origin, i.e. the measured phase), with
// the half-width of the slope's 95% confidence interval. A slope, not the
// difference of two readings, so one slow commit at the end cannot make a
// steady group look like it falls behind. Left null with fewer than 3
// readings.
func lagGrowth(v *report.Variant, from, to time.Duration) {
	lo, hi := from.Seconds(), to.Seconds()
	for gi := range v.Consume.Groups {
		var xs, ys []float64
		for _, s := range v.Timeseries {
			if s.T < lo || s.T > hi+0.5 || gi >= len(s.GroupLag) {
				continue
			}
			xs = append(xs, s.T)
			ys = append(ys, float64(s.GroupLag[gi]))
		}
		b, half, ok := stats.Slope(xs, ys, stats.DefaultConfidence)
		if !ok {
			continue
		}
		lag := &v.Consume.Groups[gi].Lag
		lag.GrowthPerS = report.Float(round3(b))
		lag.GrowthCI = report.Float(round3(half))
	}
}
