package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestInterruptInEveryPhase: Ctrl-C in any phase of a run (creating the
// topic, warmup, drain, teardown) exits 130 within 6s with the partial
// result written; compare and merge blocked on their input exit 130 too.
func TestInterruptInEveryPhase(t *testing.T) {
	const long = `name: phases
warmup: 20s
duration: 40s
drain: 30s
topic: {partitions: 3}
workload: {rate: 400, message: {size: 100}}
producer: {linger: 2ms}
consumers:
  - {group: g, instances: 1, processing: {delay: 5ms}, session_timeout: 2s, heartbeat_interval: 300ms}
`
	short := strings.NewReplacer("warmup: 20s", "warmup: 0s", "duration: 40s", "duration: 3s").Replace(long)
	for _, tc := range []struct {
		phase, yaml, marker string
		after               time.Duration
	}{
		{"topic creation", long, "variant 1/1:", 0},
		{"warmup", long, "  topic ", time.Second},
		{"drain", short, "  sending stopped; draining", 500 * time.Millisecond},
		{"teardown", strings.Replace(short, "processing: {delay: 5ms}, ", "", 1), "  tearing down", 0},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			out := t.TempDir()
			run := exec.Command(kbenchBin, "run", writeFile(t, "phases.yaml", tc.yaml), "--out", out, "--no-progress")
			var stderr syncBuffer
			run.Stderr = &stderr
			if err := run.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- run.Wait() }()
			defer func() { _ = run.Process.Kill() }()
			waitFor(t, &stderr, tc.marker, done, 60*time.Second)
			time.Sleep(tc.after)
			code, took := interrupt(t, run, done)
			t.Logf("%s: exit %d %s after SIGINT", tc.phase, code, took.Round(10*time.Millisecond))
			if code != 130 || took > 6*time.Second {
				t.Fatalf("exit %d after %s, want 130 within 6s\n%s", code, took, stderr.String())
			}
			res := readResultFile(t, filepath.Join(out, "result.json"))
			if res.Complete {
				t.Error("an interrupted result is marked complete")
			}
			// After the warmup, the partial result holds what was measured.
			if tc.phase == "drain" || tc.phase == "teardown" {
				if len(res.Variants) != 1 || res.Variants[0].Produce.Messages == 0 {
					t.Errorf("the partial result lacks what was measured: %+v", res.Variants)
				}
			}
		})
	}

	// compare and merge measure nothing: blocked reading a result (a
	// pipe nobody writes), Ctrl-C ends them at once.
	for _, args := range [][]string{{"compare", "FIFO", "FIFO"}, {"merge", "FIFO", "-o", "OUT"}} {
		t.Run(args[0], func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "shard.json")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Skipf("no fifo: %v", err)
			}
			a := strings.Fields(strings.NewReplacer("FIFO", fifo, "OUT", filepath.Join(dir, "out.json")).Replace(strings.Join(args, " ")))
			cmd := exec.Command(kbenchBin, a...)
			var stderr syncBuffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			defer func() { _ = cmd.Process.Kill() }()
			time.Sleep(time.Second) // blocked opening the pipe
			code, took := interrupt(t, cmd, done)
			if code != 130 || took > 6*time.Second {
				t.Fatalf("exit %d after %s, want 130 within 6s\n%s", code, took, stderr.String())
			}
		})
	}
}

// interrupt sends SIGINT and returns the exit code (-1: killed by a
// signal) and how long the process took to end.
func interrupt(t *testing.T, cmd *exec.Cmd, done chan error) (int, time.Duration) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	sent := time.Now()
	select {
	case <-done:
		return cmd.ProcessState.ExitCode(), time.Since(sent)
	case <-time.After(30 * time.Second):
		t.Fatal("still running 30s after SIGINT")
	}
	return 0, 0
}
