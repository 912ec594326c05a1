package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/verdict"
	"github.com/kbench/kbench/workloads"
)

// Steadiness bounds of a probe (see workloads.Search).
const (
	// achievedShare: a probe whose acknowledged rate is below this share
	// of its target did not run at its rate.
	achievedShare = 0.99
	// sendDelayFloor and sendDelayShare bound the send delay p99: the
	// larger of the floor and this share of the measured duration.
	sendDelayFloor = 100 * time.Millisecond
	sendDelayShare = 0.10
	// lagGrowthShare: a group's lag grows materially when its slope
	// exceeds this share of the probe's rate (and is above 0 with 95%
	// confidence); a smaller slope is a group that keeps up.
	lagGrowthShare = 0.01
	// searchGrowth multiplies the rate while every probe passes.
	searchGrowth = 2
	// maxConfirms bounds how often a failed confirmation sends the search
	// back down.
	maxConfirms = 3
	// probeSlack is the set-up and teardown time a probe needs beyond its
	// warmup and duration, for the max_time budget before one is measured.
	probeSlack = 5 * time.Second
)

// searched reports whether a variant of plan asks for a capacity search.
func searched(plan *workloads.Plan) bool {
	for _, v := range plan.Variants {
		if v.Exp.Search != nil {
			return true
		}
	}
	return false
}

// runSearches runs every variant of plan: a variant with a search runs as
// a series of probes (searchVariant), any other runs once. Each probe is
// a run of its own (runOnce) on a fresh topic and fresh groups, on a
// freshly started embedded broker when no cluster is given, so no backlog
// or broker state carries from one probe to the next. On an error or an
// interruption the probes done so far are kept.
func runSearches(ctx context.Context, plan *workloads.Plan, opt Options) (*report.Result, error) {
	if opt.Log == nil {
		opt.Log = io.Discard
	}
	res := &report.Result{
		Schema:      report.Schema,
		Experiment:  plan.Name,
		Description: plan.Description,
		StartedAt:   time.Now().UTC(),
		Variants:    []report.Variant{},
	}
	for i := range plan.Variants {
		v := plan.Variants[i]
		var (
			rv  *report.Variant
			err error
		)
		if v.Exp.Search == nil {
			rv, err = runProbe(ctx, plan, v, opt, res)
		} else {
			rv, err = searchVariant(ctx, plan, v, opt, res)
		}
		if rv != nil {
			res.Variants = append(res.Variants, *rv)
		}
		if err != nil {
			return res, err
		}
	}
	res.Complete = true
	res.Passed = true
	return res, nil
}

// runProbe runs one variant once as a plan of its own and returns its
// figures (nil when nothing was measured); the first run's broker
// description goes into res.
func runProbe(ctx context.Context, plan *workloads.Plan, v workloads.Variant, opt Options, res *report.Result) (*report.Variant, error) {
	one := *plan
	one.Variants = []workloads.Variant{v}
	r, err := runOnce(ctx, &one, opt)
	if res.Broker.Kind == "" {
		res.Broker = r.Broker
	}
	if len(r.Variants) == 0 {
		return nil, err
	}
	return &r.Variants[0], err
}

// searcher is the state of one variant's capacity search.
type searcher struct {
	ctx      context.Context
	plan     *workloads.Plan
	v        workloads.Variant
	opt      Options
	res      *report.Result
	cfg      *workloads.Search
	gates    []verdict.Gate
	deadline time.Time
	probeDur time.Duration // the longest probe so far, set-up included

	out   report.Search
	best  *report.Variant // figures of the highest passing probe
	fig   map[float64]*report.Variant
	lo    float64 // highest passing rate (0: none)
	hi    float64 // lowest failing rate (0: none)
	hiWhy report.Probe
}

// errSearchTime stops a search whose max_time cannot fit another probe.
var errSearchTime = errors.New("search.max_time reached")

// searchVariant finds the highest rate v sustains within its objective:
// it doubles the rate from search.start until a probe fails (or halves it
// while the first probes fail), bisects between the highest passing and
// the lowest failing rate until they are within search.precision, and
// confirms the answer with one more probe at it. A failed confirmation
// makes that rate failing and the search continues below it.
func searchVariant(ctx context.Context, plan *workloads.Plan, v workloads.Variant, opt Options, res *report.Result) (*report.Variant, error) {
	cfg := v.Exp.Search
	gates, err := verdict.ParseGates(cfg.Objective)
	if err != nil { // validated when the file loaded: a bug
		return nil, err
	}
	s := &searcher{
		ctx: ctx, plan: plan, v: v, opt: opt, res: res, cfg: cfg, gates: gates,
		deadline: time.Now().Add(cfg.MaxTime.D()),
		probeDur: v.Exp.Warmup.D() + v.Exp.Duration.D() + probeSlack,
		fig:      map[float64]*report.Variant{},
	}
	err = s.run()
	switch {
	case errors.Is(err, errSearchTime):
		s.out.LimitedBy = "max_time"
		err = nil
	case errors.Is(err, ErrInterrupted):
		s.out.LimitedBy = "interrupted"
	case err != nil:
		s.out.LimitedBy = "error: " + err.Error()
	case s.hi > 0:
		s.out.LimitedBy = firstReason(s.hiWhy.Reason)
		s.out.ClientLimited = s.hiWhy.ClientLimited
	default:
		s.out.LimitedBy = "search.max"
	}
	if s.lo > 0 {
		s.out.MaxSustainableMsgsPerS = report.Float(math.Round(s.lo))
	}
	fmt.Fprintf(opt.Log, "search %s: max sustainable %s msg/s (limited by %s)\n", v.Name, rateText(s.out.MaxSustainableMsgsPerS), s.out.LimitedBy)
	rv := s.best
	if rv == nil && len(s.out.Probes) > 0 {
		rv = s.fig[s.out.Probes[0].Rate]
	}
	if rv == nil {
		rv = &report.Variant{Gates: []report.GateResult{}}
	}
	rv.Name, rv.Params = v.Name, v.Params
	out := s.out
	rv.Search = &out
	return rv, err
}

