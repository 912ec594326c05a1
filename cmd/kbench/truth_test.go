package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNotMeasuredFailsAGate: a one-member group whose member crashes has
// nobody to fail over to; its failover is not measured, and a gate on it
// fails (exit 3) rather than passing on a -1 or a 0.
func TestNotMeasuredFailsAGate(t *testing.T) {
	f := writeFile(t, "crash.yaml", `
name: lonely-crash
duration: 2s
drain: 2s
topic: {partitions: 2}
workload: {rate: 200, message: {size: 100}}
consumers:
  - {group: g, instances: 1, session_timeout: 30s, heartbeat_interval: 1s}
faults:
  - {at: 500ms, kind: consumer-crash, group: g, instance: 0}
gates:
  - consume.groups.g.failover_ms < 5000
`)
	out := t.TempDir()
	r := runKbench(t, "run", f, "--no-progress", "--out", out)
	if r.code != 3 {
		t.Fatalf("exit %d, want 3 (the gate's figure was not measured)\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stdout, "not measured") {
		t.Errorf("the report does not say why the gate failed:\n%s", r.stdout)
	}
	js, err := os.ReadFile(filepath.Join(out, "result.json"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(js), `"failover_ms": null`) || strings.Contains(string(js), `"failover_ms": -1`) {
		t.Errorf("result.json does not write the failover as null")
	}
	// The run names the topic and group it used, on stderr and in the
	// result.
	res := readResultFile(t, filepath.Join(out, "result.json"))
	v := res.Variants[0]
	if v.Topic == "" || !strings.Contains(r.stderr, "topic "+v.Topic) || !strings.Contains(r.stderr, v.Consume.Groups[0].ID) {
		t.Errorf("topic %q / group %q not named on stderr:\n%s", v.Topic, v.Consume.Groups[0].ID, r.stderr)
	}
}

// TestMalformedGateErrorOnce: the gate's error names it once, at its
// file:line:col.
func TestMalformedGateErrorOnce(t *testing.T) {
	f := writeFile(t, "bad.yaml", smallRun+"gates:\n  - produce.latency_ms.p99 < abc\n")
	r := runKbench(t, "validate", f)
	if r.code != 2 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	all := r.stdout + r.stderr
	if n := strings.Count(all, `gate "produce.latency_ms.p99 < abc"`); n != 1 {
		t.Errorf("the gate is named %d times:\n%s", n, all)
	}
}
