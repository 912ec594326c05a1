package workloads

import (
	"strings"
	"testing"
	"time"
)

// TestSearchDefaultsAndErrors: a search block takes its defaults from the
// experiment, and every bad field is a positioned error before any load.
func TestSearchDefaultsAndErrors(t *testing.T) {
	p := mustLoad(t, "workload: {rate: 400}\nsearch: {objective: [\"produce.latency_ms.p99 < 50\"]}\n")
	s := p.Variants[0].Exp.Search
	if s == nil || s.Start != 400 || s.Max != 400*DefaultSearchSpan || s.Precision != DefaultSearchPrecision || s.MaxTime != DefaultSearchMaxTime || len(s.Objective) != 1 {
		t.Fatalf("search %+v", s)
	}
	if p := mustLoad(t, "name: x\n"); p.Variants[0].Exp.Search != nil {
		t.Fatal("a file without search: has a search")
	}
	got := errLines(t, `duration: 2s
search:
  objective:
    - bogus.x < 1
    - consume.groups.nosuch.lag.growth_per_s <= 0
  start: 100
  max: 50
  precision: 0.9
  max_time: 1s
`)
	want := []string{
		`x.yaml:1:11: duration: 2s is too short for a search`,
		`x.yaml:4:7: gate "bogus.x < 1": column 1: unknown field "bogus"`,
		`x.yaml:5:7: gate "consume.groups.nosuch.lag.growth_per_s <= 0": no consumer group "nosuch"`,
		`x.yaml:7:8: search.max: 50 is below search.start (100)`,
		`x.yaml:8:14: search.precision: must be 0.01 to 0.5`,
		`x.yaml:9:13: search.max_time: 1s is shorter than one probe`,
	}
	for _, w := range want {
		found := false
		for _, g := range got {
			found = found || strings.HasPrefix(g, w)
		}
		if !found {
			t.Errorf("no error %q in\n%s", w, strings.Join(got, "\n"))
		}
	}
	if got := errLines(t, "repeat: 3\nsearch: {}\n"); len(got) != 1 || !strings.Contains(got[0], "repeat (3) with search") {
		t.Errorf("repeat with search: %q", got)
	}
}

// TestEnableSearch: --find-max gives a file without search: the defaults,
// and keeps a file's own search.
func TestEnableSearch(t *testing.T) {
	p := mustLoad(t, "workload: {rate: 0}\n")
	e := p.Variants[0].Exp
	if err := EnableSearch(e); err != nil {
		t.Fatal(err)
	}
	if e.Search.Start != defaultSearchStart || e.Search.MaxTime != Duration(10*time.Minute) {
		t.Errorf("search %+v", e.Search)
	}
	p = mustLoad(t, "search: {start: 10, max: 20}\n")
	e = p.Variants[0].Exp
	if err := EnableSearch(e); err != nil || e.Search.Start != 10 || e.Search.Max != 20 {
		t.Errorf("search %+v (%v)", e.Search, err)
	}
	p = mustLoad(t, "workload: {shape: {kind: ramp, from: 1, to: 2, over: 1s}}\n")
	if err := EnableSearch(p.Variants[0].Exp); err == nil || !strings.Contains(err.Error(), "constant rates") {
		t.Errorf("a ramp with --find-max: %v", err)
	}
}
