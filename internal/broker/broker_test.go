package broker_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/admin"
	"github.com/kbench/kbench/internal/broker"
)

// requireKcat returns kcat's path, skipping (or failing in CI) without it.
func requireKcat(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("kcat")
	if err != nil {
		if os.Getenv("KBENCH_REQUIRE_KCAT") == "1" {
			t.Fatal("kcat not found and KBENCH_REQUIRE_KCAT=1")
		}
		t.Skip("kcat not installed")
	}
	return p
}

// TestKcatRoundTrip proves a third-party client (librdkafka) can produce to
// and consume from the embedded broker.
func TestKcatRoundTrip(t *testing.T) {
	kcat := requireKcat(t)
	b, err := broker.Start(broker.Options{DefaultPartitions: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	addr := b.Addrs()[0]

	var in bytes.Buffer
	want := map[string]string{}
	for i := 0; i < 50; i++ {
		k, v := fmt.Sprintf("key-%d", i), fmt.Sprintf("value-%d", i)
		want[k] = v
		fmt.Fprintf(&in, "%s:%s\n", k, v)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	prod := exec.CommandContext(ctx, kcat, "-P", "-b", addr, "-t", "interop", "-K:")
	prod.Stdin = &in
	if out, err := prod.CombinedOutput(); err != nil {
		t.Fatalf("kcat produce: %v\n%s", err, out)
	}
	cons := exec.CommandContext(ctx, kcat, "-C", "-b", addr, "-t", "interop", "-f", "%k %s %p\n", "-e", "-q")
	out, err := cons.Output()
	if err != nil {
		t.Fatalf("kcat consume: %v", err)
	}
	got := map[string]string{}
	parts := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 {
			t.Fatalf("bad line %q", line)
		}
		got[f[0]] = f[1]
		parts[f[2]] = true
	}
	if len(got) != len(want) {
		t.Fatalf("consumed %d distinct keys, produced %d", len(got), len(want))
	}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("key %s: got %q want %q", k, got[k], v)
		}
	}
	var ps []string
	for p := range parts {
		ps = append(ps, p)
	}
	sort.Strings(ps)
	if len(ps) < 2 {
		t.Fatalf("50 keys landed on partitions %v of 3; keyed placement is not spreading", ps)
	}
}

// TestTrimCommitted checks that consumed (committed) records are deleted,
// which is what bounds the embedded broker's memory.
func TestTrimCommitted(t *testing.T) {
	b, err := broker.Start(broker.Options{DefaultPartitions: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	adm, err := admin.New(admin.Options{Brokers: b.Addrs()})
	if err != nil {
		t.Fatal(err)
	}
	defer adm.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := adm.CreateTopic(ctx, "trim", 1, 1); err != nil {
		t.Fatal(err)
	}
	if err := adm.ProduceTest(ctx, "trim", 100); err != nil {
		t.Fatal(err)
	}
	if err := adm.CommitTest(ctx, "g1", "trim", 0, 60); err != nil {
		t.Fatal(err)
	}
	if err := adm.TrimCommitted(ctx); err != nil {
		t.Fatal(err)
	}
	start, err := adm.StartOffsets(ctx, "trim", 1)
	if err != nil {
		t.Fatal(err)
	}
	end, err := adm.EndOffsets(ctx, "trim", 1)
	if err != nil {
		t.Fatal(err)
	}
	if start[0] != 60 || end[0] != 100 {
		t.Fatalf("after trimming to the commit: log start %d end %d, want 60 and 100", start[0], end[0])
	}
}
