package main

import (
	"regexp"
	"strings"
	"testing"
)

// TestRunRefusesWhatCannotFit: a run whose memory estimate exceeds any
// machine, or whose messages Kafka refuses, exits 2 with the numbers
// before a broker starts; validate says the same, and shows the estimate
// of what fits.
func TestRunRefusesWhatCannotFit(t *testing.T) {
	f := writeFile(t, "big.yaml", "name: big\nduration: 2s\ntopic: {partitions: 12000000}\nworkload: {rate: 100}\n")
	for _, args := range [][]string{{"run", f, "--no-progress"}, {"validate", f}} {
		r := runKbench(t, args...)
		if r.code != 2 {
			t.Fatalf("%s: exit %d, want 2\n%s", args[0], r.code, r.stderr)
		}
		if !regexp.MustCompile(`big\.yaml:3:\d+: topic\.partitions: 12,000,000 partitions need ~[0-9.]+ [GT]iB \(.*\); this machine has [0-9.]+ [MGT]iB`).MatchString(r.stderr) {
			t.Errorf("%s: stderr does not give the numbers at the field:\n%s", args[0], r.stderr)
		}
		if strings.Contains(r.stderr, "embedded broker listening") || strings.Contains(r.stderr, "goroutine") {
			t.Fatalf("%s: a broker was started, or a stack printed:\n%s", args[0], r.stderr)
		}
		if r.took > 20e9 {
			t.Errorf("%s took %s", args[0], r.took)
		}
	}

	r := runKbench(t, "run", "quickstart", "--set", "workload.message.size=2000000", "--set", "producer.batch_bytes=4MiB", "--no-progress")
	if r.code != 2 || !strings.Contains(r.stderr, "message.max.bytes") {
		t.Errorf("2 MB messages: exit %d, want 2 naming message.max.bytes\n%s", r.code, r.stderr)
	}

	r = runKbench(t, "validate", "quickstart")
	if r.code != 0 || !regexp.MustCompile(`(?m)^quickstart: ok \(5 variants\)\n  estimate: memory ~\d+ MiB \(.*\) for the largest variant \(strategy=\w+\).*; time up to 40s$`).MatchString(r.stdout) {
		t.Errorf("validate quickstart: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
