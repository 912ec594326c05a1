package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/workloads"
	"github.com/kbench/kbench/workloads/traffic"
)

func TestKeysJSON(t *testing.T) {
	r := runKbench(t, "keys", "--strategy", "path,service,random", "--partitioner", "murmur2,jump",
		"--partitions", "8", "--messages", "20000", "--repartition", "12", "--format", "json")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var raw struct {
		Rows []map[string]json.RawMessage `json:"rows"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &raw); err != nil {
		t.Fatalf("%v: %s", err, r.stdout)
	}
	if len(raw.Rows) != 6 {
		t.Fatalf("%d rows, want 3 strategies x 2 partitioners", len(raw.Rows))
	}
	wantKeys := []string{"strategy", "partitioner", "partitions", "messages", "load", "skew", "bytes_skew", "keys", "ordering", "remap_share"}
	for _, row := range raw.Rows {
		var got []string
		for k := range row {
			got = append(got, k)
		}
		slices.Sort(got)
		want := slices.Clone(wantKeys)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Fatalf("row fields %v, want %v", got, want)
		}
	}
	var out struct {
		Rows []keysRow `json:"rows"`
	}
	json.Unmarshal([]byte(r.stdout), &out)
	exp := workloads.Defaults()
	exp.Topic.Partitions = 8
	i := 0
	for _, s := range []string{"path", "service", "random"} {
		for _, p := range []string{"murmur2", "jump"} {
			row := out.Rows[i]
			i++
			if row.Strategy != s || row.Partitioner != p || row.Partitions != 8 || row.Messages != 20000 || len(row.Load) != 8 {
				t.Fatalf("row %d: %+v", i, row)
			}
			var sum int64
			for _, x := range row.Load {
				sum += x
			}
			if sum != 20000 || row.Skew != keying.ComputeSkew(row.Load) {
				t.Fatalf("%s/%s: load %v sums to %d, skew %+v", s, p, row.Load, sum, row.Skew)
			}
			// one source of truth: the same figures as traffic.Simulate
			e := exp
			e.Workload.Keying.Strategy, e.Workload.Keying.Partitioner = s, p
			a, err := traffic.Simulate(&e, 20000, 12)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(a.Load, row.Load) || a.Distinct != row.Keys.Distinct || row.RemapShare == nil ||
				a.Remap.Keys != row.RemapShare.Keys || a.Ordering.PreservedShare != row.Ordering.PreservedShare {
				t.Fatalf("%s/%s: row %+v differs from Simulate %+v", s, p, row, a)
			}
		}
	}
	// service keys: 5 distinct, every service on one partition; random: fresh keys
	if out.Rows[2].Keys.Distinct != 5 || out.Rows[2].Ordering.PreservedShare != 1 || out.Rows[2].Ordering.MaxSpread != 1 {
		t.Fatalf("service row %+v", out.Rows[2])
	}
	if d := out.Rows[4].Keys.Distinct; d < 19000 || d > 21000 {
		t.Fatalf("random keys: %d distinct of 20000", d)
	}
	// jump moves fewer service keys' traffic than modulo on 8 -> 12? Not
	// for every tiny key set, but for random keys (thousands) clearly.
	if j, m := out.Rows[5].RemapShare.Keys, out.Rows[4].RemapShare.Keys; j > 0.4 || m < 0.6 {
		t.Fatalf("random keys 8->12: jump %.3f murmur2 %.3f", j, m)
	}

	// deterministic; another seed draws other events
	again := runKbench(t, "keys", "--strategy", "path,service,random", "--partitioner", "murmur2,jump",
		"--partitions", "8", "--messages", "20000", "--repartition", "12", "--format", "json")
	if again.stdout != r.stdout {
		t.Fatal("same flags, different output")
	}
	other := runKbench(t, "keys", "--strategy", "path", "--partitions", "8", "--messages", "20000", "--seed", "9", "--format", "json")
	var o2 struct{ Rows []keysRow }
	json.Unmarshal([]byte(other.stdout), &o2)
	if slices.Equal(o2.Rows[0].Load, out.Rows[0].Load) {
		t.Fatal("--seed had no effect")
	}
	// without --repartition there is no remap_share
	if strings.Contains(other.stdout, "remap_share") {
		t.Fatal("remap_share without --repartition")
	}
}

func TestKeysTextAndProfile(t *testing.T) {
	r := runKbench(t, "keys", "--messages", "5000")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	for _, s := range keysAllStrategies {
		if !strings.Contains(r.stdout, "\n"+s+" ") {
			t.Errorf("no row for %s:\n%s", s, r.stdout)
		}
	}
	if !strings.Contains(r.stdout, "MAX/MEAN") || !strings.ContainsAny(r.stdout, "▁▂▃▄▅▆▇█") {
		t.Fatalf("table:\n%s", r.stdout)
	}
	p := runKbench(t, "keys", "quickstart", "--messages", "3000", "--partitioner", "crc32,fnv1a", "--repartition", "16")
	if p.code != 0 || !strings.Contains(p.stdout, "crc32") || !strings.Contains(p.stdout, "REMAP") {
		t.Fatalf("profile: exit %d\n%s%s", p.code, p.stdout, p.stderr)
	}
	f := writeFile(t, "k.yaml", "name: k\ntopic: {partitions: 3}\nworkload:\n  keying: {strategy: node, partitioner: jump}\n")
	fr := runKbench(t, "keys", f, "--messages", "3000", "--format", "json")
	var out struct{ Rows []keysRow }
	if err := json.Unmarshal([]byte(fr.stdout), &out); err != nil || len(out.Rows) != 1 {
		t.Fatalf("file: %v %s %s", err, fr.stdout, fr.stderr)
	}
	if row := out.Rows[0]; row.Strategy != "node" || row.Partitioner != "jump" || row.Partitions != 3 {
		t.Fatalf("file row %+v", row)
	}
}

func TestKeysBadFlags(t *testing.T) {
	for _, args := range [][]string{
		{"keys", "--strategy", "hash"},
		{"keys", "--partitioner", "modulo"},
		{"keys", "--partitions", "0"},
		{"keys", "--messages", "0"},
		{"keys", "--format", "xml"},
		{"keys", "--repartition", "-1"},
		{"keys", "--bogus"},
		{"keys", "no-such-profile"},
		{"keys", "a", "b"},
		{"keys", "--set", "topic.partitions=3"},
		{"keys", "locate", "--partitioner", "modulo", "k"},
		{"keys", "locate", "--partitions", "0", "k"},
	} {
		if r := runKbench(t, args...); r.code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, r.code, r.stderr)
		}
	}
	if r := runKbench(t, "keys", "--help"); r.code != 0 || !strings.Contains(r.stdout, "kbench keys locate") {
		t.Errorf("help: %d %s", r.code, r.stdout)
	}
}

func TestKeysLocate(t *testing.T) {
	keys := []string{"21", "foobar", "order-service", "payment-service|payment-7f9c-2", "ü-ключ"}
	for _, name := range []string{"murmur2", "crc32", "fnv1a", "jump"} {
		r := runKbench(t, append([]string{"keys", "locate", "--partitioner", name, "--partitions", "12"}, keys...)...)
		if r.code != 0 {
			t.Fatalf("%s: exit %d %s", name, r.code, r.stderr)
		}
		part, _ := keying.NewPartitioner(name, keying.PartitionerOptions{})
		var want strings.Builder
		for _, k := range keys {
			fmt.Fprintf(&want, "%s\t%d\n", k, part.Partition([]byte(k), 12))
		}
		if r.stdout != want.String() {
			t.Fatalf("%s: got\n%s want\n%s", name, r.stdout, want.String())
		}
	}
	// stdin, one key per line (CRLF tolerated); murmur2 of "foobar" on 50
	// partitions is 16 in the Java client.
	cmd := exec.Command(kbenchBin, "keys", "locate", "--partitioner", "murmur2", "--partitions", "50")
	cmd.Stdin = strings.NewReader("foobar\r\n21\n")
	out, err := cmd.Output()
	if err != nil || string(out) != "foobar\t16\n21\t40\n" {
		t.Fatalf("stdin locate: %q %v", out, err)
	}
}

// crc32 placement equals kcat's (librdkafka consistent_random) on the
// embedded broker, key by key. Skips without kcat unless
// KBENCH_REQUIRE_KCAT=1.
func TestKeysCRC32MatchesKcat(t *testing.T) {
	kcat, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("KBENCH_REQUIRE_KCAT") == "1" {
			t.Fatal("kcat not installed and KBENCH_REQUIRE_KCAT=1")
		}
		t.Skip("kcat not installed")
	}
	const partitions = 7
	b, err := broker.Start(broker.Options{DefaultPartitions: partitions})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addrs()[0]
	topic := "kbench-kcat-crc32"

	var keys []string
	for i := range 300 {
		switch i % 3 {
		case 0:
			keys = append(keys, strconv.Itoa(i*7919))
		case 1:
			keys = append(keys, fmt.Sprintf("svc-%d|node-%x", i, i*31))
		default:
			keys = append(keys, fmt.Sprintf("/orders/%d/items", i))
		}
	}
	var in bytes.Buffer
	for i, k := range keys {
		fmt.Fprintf(&in, "%s:v%d\n", k, i)
	}
	prod := exec.Command(kcat, "-P", "-b", addr, "-t", topic, "-K:")
	prod.Stdin = &in
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat -P: %v\n%s", err, out)
	}
	cons := exec.Command(kcat, "-C", "-q", "-b", addr, "-t", topic, "-f", "%k %p\n", "-e", "-o", "beginning")
	var stderr bytes.Buffer
	cons.Stderr = &stderr
	done := make(chan struct{})
	var out []byte
	go func() { out, err = cons.Output(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		cons.Process.Kill()
		t.Fatal("kcat -C timed out")
	}
	if err != nil {
		t.Fatalf("kcat -C: %v\n%s%s", err, out, stderr.Bytes())
	}
	got := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		p, err := strconv.Atoi(line[i+1:])
		if err != nil {
			t.Fatalf("kcat line %q", line)
		}
		got[line[:i]] = p
	}
	if len(got) != len(keys) {
		t.Fatalf("kcat read back %d keys, produced %d:\n%s", len(got), len(keys), out)
	}
	crc, _ := keying.NewPartitioner("crc32", keying.PartitionerOptions{})
	for _, k := range keys {
		if want := crc.Partition([]byte(k), partitions); got[k] != want {
			t.Errorf("key %q: kcat put it on %d, kbench crc32 says %d", k, got[k], want)
		}
	}
}
