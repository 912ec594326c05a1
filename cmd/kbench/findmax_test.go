package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/kbench/kbench/report"
)

// TestRunFindMax: --find-max searches a file without search:, prints a
// line per probe, writes the answer and the probes, and gates on it; a
// file a search cannot run is exit 2 before any load.
func TestRunFindMax(t *testing.T) {
	f := writeFile(t, "fm.yaml", "name: fm\nduration: 4s\ndrain: 1s\ntopic: {partitions: 1}\nconsumers: []\nworkload: {rate: 20}\n"+
		"gates: [\"search.max_sustainable_msgs_per_s >= 1000\"]\n")
	out := filepath.Join(t.TempDir(), "out")
	r := runKbench(t, "run", f, "--find-max", "--set", "search.max=40", "--set", "search.precision=0.5", "--no-progress", "--out", out)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (the capacity gate fails)\n%s", r.code, r.stderr)
	}
	if n := strings.Count(r.stderr, "search fm: probe "); n != 2 {
		t.Errorf("%d probe lines, want 2 (20 and 40 msg/s):\n%s", n, r.stderr)
	}
	b, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	var res report.Result
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	s := res.Variants[0].Search
	if s == nil || s.MaxSustainableMsgsPerS == nil || *s.MaxSustainableMsgsPerS != 40 || s.LimitedBy != "search.max" || len(s.Probes) != 2 {
		t.Fatalf("search %+v", s)
	}
	if g := res.Variants[0].Gates; len(g) != 1 || g[0].Pass || g[0].Value != 40 {
		t.Errorf("gates %+v", g)
	}
	if !strings.Contains(r.stdout, "CAPACITY SEARCH") || !strings.Contains(r.stdout, "max sustainable: 40 msg/s") {
		t.Errorf("text report:\n%s", r.stdout)
	}

	r = runKbench(t, "run", f, "--find-max", "--set", "workload.shape={kind: ramp, from: 1, to: 2, over: 1s}", "--no-progress")
	if r.code != 2 || !strings.Contains(r.stderr, "constant rates") || strings.Contains(r.stderr, "embedded broker") {
		t.Errorf("a ramp with --find-max: exit %d\n%s", r.code, r.stderr)
	}
}
