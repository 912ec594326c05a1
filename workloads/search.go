package workloads

import (
	"fmt"
	"time"
)

// Search defaults (see Search).
const (
	DefaultSearchPrecision = 0.05
	DefaultSearchMaxTime   = Duration(10 * time.Minute)
	// DefaultSearchSpan is max over start when max is not given.
	DefaultSearchSpan = 64
	// defaultSearchStart is the first rate when workload.rate is 0
	// (unthrottled), which cannot be a probe's rate.
	defaultSearchStart = 100
	// minSearchDuration gives the lag slope at least 3 readings (one a second, the last
	// one may fall after the producers stop).
	minSearchDuration = Duration(4 * time.Second)
)

// EnableSearch gives e a capacity search with every default when it has
// none (`kbench run --find-max`), and checks it; the error names the field.
func EnableSearch(e *Experiment) error {
	if e.Search == nil {
		e.Search = &Search{}
	}
	l := &loader{}
	c := &checker{l: l, e: e, pos: map[string]Pos{}}
	c.search()
	if len(l.errs) > 0 {
		return l.errs
	}
	return nil
}

// search fills the search's defaults from the experiment and checks it.
func (c *checker) search() {
	s := c.e.Search
	if s == nil {
		return
	}
	if s.Start == 0 {
		s.Start = c.e.Workload.Rate
		if s.Start == 0 {
			s.Start = defaultSearchStart
		}
	}
	if s.Max == 0 {
		s.Max = s.Start * DefaultSearchSpan
	}
	if s.Precision == 0 {
		s.Precision = DefaultSearchPrecision
	}
	if s.MaxTime == 0 {
		s.MaxTime = DefaultSearchMaxTime
	}
	if s.Start < 0 {
		c.errf("search.start", "must be a positive rate, got %g", s.Start)
	}
	if s.Max < s.Start {
		c.errf("search.max", "%g is below search.start (%g)", s.Max, s.Start)
	}
	if s.Precision < 0.01 || s.Precision > 0.5 {
		c.errf("search.precision", "must be 0.01 to 0.5 (a share: 0.05 is 5%%), got %g", s.Precision)
	}
	if probe := c.e.Warmup + c.e.Duration; s.MaxTime < probe {
		c.errf("search.max_time", "%s is shorter than one probe (warmup + duration = %s)", s.MaxTime, probe)
	}
	if len(c.e.Consumers) > 0 && c.e.Duration < minSearchDuration {
		c.errf("duration", "%s is too short for a search: a group's lag growth is a slope over per-second readings, at least %s", c.e.Duration, minSearchDuration)
	}
	if c.e.Workload.Shape.Kind != "constant" {
		c.errf("search", "a search probes constant rates; workload.shape.kind is %q", c.e.Workload.Shape.Kind)
	}
	if c.e.Workload.Messages > 0 {
		c.errf("search", "a search probes rates for a duration; remove workload.messages (%d)", c.e.Workload.Messages)
	}
	if c.e.Repeat > 1 {
		c.errf("search", "repeat (%d) with search: a search confirms its own answer; drop repeat", c.e.Repeat)
	}
	for i, g := range s.Objective {
		p := fmt.Sprintf("search.objective.%d", i)
		if g == badGate {
			continue
		}
		if err := checkGate(g, c.e); err != nil {
			c.l.errs = append(c.l.errs, errorAt(c.l.file, c.pos, p, err.Error()))
		}
	}
}
