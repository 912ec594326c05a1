package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/kbench/kbench/report"
)

// kbenchBin is the binary under test, built once by TestMain, so exit codes
// and signals are tested on the real process.
var kbenchBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kbench-bin")
	if err != nil {
		panic(err)
	}
	kbenchBin = filepath.Join(dir, "kbench")
	if out, err := exec.Command("go", "build", "-o", kbenchBin, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

type cmdResult struct {
	code           int
	stdout, stderr string
	took           time.Duration
}

func runKbench(t *testing.T, args ...string) cmdResult {
	t.Helper()
	cmd := exec.Command(kbenchBin, args...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	start := time.Now()
	err := cmd.Run()
	r := cmdResult{stdout: so.String(), stderr: se.String(), took: time.Since(start)}
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		r.code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return r
}

func writeFile(t *testing.T, name, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func readResultFile(t *testing.T, path string) *report.Result {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r report.Result
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

const smallRun = `
name: small
duration: 2s
topic: {partitions: 3}
workload: {rate: 1000, message: {size: 200}}
consumers:
  - {group: g, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
`

func TestRunWritesResult(t *testing.T) {
	f := writeFile(t, "small.yaml", smallRun)
	out := t.TempDir()
	r := runKbench(t, "run", f, "--out", out, "--no-progress")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	res := readResultFile(t, filepath.Join(out, "result.json"))
	if !res.Complete || !res.Passed || len(res.Variants) != 1 {
		t.Fatalf("complete=%v passed=%v variants=%d", res.Complete, res.Passed, len(res.Variants))
	}
	v := res.Variants[0]
	var sum int64
	for _, p := range v.Partitions {
		sum += p.Messages
		if val(p.BrokerMessages) != p.Messages {
			t.Errorf("partition %d: broker %d, producer %d", p.Partition, val(p.BrokerMessages), p.Messages)
		}
	}
	if v.Produce.Messages == 0 || sum != v.Produce.Messages {
		t.Fatalf("produce.messages %d, partitions sum %d", v.Produce.Messages, sum)
	}
	if g := v.Consume.Groups[0]; g.Messages != v.Produce.Messages {
		t.Fatalf("group consumed %d of %d", g.Messages, v.Produce.Messages)
	}
	for _, name := range []string{"result.txt", "result.md", "result.csv", "result.html"} {
		if st, err := os.Stat(filepath.Join(out, name)); err != nil {
			t.Errorf("%s: %v", name, err)
		} else if st.Size() == 0 && name != "result.csv" {
			t.Errorf("%s is empty", name)
		}
	}
	if !strings.Contains(r.stdout, "small") {
		t.Fatalf("text report does not name the experiment:\n%s", r.stdout)
	}
}

func TestRunInterruptWritesPartialResult(t *testing.T) {
	f := writeFile(t, "long.yaml", strings.Replace(smallRun, "duration: 2s", "duration: 60s", 1))
	out := t.TempDir()
	interruptRun(t, nil, "run", f, "--out", out, "--no-progress")
	res := readResultFile(t, filepath.Join(out, "result.json"))
	if res.Complete {
		t.Fatal("interrupted result marked complete")
	}
	if len(res.Variants) != 1 || res.Variants[0].Produce.Messages == 0 {
		t.Fatalf("partial result has no measurements: %+v", res.Variants)
	}
}

// interruptRun starts kbench with args, waits until its variant is
// producing, runs before (if any), sends SIGINT, and checks that the
// process exits 130 within 6 s (9 s with room for a loaded machine).
func interruptRun(t *testing.T, before func(), args ...string) {
	t.Helper()
	cmd := exec.Command(kbenchBin, args...)
	var se syncBuffer
	cmd.Stderr = &se
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// The variant line is printed once the topic exists.
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(se.String(), "variant 1/1") && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	time.Sleep(2 * time.Second)
	if before != nil {
		before()
	}
	sent := time.Now()
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	took := time.Since(sent)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit: %v, want 130\n%s", err, se.String())
	}
	// The contract is 6s; room for a loaded machine.
	if took > 9*time.Second {
		t.Fatalf("took %s to stop after SIGINT", took)
	}
}

func TestRunConfigErrorExit2(t *testing.T) {
	f := writeFile(t, "bad.yaml", "name: bad\nduration: 5x\nproducer:\n  acks: 2\n  bogus: 1\n")
	r := runKbench(t, "run", f, "--no-progress")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	for _, want := range []string{"bad.yaml:2:11", "bad.yaml:4:9", "bad.yaml:5:3"} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "embedded broker listening") {
		t.Fatal("a broker was started for an invalid experiment")
	}
}

func TestRunUnreachableBrokerExit1(t *testing.T) {
	f := writeFile(t, "small.yaml", smallRun)
	r := runKbench(t, "run", f, "--brokers", "127.0.0.1:1", "--no-progress")
	if r.code != 1 {
		t.Fatalf("exit %d, want 1\n%s", r.code, r.stderr)
	}
	if r.took > 15*time.Second {
		t.Fatalf("took %s", r.took)
	}
	if !strings.Contains(r.stderr, "127.0.0.1:1") {
		t.Fatalf("error does not name the broker:\n%s", r.stderr)
	}
}

func TestUnknownCommandExit2(t *testing.T) {
	if r := runKbench(t, "frobnicate"); r.code != 2 {
		t.Fatalf("exit %d, want 2", r.code)
	}
	if r := runKbench(t, "run", "--no-such-flag"); r.code != 2 {
		t.Fatalf("exit %d, want 2", r.code)
	}
}

func TestGateOnUnknownGroupExit2(t *testing.T) {
	f := writeFile(t, "gate.yaml", smallRun+"gates:\n  - consume.groups.nosuch.lag.max < 5\n")
	r := runKbench(t, "run", f, "--no-progress")
	if r.code != 2 {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "gate.yaml:9:5") || !strings.Contains(r.stderr, `no consumer group "nosuch"`) {
		t.Fatalf("stderr:\n%s", r.stderr)
	}
	if strings.Contains(r.stderr, "embedded broker listening") {
		t.Fatal("load was started for an invalid gate")
	}
}

// TestInterruptWithFrozenBroker: even when the broker stops answering,
// Ctrl-C ends the run within 5 s and writes what was measured.
func TestInterruptWithFrozenBroker(t *testing.T) {
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

	f := writeFile(t, "long.yaml", strings.Replace(smallRun, "duration: 2s", "duration: 60s", 1))
	out := t.TempDir()
	interruptRun(t, func() {
		if err := broker.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(500 * time.Millisecond)
	}, "run", f, "--brokers", "127.0.0.1:"+port, "--out", out, "--no-progress")
	res := readResultFile(t, filepath.Join(out, "result.json"))
	if res.Complete || len(res.Variants) != 1 || res.Variants[0].Produce.Messages == 0 {
		t.Fatalf("complete=%v variants=%d", res.Complete, len(res.Variants))
	}
	if d := res.Variants[0].Delivery; d == nil || d.Lost != nil || d.Unconsumed != nil {
		t.Fatalf("delivery %+v for a run cut short before its drain, want lost and unconsumed null (not measured)", d)
	}
}

// syncBuffer is a bytes.Buffer a test may read while the child process
// is still writing to it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	_, port, _ := net.SplitHostPort(l.Addr().String())
	return port
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("nothing listening on %s", addr)
}
