package runner_test

import (
	"testing"
	"time"

	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/workloads/pace"
	"github.com/kbench/kbench/workloads/traffic"
)

// hotPath is the per-message work kbench adds on top of the client: pace,
// generate, key, place, analyse, encode the header, record latency.
type hotPath struct {
	pacer *pace.Pacer
	src   *traffic.Source
	an    *keying.Analyzer
	hist  *recorder.Histogram
	hdr   [wire.Size]byte
	h     wire.Header
	n     uint64
}

func newHotPath(tb testing.TB, strategy string) *hotPath {
	tb.Helper()
	p := plan(tb, "name: hot\n", "workload.keying.strategy="+strategy)
	exp := p.Variants[0].Exp
	src, err := traffic.NewSource(exp, 0, 1)
	if err != nil {
		tb.Fatal(err)
	}
	return &hotPath{
		pacer: pace.NewPacer(pace.Constant{PerSec: 1e6}),
		src:   src,
		an:    keying.NewAnalyzer(exp.Topic.Partitions),
		hist:  recorder.NewHistogram(),
		h:     wire.Header{RunID: 42, Producer: 1},
	}
}

func (hp *hotPath) message() {
	due := hp.pacer.Due(hp.n)
	_, key, part := hp.src.Next(due)
	hp.an.Observe(key, hp.src.Entity(), part, len(key)+512)
	hp.h.Seq, hp.h.Intended, hp.h.Sent = hp.n, int64(due), int64(due)+1000
	wire.Put(hp.hdr[:], &hp.h)
	hp.hist.Record(time.Duration(hp.n%5000) * time.Microsecond)
	hp.n++
}

// TestHotPathAllocationFree: kbench's own per-message work allocates
// nothing, whatever the strategy.
func TestHotPathAllocationFree(t *testing.T) {
	for _, s := range []string{"path", "service", "node", "composite", "salted", "random", "none"} {
		hp := newHotPath(t, s)
		for i := 0; i < 200000; i++ { // warm the sketches past their growth
			hp.message()
		}
		if a := testing.AllocsPerRun(10000, hp.message); a != 0 {
			t.Errorf("strategy %s: %.2f allocations per message", s, a)
		}
	}
}

func BenchmarkHotPath(b *testing.B) {
	hp := newHotPath(b, "path")
	for i := 0; i < 200000; i++ {
		hp.message()
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		hp.message()
	}
}
