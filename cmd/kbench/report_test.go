package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
)

const fixture = "../../report/render/testdata/quickstart.json"

// modified writes a copy of the fixture changed by f.
func modified(t *testing.T, name string, f func(r *report.Result)) string {
	t.Helper()
	r, err := report.ReadResult(fixture)
	if err != nil {
		t.Fatal(err)
	}
	f(r)
	path := filepath.Join(t.TempDir(), name)
	if err := report.WriteResult(path, r); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestReportCommand(t *testing.T) {
	for _, f := range []string{"text", "json", "csv", "markdown", "html"} {
		r := runKbench(t, "report", fixture, "--format", f)
		if r.code != 0 || len(r.stdout) < 500 {
			t.Errorf("%s: exit %d, %d bytes, %s", f, r.code, len(r.stdout), r.stderr)
		}
	}
	dir := t.TempDir()
	out := filepath.Join(dir, "r.html")
	if r := runKbench(t, "report", fixture, "--format", "html", "-o", out, "--hgrm", filepath.Join(dir, "hgrm")); r.code != 0 || r.stdout != "" {
		t.Fatalf("-o: exit %d stdout %q stderr %s", r.code, r.stdout, r.stderr)
	}
	if b, err := os.ReadFile(out); err != nil || !strings.HasPrefix(string(b), "<!DOCTYPE html>") {
		t.Fatalf("html file: %v", err)
	}
	f, err := os.Open(filepath.Join(dir, "hgrm", "salted.produce.hgrm"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if d, err := recorder.ParseHGRM(f); err != nil || d.TotalCount != 20000 {
		t.Fatalf("hgrm: %v %d", err, d.TotalCount)
	}
	if ms, _ := filepath.Glob(filepath.Join(dir, "hgrm", "*.hgrm")); len(ms) != 25 { // 5 variants x 5 histograms
		t.Errorf("%d hgrm files", len(ms))
	}
}

func TestReportGatesAndErrors(t *testing.T) {
	if r := runKbench(t, "report", fixture, "--gate", "delivery.lost == 0"); r.code != 0 {
		t.Errorf("passing gate: exit %d %s", r.code, r.stderr)
	}
	r := runKbench(t, "report", fixture, "--gate", "skew.max_mean <= 1.5")
	if r.code != 3 || !strings.Contains(r.stdout, "FAIL  service    skew.max_mean <= 1.5") {
		t.Errorf("failing gate: exit %d\n%s", r.code, r.stdout)
	}
	r = runKbench(t, "report", fixture, "--gate", "skew.maxmean <= 1.5")
	if r.code != 2 || !strings.Contains(r.stderr, "column 6") || r.stdout != "" {
		t.Errorf("unknown path: exit %d %q", r.code, r.stderr)
	}
	if r := runKbench(t, "report", fixture, "--format", "pdf"); r.code != 2 {
		t.Errorf("bad format: exit %d", r.code)
	}
	// A file named on the command line that does not exist is a usage
	// error, as for --baseline.
	if r := runKbench(t, "report", "no-such.json"); r.code != 2 || strings.Count(r.stderr, "no-such.json") != 1 {
		t.Errorf("missing file: exit %d %q", r.code, r.stderr)
	}
	if r := runKbench(t, "report", "report_test.go"); r.code != 2 {
		t.Errorf("not a result: exit %d", r.code)
	}
}

func TestCompareCommand(t *testing.T) {
	if r := runKbench(t, "compare", fixture, fixture); r.code != 0 || !strings.Contains(r.stdout, "OK: no gated figure worse") {
		t.Errorf("same: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	slower := modified(t, "slower.json", func(r *report.Result) {
		r.Variants[0].Produce.Latency.P99 *= 1.15        // +15%
		r.Variants[1].Produce.Throughput.MsgsPerS *= 1.5 // better: never a regression
		r.Variants[2].Consume.Groups[0].Lag.Max = 1      // better
	})
	r := runKbench(t, "compare", fixture, slower)
	if r.code != 3 || !strings.Contains(r.stdout, "REGRESSED: 1 gated figure(s)") {
		t.Errorf("slower: exit %d\n%s", r.code, r.stdout)
	}
	if r := runKbench(t, "compare", fixture, slower, "--tolerance", "20%"); r.code != 0 {
		t.Errorf("20%% tolerance: exit %d", r.code)
	}
	if r := runKbench(t, "compare", fixture, slower, "--tolerance", "produce.latency_ms.p99=16%"); r.code != 0 {
		t.Errorf("per-figure tolerance: exit %d", r.code)
	}
	r = runKbench(t, "compare", fixture, fixture, slower, "--format", "json")
	var cs []report.Comparison
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil || len(cs) != 2 || cs[0].Regressed() || !cs[1].Regressed() || r.code != 3 {
		t.Errorf("json: exit %d %v %s", r.code, err, r.stdout)
	}
	if r := runKbench(t, "compare", fixture, slower, "--format", "markdown"); r.code != 3 || !strings.Contains(r.stdout, "| path | latency p99 ms |") {
		t.Errorf("markdown: exit %d\n%s", r.code, r.stdout)
	}
	if r := runKbench(t, "compare", fixture, slower, "--tolerance", "lots"); r.code != 2 {
		t.Errorf("bad tolerance: exit %d", r.code)
	}
	if r := runKbench(t, "compare", fixture); r.code != 2 {
		t.Errorf("one file: exit %d", r.code)
	}
	// A noise floor wider than the change: no regression.
	if r := runKbench(t, "compare", fixture, slower, "--floor", "produce.latency_ms.p99=5"); r.code != 0 {
		t.Errorf("floor: exit %d\n%s", r.code, r.stdout)
	}
	for _, bad := range [][]string{{"--floor", "produce.latency_ms.p77=1"}, {"--floor", "produce.latency_ms.p99"}, {"--alpha", "2"}} {
		if r := runKbench(t, append([]string{"compare", fixture, slower}, bad...)...); r.code != 2 || r.stdout != "" {
			t.Errorf("%v: exit %d %s", bad, r.code, r.stderr)
		}
	}
}

// TestCompareHistory: the baseline is the median of the last results of
// the experiment stored in a directory, each one sample of the test.
func TestCompareHistory(t *testing.T) {
	dir := t.TempDir()
	base, err := report.ReadResult(fixture)
	if err != nil {
		t.Fatal(err)
	}
	// Seven stored jobs, oldest first; p99 of the path variant varies a
	// little. The two oldest are far slower: only the last 5 count.
	p99s := []float64{40, 40, 4.4, 4.6, 4.5, 4.3, 4.7}
	for i, x := range p99s {
		r := *base
		r.Variants = append([]report.Variant(nil), base.Variants...)
		r.StartedAt = base.StartedAt.Add(time.Duration(i-10) * time.Hour)
		r.Variants[0].Produce.Latency.P99 = x
		sub := filepath.Join(dir, fmt.Sprintf("job-%d", i))
		if err := os.MkdirAll(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := report.WriteResult(filepath.Join(sub, "result.json"), &r); err != nil {
			t.Fatal(err)
		}
	}
	other := modified(t, "other.json", func(r *report.Result) { r.Experiment = "other" })
	if err := os.Rename(other, filepath.Join(dir, "other.json")); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, "notes.json"), []byte("{}"), 0o644)

	same := modified(t, "same.json", func(r *report.Result) { r.Variants[0].Produce.Latency.P99 = 4.5 })
	r := runKbench(t, "compare", "--history", dir, same, "--format", "json")
	var cs []report.Comparison
	if err := json.Unmarshal([]byte(r.stdout), &cs); err != nil || r.code != 0 || len(cs) != 1 {
		t.Fatalf("history, same: exit %d %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	vc := cs[0].Variants[0]
	var d report.Delta
	for _, x := range vc.Deltas {
		if x.Path == "produce.latency_ms.p99" {
			d = x
		}
	}
	if vc.BaseRuns != 5 || d.Base != 4.5 || !strings.Contains(cs[0].Baseline, "last 5") {
		t.Errorf("baseline: %d runs, p99 %v, %q", vc.BaseRuns, d.Base, cs[0].Baseline)
	}
	slower := modified(t, "slower.json", func(r *report.Result) { r.Variants[0].Produce.Latency.P99 = 9 })
	r = runKbench(t, "compare", "--history", dir, slower)
	if r.code != 3 || !strings.Contains(r.stdout, "single run on the current side") || !strings.Contains(r.stdout, "REGRESSED") {
		t.Errorf("history, slower: exit %d\n%s", r.code, r.stdout)
	}
	if r := runKbench(t, "compare", "--history", t.TempDir(), same); r.code != 2 || !strings.Contains(r.stderr, "no complete result") {
		t.Errorf("empty history: exit %d %s", r.code, r.stderr)
	}
}

func TestMergeCommand(t *testing.T) {
	a := modified(t, "a.json", func(r *report.Result) { r.Shard = "1/2" })
	b := modified(t, "b.json", func(r *report.Result) { r.Shard = "2/2" })
	out := filepath.Join(t.TempDir(), "merged.json")
	if r := runKbench(t, "merge", a, b, "-o", out); r.code != 0 {
		t.Fatalf("merge: exit %d %s", r.code, r.stderr)
	}
	m, err := report.ReadResult(out)
	if err != nil {
		t.Fatal(err)
	}
	v := m.Variants[0]
	if v.Produce.Messages != 200000 || v.Produce.Latency.Count != 40000 || v.Partitions[0].Messages != 2*14210 {
		t.Errorf("merged: %d messages, %d latencies, p0 %d", v.Produce.Messages, v.Produce.Latency.Count, v.Partitions[0].Messages)
	}
	if r := runKbench(t, "merge", a, b, "-o", out, "--gate", "produce.throughput.msgs_per_s >= 20000"); r.code != 3 {
		t.Errorf("merge gate: exit %d", r.code)
	}
	if r := runKbench(t, "merge", a, a, "-o", out); r.code != 2 || !strings.Contains(r.stderr, "given twice") {
		t.Errorf("same shard twice: exit %d %s", r.code, r.stderr)
	}
}

// A pattern no shell expanded (a container without one, Windows) still
// names every shard; one that matches nothing is a usage error.
func TestMergeExpandsPatterns(t *testing.T) {
	dir := t.TempDir()
	for i, shard := range []string{"1/2", "2/2"} {
		src := modified(t, "r.json", func(r *report.Result) { r.Shard = shard })
		b, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		sub := filepath.Join(dir, fmt.Sprintf("shard-%d", i))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(sub, "result.json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(dir, "merged.json")
	if r := runKbench(t, "merge", filepath.Join(dir, "shard-*", "result.json"), "-o", out); r.code != 0 {
		t.Fatalf("merge pattern: exit %d %s", r.code, r.stderr)
	}
	m, err := report.ReadResult(out)
	if err != nil {
		t.Fatal(err)
	}
	if got := m.Variants[0].Produce.Messages; got != 200000 {
		t.Errorf("merged from a pattern: %d messages, want both shards' 200000", got)
	}
	if r := runKbench(t, "merge", filepath.Join(dir, "none-*", "result.json")); r.code != 2 || !strings.Contains(r.stderr, "no file matches") {
		t.Errorf("pattern without a match: exit %d %s", r.code, r.stderr)
	}
}
