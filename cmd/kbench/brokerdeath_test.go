package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// deathRun is a run long enough in every phase to kill its broker in it:
// consumers slower than the producers leave a backlog to drain.
const deathRun = `name: death
duration: 6s
drain: 30s
topic: {partitions: 3}
workload: {rate: 400, message: {size: 100}}
producer: {linger: 2ms}
consumers:
  - {group: g, instances: 1, processing: {delay: 5ms}, session_timeout: 2s, heartbeat_interval: 300ms}
`

// TestBrokerDeathInEveryPhase kills (or freezes) a real `kbench broker`
// process while a run uses it, in each phase: the run must notice within
// 5s, write its partial result and exit 1 within 10s of the death. The
// bounds below leave room for a loaded machine; the measured times are
// logged.
func TestBrokerDeathInEveryPhase(t *testing.T) {
	for _, tc := range []struct {
		phase  string
		marker string        // stderr line that starts the phase
		after  time.Duration // how long into the phase
		sig    syscall.Signal
	}{
		// Frozen as the variant starts: creating the topic (or, on a
		// fast machine, the consumers joining) never gets an answer.
		{"topic creation", "variant 1/1:", 0, syscall.SIGSTOP},
		{"producing", "  topic ", 3 * time.Second, syscall.SIGKILL},
		{"drain", "  sending stopped; draining", 500 * time.Millisecond, syscall.SIGKILL},
		{"teardown", "  tearing down", 0, syscall.SIGSTOP},
	} {
		t.Run(tc.phase, func(t *testing.T) {
			yaml := deathRun
			if tc.phase == "teardown" {
				// Consumers that keep up, so the drain ends and the
				// teardown starts with the broker alive.
				yaml = strings.Replace(yaml, "processing: {delay: 5ms}, ", "", 1)
				yaml = strings.Replace(yaml, "duration: 6s", "duration: 2s", 1)
			}
			noticed, exited, code, res := killBrokerDuring(t, yaml, tc.marker, tc.after, tc.sig)
			t.Logf("%s: broker %v; noticed after %s, exit %d after %s", tc.phase, tc.sig, noticed.Round(10*time.Millisecond), code, exited.Round(10*time.Millisecond))
			if code != 1 {
				t.Errorf("exit %d, want 1", code)
			}
			if noticed > 8*time.Second {
				t.Errorf("noticed %s after the death, want within 5s (8s with room)", noticed)
			}
			if exited > 13*time.Second {
				t.Errorf("exited %s after the death, want within 10s (13s with room)", exited)
			}
			if res == "" {
				t.Fatal("no result.json written")
			}
			r := readResultFile(t, res)
			if r.Complete || !strings.Contains(r.Error, "stopped answering") {
				t.Errorf("result: complete=%v error %q, want a partial result naming the dead broker", r.Complete, r.Error)
			}
		})
	}
}

// killBrokerDuring runs yaml against a fresh `kbench broker`, signals the
// broker sig once stderr shows marker (and after more), and returns how
// long after the signal the run said so and exited, its exit code and
// the path of its result.json ("" when none).
func killBrokerDuring(t *testing.T, yaml, marker string, after time.Duration, sig syscall.Signal) (noticed, exited time.Duration, code int, result string) {
	t.Helper()
	port := freePort(t)
	broker := exec.Command(kbenchBin, "broker", "--listen", "127.0.0.1:"+port)
	if err := broker.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = broker.Process.Signal(syscall.SIGCONT)
		_ = broker.Process.Kill()
		_ = broker.Wait()
	}()
	waitListening(t, "127.0.0.1:"+port)

	out := t.TempDir()
	run := exec.Command(kbenchBin, "run", writeFile(t, "death.yaml", yaml), "--brokers", "127.0.0.1:"+port, "--out", out, "--no-progress")
	var stderr syncBuffer
	run.Stderr = &stderr
	if err := run.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- run.Wait() }()
	defer func() { _ = run.Process.Kill() }()

	waitFor(t, &stderr, marker, done, 60*time.Second)
	time.Sleep(after)
	if err := broker.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	for noticed == 0 {
		select {
		case err := <-done:
			exited = time.Since(killed)
			code = exitCode(t, err)
			if strings.Contains(stderr.String(), "stopped answering") {
				noticed = exited
			} else {
				t.Fatalf("exit %d without saying the broker stopped answering:\n%s", code, stderr.String())
			}
			return noticed, exited, code, resultIn(out)
		case <-time.After(20 * time.Millisecond):
			if strings.Contains(stderr.String(), "stopped answering") {
				noticed = time.Since(killed)
			} else if time.Since(killed) > 60*time.Second {
				t.Fatalf("nothing noticed 60s after the broker's %v:\n%s", sig, stderr.String())
			}
		}
	}
	select {
	case err := <-done:
		exited = time.Since(killed)
		code = exitCode(t, err)
	case <-time.After(60 * time.Second):
		t.Fatalf("still running 60s after the broker's %v:\n%s", sig, stderr.String())
	}
	return noticed, exited, code, resultIn(out)
}

func waitFor(t *testing.T, buf *syncBuffer, marker string, done chan error, limit time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for !strings.Contains(buf.String(), marker) {
		select {
		case err := <-done:
			t.Fatalf("run ended (%v) before %q:\n%s", err, marker, buf.String())
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %q within %s:\n%s", marker, limit, buf.String())
		}
	}
}

func exitCode(t *testing.T, err error) int {
	t.Helper()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0
}

func resultIn(dir string) string {
	p := filepath.Join(dir, "result.json")
	if _, err := exec.Command("test", "-s", p).Output(); err != nil {
		return ""
	}
	return p
}