func rateText(r *float64) string {
	if r == nil {
		return "-"
	}
	return fmt.Sprintf("%.0f", *r)
}

// firstReason is the first of a probe's "; "-joined reasons.
func firstReason(r string) string {
	first, _, _ := strings.Cut(r, "; ")
	return first
}

// run is the search proper: grow, bisect, confirm.
func (s *searcher) run() error {
	rate := math.Min(s.cfg.Start, s.cfg.Max)
	floor := rate / math.Pow(searchGrowth, 6)
	for { // grow (or shrink while nothing passed yet)
		p, err := s.probe(rate, false)
		if err != nil {
			return err
		}
		if p.Passed {
			if rate >= s.cfg.Max {
				return nil
			}
			if s.hi > 0 {
				break
			}
			rate = math.Min(rate*searchGrowth, s.cfg.Max)
			continue
		}
		if s.lo > 0 {
			break
		}
		if rate /= searchGrowth; rate < floor {
			return nil // nothing sustainable above start/64
		}
	}
	for confirms := 0; ; confirms++ {
		for s.hi/s.lo > 1+s.cfg.Precision {
			if _, err := s.probe(math.Sqrt(s.lo*s.hi), false); err != nil {
				return err
			}
		}
		if confirms == maxConfirms {
			return nil
		}
		p, err := s.probe(s.lo, true)
		if err != nil || p.Passed {
			s.out.Confirmed = err == nil
			return err
		}
		// The answer did not hold twice: the highest rate that passed
		// below it is the new lower bound.
		s.lo = 0
		s.best = nil
		for _, q := range s.out.Probes {
			if q.Passed && q.Rate < s.hi && q.Rate > s.lo {
				s.lo, s.best = q.Rate, s.fig[q.Rate]
			}
		}
		if s.lo == 0 {
			return nil
		}
	}
}

// probe runs the variant at rate (rounded to 0.1 msg/s), judges it and
// moves the bounds.
func (s *searcher) probe(rate float64, confirm bool) (report.Probe, error) {
	rate = math.Round(rate*10) / 10
	if time.Now().Add(s.probeDur).After(s.deadline) {
		return report.Probe{}, errSearchTime
	}
	v := s.v
	exp := *v.Exp
	exp.Workload.Rate = rate
	exp.Workload.Shape = workloads.Shape{Kind: "constant"}
	v.Exp = &exp
	n := len(s.out.Probes) + 1
	v.Name = fmt.Sprintf("%s (probe %d @ %g msg/s)", s.v.Name, n, rate)
	began := time.Now()
	opt := s.opt
	opt.probe = &ProbeInfo{Index: n, Rate: rate, Variant: s.v.Name}
	rv, err := runProbe(s.ctx, s.plan, v, opt, s.res)
	if d := time.Since(began); d > s.probeDur {
		s.probeDur = d
	}
	if err != nil {
		// An interrupted or failed probe is no evidence either way.
		return report.Probe{}, err
	}
	p := judge(rv, rate, s.gates, exp.Duration.D())
	p.Confirm = confirm
	s.out.Probes = append(s.out.Probes, p)
	s.fig[rate] = rv
	s.logProbe(n, p)
	if p.Passed {
		if rate >= s.lo {
			s.lo, s.best = rate, rv
		}
	} else if s.hi == 0 || rate <= s.hi {
		s.hi, s.hiWhy = rate, p
	}
	return p, nil
}

// logProbe prints the progress line of one probe.
func (s *searcher) logProbe(n int, p report.Probe) {
	verdict := "passed"
	if !p.Passed {
		verdict = "failed: " + p.Reason
	}
	if p.Confirm {
		verdict = "confirm " + verdict
	}
	fmt.Fprintf(s.opt.Log, "search %s: probe %d at %g msg/s: achieved %.0f msg/s, lag growth %s msg/s, %s\n",
		s.v.Name, n, p.Rate, p.AchievedMsgsPerS, growthText(p), verdict)
}

func growthText(p report.Probe) string {
	if p.LagGrowthPerS == nil {
		return "-"
	}
	return fmt.Sprintf("%.1f±%.1f", *p.LagGrowthPerS, *p.LagGrowthCI)
}
