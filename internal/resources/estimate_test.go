package resources

import (
	"fmt"
	"strings"
	"testing"

	"github.com/kbench/kbench/workloads"
)

func plan(t *testing.T, sets ...string) *workloads.Plan {
	t.Helper()
	p, err := workloads.LoadProfile("quickstart", sets)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func embeddedAll(*workloads.Experiment) bool { return true }

// TestEstimateScales: the estimate grows with what costs memory, and a
// default run stays small (it runs on any laptop).
func TestEstimateScales(t *testing.T) {
	total := func(sets ...string) int64 {
		p := plan(t, sets...)
		return For(p.Variants[0].Name, p.Variants[0].Exp, true).Total()
	}
	base := total()
	if base > 512<<20 {
		t.Errorf("quickstart estimate %s, want well under 512 MiB", Bytes(base))
	}
	for _, tc := range []struct {
		set  string
		more int64 // at least this much
	}{
		// kafka-go's group reader was measured at ~70 KiB per partition.
		{"topic.partitions=100000", 100000 * 50 << 10},
		// Each producer holds four histograms of ~188 KB and a client.
		{"producer.instances=1000", 1000 * 1 << 20},
		// Unthrottled: max_in_flight records of 64 KiB each.
		{"workload.rate=0 workload.message.size=64KiB", 100000 * 64 << 10},
		// Consumers of 1 msg/s each at 5000 msg/s: the backlog of the
		// whole 3s run stays on the embedded broker.
		{"consumers.0.processing.delay=1s workload.message.size=1MiB", 3 * 4900 << 20},
	} {
		got := total(strings.Fields(tc.set)...)
		if got < tc.more || got <= base {
			t.Errorf("%s: estimate %s, want at least %s (the default: %s)", tc.set, Bytes(got), Bytes(tc.more), Bytes(base))
		}
	}
	// On an external cluster the broker's partitions and data are not
	// in this process.
	p := plan(t, "topic.partitions=100000")
	if ext, emb := For("", p.Variants[0].Exp, false).Total(), For("", p.Variants[0].Exp, true).Total(); ext >= emb {
		t.Errorf("external %s, embedded %s: want less on an external cluster", Bytes(ext), Bytes(emb))
	}
	// Absurd sizes saturate instead of overflowing into a small number.
	p = plan(t, "topic.partitions=2000000000", "producer.instances=100000")
	if got := For("", p.Variants[0].Exp, true).Total(); got < 1<<50 {
		t.Errorf("2e9 partitions x 1e5 producers: %d bytes, want a saturated huge number", got)
	}
}

// TestEstimatePerInstance: what one more producer instance or group
// member costs in the estimate covers what it was measured to cost (peak
// RSS slope per instance, scripts/instances.sh; docs/scale.md).
func TestEstimatePerInstance(t *testing.T) {
	const mib = 1 << 20
	part := func(e Estimate, what string) int64 {
		for _, p := range e.Parts {
			if strings.Contains(p.What, what) {
				return p.Bytes
			}
		}
		t.Fatalf("no part %q in %v", what, e.Parts)
		return 0
	}
	for _, tc := range []struct {
		driver           string
		producer, member float64 // measured MiB per instance
	}{
		{"kafka-go", 6.1, 1.7},
		{"franz-go", 3.7, 3.9},
	} {
		est := func(producers, members int) Estimate {
			p := plan(t, "producer.driver="+tc.driver, fmt.Sprintf("producer.instances=%d", producers),
				fmt.Sprintf("consumers.0.instances=%d", members), "topic.partitions=6")
			return For("", p.Variants[0].Exp, false)
		}
		one, nine := est(1, 1), est(9, 9)
		if got := float64(part(nine, "producer instance")-part(one, "producer instance")) / 8 / mib; got < tc.producer {
			t.Errorf("%s: %.1f MiB per producer instance, measured %.1f", tc.driver, got, tc.producer)
		}
		if got := float64(part(nine, "consumer group")-part(one, "consumer group")) / 8 / mib; got < tc.member {
			t.Errorf("%s: %.1f MiB per group member, measured %.1f", tc.driver, got, tc.member)
		}
	}
}

func TestCheck(t *testing.T) {
	const gib = 1 << 30
	for _, tc := range []struct {
		name      string
		sets      []string
		avail     int64
		wantPath  string // "" = no error
		wantWords []string
	}{
		{"fits", nil, 8 * gib, "", nil},
		{"unknown machine", []string{"topic.partitions=2000000"}, 0, "", nil},
		{"partitions", []string{"topic.partitions=2000000"}, 8 * gib, "topic.partitions", []string{"2,000,000 partitions need ~", "this machine has 8.0 GiB"}},
		{"producers", []string{"producer.instances=20000"}, 8 * gib, "producer.instances", []string{"20,000 producer instances need ~"}},
		{"consumers", []string{"consumers.0.instances=20000"}, 8 * gib, "consumers.0.instances", []string{"20,000 consumer instances need"}},
		{"backlog", []string{"consumers.0.processing.delay=1s", "workload.message.size=512KiB", "workload.rate=50000", "duration=10s"}, 8 * gib, "workload.rate", []string{"50000 msg/s for 10s need"}},
		{"message too large", []string{"workload.message.size=1.5MiB", "producer.batch_bytes=4MiB"}, 0, "workload.message.size", []string{"message.max.bytes (1,048,588 bytes)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := plan(t, tc.sets...)
			errs := CheckPlan(p, embeddedAll, Machine{Available: tc.avail, Source: "available memory"})
			if tc.wantPath == "" {
				if len(errs) > 0 {
					t.Fatalf("want no error, got %v", errs)
				}
				return
			}
			if len(errs) != 1 {
				t.Fatalf("want one error (the same for every variant, said once), got %d: %v", len(errs), errs)
			}
			msg := errs[0].Error()
			if !strings.HasPrefix(msg, "--set: "+tc.wantPath+": ") {
				t.Errorf("error %q: want it to start with the override and %s", msg, tc.wantPath)
			}
			for _, w := range tc.wantWords {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q: want %q in it", msg, w)
				}
			}
		})
	}
}

func TestMeminfo(t *testing.T) {
	text := []byte("MemTotal:       24684092 kB\nMemFree:  100 kB\nMemAvailable:   23733696 kB\n")
	for _, tc := range []struct {
		key  string
		want int64
		ok   bool
	}{
		{"MemAvailable", 23733696, true},
		{"MemFree", 100, true},
		{"SwapTotal", 0, false},
	} {
		got, ok := meminfo(text, tc.key)
		if got != tc.want || ok != tc.ok {
			t.Errorf("%s: got %d %v, want %d %v", tc.key, got, ok, tc.want, tc.ok)
		}
	}
	if m := Probe(); m.Available < 0 {
		t.Errorf("probe: %d bytes available", m.Available)
	}
}

func TestBytes(t *testing.T) {
	for _, tc := range []struct {
		n    int64
		want string
	}{
		{512, "1 KiB"}, {3 << 20, "3 MiB"}, {3 << 29, "1.5 GiB"}, {5 << 40, "5.0 TiB"},
	} {
		if got := Bytes(tc.n); got != tc.want {
			t.Errorf("Bytes(%d) = %q, want %q", tc.n, got, tc.want)
		}
	}
}
