package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/kbench/kbench/keying"
)

// realDoc decodes `kbench keys --from-* --format json`.
type realDoc struct {
	Source   realSource `json:"source"`
	Records  int64      `json:"records"`
	Messages int64      `json:"messages"`
	Keyless  int64      `json:"keyless"`
	Bad      *int64     `json:"bad_lines"`
	Distinct struct {
		Estimate int64   `json:"estimate"`
		StdError float64 `json:"std_error"`
	} `json:"distinct"`
	HotKeys struct {
		Exact bool            `json:"exact"`
		Keys  []keying.HotKey `json:"keys"`
	} `json:"hot_keys"`
	Topic   *realTopic              `json:"topic"`
	Explain *keying.PlacementResult `json:"placement"`
	WhatIf  []keying.WhatIfRow      `json:"what_if"`
}

func decodeReal(t *testing.T, r cmdResult) realDoc {
	t.Helper()
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var d realDoc
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	return d
}

// A file's per-partition loads equal an independent placement of its
// keys, in every format, and the hot keys and distinct count are the
// file's.
func TestKeysFromFileFormats(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	z := rand.NewZipf(r, 1.3, 1, 800) // fewer keys than the sketch has counters: exact
	counts := map[string]int64{}
	var lines, csvB, jsonB strings.Builder
	csvB.WriteString("ts,account,n\n")
	for i := range 30000 {
		k := "acct-" + strconv.FormatUint(z.Uint64(), 10)
		n := int64(1 + i%3)
		counts[k] += n
		fmt.Fprintf(&lines, "%s\t%d\n", k, n)
		fmt.Fprintf(&csvB, "%d,%s,%d\n", i, k, n)
		fmt.Fprintf(&jsonB, "{\"account\":%q,\"n\":%d}\n", k, n)
	}
	var total int64
	for _, n := range counts {
		total += n
	}
	files := [][]string{
		{writeFile(t, "keys.txt", lines.String())},
		{writeFile(t, "keys.csv", csvB.String()), "--key-column", "account", "--count-column", "n"},
		{writeFile(t, "keys.jsonl", jsonB.String()), "--key-column", "account", "--count-column", "n"},
	}
	var first string
	for _, f := range files {
		args := append([]string{"keys", "--from-file"}, f...)
		args = append(args, "--partitioner", "murmur2,crc32,fnv1a,jump", "--partitions", "10", "--repartition", "14", "--salt-hot", "2:4", "--format", "json")
		d := decodeReal(t, runKbench(t, args...))
		if d.Records != 30000 || d.Messages != total || d.Keyless != 0 || d.Bad == nil || *d.Bad != 0 {
			t.Fatalf("%s: records %d messages %d (want %d) keyless %d", f[0], d.Records, d.Messages, total, d.Keyless)
		}
		if e := float64(d.Distinct.Estimate)/float64(len(counts)) - 1; e > 4*d.Distinct.StdError || e < -4*d.Distinct.StdError || d.Distinct.StdError <= 0 {
			t.Fatalf("distinct %d, exact %d", d.Distinct.Estimate, len(counts))
		}
		if len(d.HotKeys.Keys) == 0 || d.HotKeys.Keys[0].Key != "acct-0" || d.HotKeys.Keys[0].Count != counts["acct-0"] || !d.HotKeys.Exact {
			t.Fatalf("hot keys %+v", d.HotKeys)
		}
		plain := 0
		for _, row := range d.WhatIf {
			if row.Salt != nil {
				continue
			}
			plain++
			part, _ := keying.NewPartitioner(row.Partitioner, keying.PartitionerOptions{})
			want := make([]int64, row.Partitions)
			for k, n := range counts {
				want[part.Partition([]byte(k), row.Partitions)] += n
			}
			if !slices.Equal(row.Load, want) {
				t.Fatalf("%s %s on %d: load %v, independent %v", f[0], row.Partitioner, row.Partitions, row.Load, want)
			}
		}
		if plain != 8 || len(d.WhatIf) != 16 {
			t.Fatalf("%d rows, %d plain", len(d.WhatIf), plain)
		}
		if first == "" {
			first = string(mustJSON(t, d.WhatIf))
		} else if string(mustJSON(t, d.WhatIf)) != first {
			t.Fatalf("%s: what-if differs from the text file's", f[0])
		}
	}

	// stdin, and the text rendering
	cmd := exec.Command(kbenchBin, "keys", "--from-file", "-", "--partitions", "10", "--salt-hot", "1:8")
	cmd.Stdin = strings.NewReader(lines.String())
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("stdin: %v", err)
	}
	for _, want := range []string{"file - (text): 30000 records", "HyperLogLog", "acct-0", "top 1 × 8", "MAX/MEAN", "murmur2", "crc32", "fnv1a"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("text output lacks %q:\n%s", want, out)
		}
	}
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestKeysFromFileBadInput(t *testing.T) {
	bad := writeFile(t, "bad.txt", "a\nb\t2\nc\tmany\nd\n\te\n")
	r := runKbench(t, "keys", "--from-file", bad)
	if r.code != 2 || !strings.Contains(r.stderr, bad+`:3: count "many"`) || r.stdout != "" {
		t.Fatalf("exit %d\nstdout %s\nstderr %s", r.code, r.stdout, r.stderr)
	}
	d := decodeReal(t, runKbench(t, "keys", "--from-file", bad, "--skip-bad", "--format", "json"))
	if d.Bad == nil || *d.Bad != 2 || d.Records != 3 || d.Messages != 4 {
		t.Fatalf("skip-bad: %+v", d)
	}
	sk := runKbench(t, "keys", "--from-file", bad, "--skip-bad")
	if sk.code != 0 || !strings.Contains(sk.stdout, "2 bad lines skipped") || !strings.Contains(sk.stderr, bad+":5:") {
		t.Fatalf("skip-bad text: %d %s %s", sk.code, sk.stdout, sk.stderr)
	}
	csvF := writeFile(t, "x.csv", "id,user\n1,a\n")
	for _, args := range [][]string{
		{"keys", "--from-file", csvF}, // no "key" column
		{"keys", "--from-file", csvF, "--key-column", "user", "--count-column", "n"},
		{"keys", "--from-file", "/no/such/file"},
		{"keys", "--from-file", bad, "--key-column", "x"}, // text has no columns
		{"keys", "--from-file", bad, "--input-format", "xml"},
		{"keys", "--from-file", bad, "--strategy", "path"},
		{"keys", "--from-file", bad, "--salt-hot", "3"},
		{"keys", "--from-file", bad, "--sample", "10"},
		{"keys", "--from-file", bad, "--from-topic", "t"},
		{"keys", "--from-file", bad, "quickstart"},
		{"keys", "--from-topic", "t"}, // no --brokers
	} {
		if r := runKbench(t, args...); r.code != 2 || r.stderr == "" {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
	if r := runKbench(t, "keys", "--from-file", csvF); !strings.Contains(r.stderr, csvF+`:1: no column "key"`) {
		t.Errorf("csv header error: %s", r.stderr)
	}
}

// Ctrl-C while reading stdin (a pipe left open) prints the figures of what
// was read and exits 130.
func TestKeysFromStdinInterrupt(t *testing.T) {
	cmd := exec.Command(kbenchBin, "keys", "--from-file", "-", "--format", "json")
	var so bytes.Buffer
	var se syncBuffer
	cmd.Stdout, cmd.Stderr = &so, &se
	w, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(se.String(), "reading keys from stdin") && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	for i := range 1000 {
		fmt.Fprintf(w, "k%d\n", i%7)
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	stuck := time.AfterFunc(20*time.Second, func() { cmd.Process.Kill() })
	err = cmd.Wait()
	if !stuck.Stop() {
		t.Fatal("still reading stdin 20s after SIGINT")
	}
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("exit %v, want 130\n%s", err, se.String())
	}
	var d realDoc
	if err := json.Unmarshal(so.Bytes(), &d); err != nil || d.Records > 1000 {
		t.Fatalf("partial report: %v %+v\n%s", err, d, so.String())
	}
	if !strings.Contains(so.String(), `"partial": true`) || !strings.Contains(se.String(), "interrupted") {
		t.Fatalf("not marked partial:\n%s\n%s", so.String(), se.String())
	}
}

// A run replaying a key file (workload.traffic.keys) sends its keys with
// the file's frequencies: the run's top key shares are the file's within
// one percentage point; the draw is seeded.
func TestReplayKeysInRun(t *testing.T) {
	var sb strings.Builder
	var total float64
	weights := map[string]float64{}
	for i := 1; i <= 150; i++ {
		w := float64(int(10000 / float64(i*i) * 3 / 2))
		if w < 1 {
			w = 1
		}
		k := fmt.Sprintf("tenant-%03d", i)
		weights[k] = w
		total += w
		fmt.Fprintf(&sb, "%s\t%d\n", k, int(w))
	}
	keysFile := writeFile(t, "keys.tsv", sb.String())
	exp := writeFile(t, "replay.yaml", fmt.Sprintf(`name: replay
duration: 20s
topic: {partitions: 4}
workload:
  rate: 0
  messages: 40000
  message: {size: 100}
  traffic:
    keys: {from: %q}
consumers:
  - {group: g, session_timeout: 2s, heartbeat_interval: 300ms}
`, keysFile))
	out := t.TempDir()
	r := runKbench(t, "run", exp, "--out", out, "--no-progress")
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	res := readResultFile(t, out+"/result.json")
	top := res.Variants[0].Keys.Top
	if len(top) < 3 {
		t.Fatalf("top keys %+v", top)
	}
	for i, hk := range top {
		want := weights[hk.Key] / total
		if i < 3 && hk.Key != fmt.Sprintf("tenant-%03d", i+1) || hk.Share < want-0.01 || hk.Share > want+0.01 {
			t.Fatalf("top[%d] %s share %.4f, file %.4f", i, hk.Key, hk.Share, want)
		}
	}
	// offline, the same draw: same seed same loads, another seed others
	a := runKbench(t, "keys", exp, "--format", "json")
	b := runKbench(t, "keys", exp, "--format", "json")
	c := runKbench(t, "keys", exp, "--format", "json", "--seed", "2")
	if a.code != 0 || a.stdout != b.stdout || a.stdout == c.stdout || !strings.Contains(a.stdout, `"strategy": "replay"`) {
		t.Fatalf("offline replay: %d %s %s", a.code, a.stdout, a.stderr)
	}
	// a bad key file is a configuration error naming it and its line
	bad := writeFile(t, "bad.tsv", "ok\t3\nbroken\tmany\n")
	badExp := writeFile(t, "bad.yaml", fmt.Sprintf("name: b\nworkload:\n  traffic:\n    keys: {from: %q}\n", bad))
	if r := runKbench(t, "run", badExp, "--no-progress"); r.code != 2 || !strings.Contains(r.stderr, bad+":2:") || !strings.Contains(r.stderr, "workload.traffic.keys.from") {
		t.Fatalf("bad key file: exit %d %s", r.code, r.stderr)
	}
}
