package merge

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kbench/kbench/report"
)

// DefaultHistory is how many stored results `kbench compare --history`
// takes as the baseline.
const DefaultHistory = 5

// HistoryBaseline makes the baseline of `kbench compare --history` from
// stored results of the same experiment (oldest first): per variant, each
// result's figure (its median, for a result of repeated runs) is one sample,
// and the baseline figure is the median of those (CombineRuns).
//
// One sample per stored result, not every run of every result pooled: the
// results come from different CI jobs, and jobs differ more from each other
// (machine, neighbours, time of day) than the runs within one job. Pooled,
// 25 runs of five jobs would look like 25 independent samples and the test
// would flag the ordinary drift between jobs; one median per job makes the
// test ask whether the new job is unlike the recent jobs.
func HistoryBaseline(results []*report.Result) (*report.Result, error) {
	if len(results) == 0 {
		return nil, fmt.Errorf("history: no results")
	}
	last := results[len(results)-1]
	out := &report.Result{Schema: report.Schema, Experiment: last.Experiment, Description: last.Description,
		StartedAt: last.StartedAt, Complete: true, Broker: last.Broker, Passed: true}
	var names []string
	byName := map[string][]report.Variant{}
	for _, r := range results {
		for _, v := range r.Variants {
			if byName[v.Name] == nil {
				names = append(names, v.Name)
			}
			one := v
			one.Repeats = nil // the result's own runs: its median stands for it
			byName[v.Name] = append(byName[v.Name], one)
		}
	}
	for _, name := range names {
		runs := byName[name]
		v, err := CombineRuns(runs)
		if err != nil {
			return nil, fmt.Errorf("history: %w", err)
		}
		if len(runs) == 1 {
			v.Repeats = nil
		}
		out.Variants = append(out.Variants, v)
	}
	return out, nil
}

// ReadHistory reads the stored results of a directory for `kbench compare
// --history`: every *.json file in dir and every result.json one level
// below (a directory per CI job), that is a kbench result of the given
// experiment and is complete, ordered by start time; the last k are
// returned, with the paths they came from. The result exclude (the new
// one, when it is stored in dir too) is left out.
func ReadHistory(dir, experiment string, k int, exclude *report.Result) ([]*report.Result, []string, error) {
	var files []string
	for _, pat := range []string{"*.json", filepath.Join("*", "result.json")} {
		m, err := filepath.Glob(filepath.Join(dir, pat))
		if err != nil {
			return nil, nil, err
		}
		files = append(files, m...)
	}
	if _, err := os.Stat(dir); err != nil {
		return nil, nil, fmt.Errorf("history: %w", err)
	}
	type entry struct {
		r    *report.Result
		path string
	}
	var es []entry
	for _, f := range files {
		r, err := report.ReadResult(f)
		if err != nil {
			continue // not a result: other files may live there
		}
		if r.Experiment != experiment || !r.Complete {
			continue
		}
		if exclude != nil && r.StartedAt.Equal(exclude.StartedAt) && r.Experiment == exclude.Experiment {
			continue
		}
		es = append(es, entry{r, f})
	}
	if len(es) == 0 {
		return nil, nil, fmt.Errorf("history: no complete result of experiment %q in %s (looked at *.json and */result.json)", experiment, dir)
	}
	sort.SliceStable(es, func(i, j int) bool { return es[i].r.StartedAt.Before(es[j].r.StartedAt) })
	if k > 0 && len(es) > k {
		es = es[len(es)-k:]
	}
	rs := make([]*report.Result, len(es))
	paths := make([]string, len(es))
	for i, e := range es {
		rs[i], paths[i] = e.r, e.path
	}
	return rs, paths, nil
}

// HistoryLabel names a history baseline in comparisons.
func HistoryLabel(dir string, paths []string) string {
	names := make([]string, len(paths))
	for i, p := range paths {
		if rel, err := filepath.Rel(dir, p); err == nil {
			p = rel
		}
		names[i] = p
	}
	return fmt.Sprintf("history %s: median of the last %d result(s) (%s)", dir, len(paths), strings.Join(names, ", "))
}
