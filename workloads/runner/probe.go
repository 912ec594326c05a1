package runner

import (
	"fmt"
	"strings"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
)

// judge decides one probe at rate from its figures: it passes when the
// objective holds and the run was steady. Client-limited reasons come
// first: a generator that did not reach its target says nothing about the
// setup.
func judge(v *report.Variant, rate float64, objective []verdict.Gate, dur time.Duration) report.Probe {
	p := report.Probe{
		Rate:             rate,
		AchievedMsgsPerS: round3(v.Produce.Throughput.MsgsPerS),
		DurationS:        v.DurationS,
		LatencyP99Ms:     p99(v.Produce.Latency),
		SendDelayP99Ms:   p99(v.Produce.SendDelay),
		E2EP99Ms:         p99(v.E2E.Latency),
	}
	for _, s := range v.Timeseries {
		p.Lag = append(p.Lag, s.Lag)
	}
	var client, setup []string
	if a := v.Produce.Throughput.MsgsPerS; a < achievedShare*rate {
		client = append(client, fmt.Sprintf("client-limited: achieved %.0f of %g msg/s", a, rate))
	}
	bound := max(sendDelayFloor, time.Duration(sendDelayShare*float64(dur)))
	if d := p.SendDelayP99Ms; d != nil && *d > float64(bound.Milliseconds()) {
		client = append(client, fmt.Sprintf("client-limited: send delay p99 %.0f ms > %d ms", *d, bound.Milliseconds()))
	}
	if u := v.Produce.Unsent; float64(u) > (1-achievedShare)*rate*dur.Seconds() {
		client = append(client, fmt.Sprintf("client-limited: %d messages never sent", u))
	}
	if v.Produce.Errors > 0 {
		setup = append(setup, fmt.Sprintf("%d produce errors", v.Produce.Errors))
	}
	for _, g := range v.Consume.Groups {
		gr := g.Lag.GrowthPerS
		if gr == nil {
			setup = append(setup, fmt.Sprintf("lag growth of group %s not measured", g.Group))
			continue
		}
		if p.LagGrowthPerS == nil || *gr > *p.LagGrowthPerS {
			p.LagGrowthPerS, p.LagGrowthCI = report.Float(*gr), report.Float(*g.Lag.GrowthCI)
		}
		if *gr-*g.Lag.GrowthCI > 0 && *gr > lagGrowthShare*rate {
			setup = append(setup, fmt.Sprintf("lag growing: group %s +%.0f±%.0f msg/s", g.Group, *gr, *g.Lag.GrowthCI))
		}
	}
	for _, g := range objective {
		r := g.Eval(v)
		switch {
		case r.Error != "":
			setup = append(setup, "objective "+g.Expr+": "+r.Error)
		case !r.Pass:
			setup = append(setup, fmt.Sprintf("objective %s: %g", g.Expr, r.Value))
		}
	}
	p.ClientLimited = len(client) > 0
	p.Passed = len(client)+len(setup) == 0
	p.Reason = strings.Join(append(client, setup...), "; ")
	return p
}

// p99 is a latency's p99, nil without samples.
func p99(l report.Latency) *float64 {
	if l.Count == 0 {
		return nil
	}
	return report.Float(l.P99)
}
