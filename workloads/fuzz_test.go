package workloads

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/profiles"
)

// checkLoaded holds for every input: a configuration error (exit 2) that
// names where the problem is, or a plan whose every variant renders to
// YAML that loads back.
func checkLoaded(t *testing.T, name string, plan *Plan, err error) {
	t.Helper()
	if err != nil {
		if exitcode.Of(err) != exitcode.Config {
			t.Fatalf("error is not a configuration error (exit %d): %v", exitcode.Of(err), err)
		}
		msg := err.Error()
		if strings.TrimSpace(msg) == "" {
			t.Fatal("empty error message")
		}
		var fe Errors
		if errors.As(err, &fe) {
			for _, e := range fe {
				if e.File == "" || strings.TrimSpace(e.Msg) == "" {
					t.Fatalf("error without a file or a message: %#v", e)
				}
			}
		}
		return
	}
	if plan == nil || len(plan.Variants) == 0 {
		t.Fatal("no error and no variants")
	}
	for _, v := range plan.Variants {
		b, err := v.Exp.ToYAML()
		if err != nil {
			t.Fatalf("variant %s: ToYAML: %v", v.Name, err)
		}
		if strings.Contains(string(b), "******") {
			continue // a secret prints masked: the file no longer holds it
		}
		if _, err := LoadBytes("again.yaml", b, nil); err != nil {
			t.Fatalf("variant %s: its YAML does not load back: %v\n%s", v.Name, err, b)
		}
	}
}

// boundedLoad runs load, failing when it takes unreasonably long: a
// hostile file must not hang validation.
func boundedLoad(t *testing.T, load func() (*Plan, error)) (*Plan, error) {
	t.Helper()
	type out struct {
		p   *Plan
		err error
	}
	done := make(chan out, 1)
	go func() {
		p, err := load()
		done <- out{p, err}
	}()
	select {
	case o := <-done:
		return o.p, o.err
	case <-time.After(5 * time.Second):
		panic("loading took more than 5s")
	}
}

// FuzzLoad: any bytes as an experiment file give a plan or a clear
// configuration error, never a panic or a hang.
func FuzzLoad(f *testing.F) {
	for _, name := range profiles.Names() {
		data, _ := profiles.Get(name)
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		plan, err := boundedLoad(t, func() (*Plan, error) { return LoadBytes("fuzz.yaml", data, nil) })
		checkLoaded(t, "fuzz.yaml", plan, err)
	})
}

// fuzzBase is a small valid experiment the --set values apply to.
const fuzzBase = `name: fuzz
duration: 1s
workload: {rate: 100}
consumers: [{group: g}]
matrix:
  producer.acks: ["1", all]
gates: [produce.latency_ms.p99 < 50]
`

// FuzzSet: any `--set path=value` gives a plan or a configuration error
// naming the override, never a panic.
func FuzzSet(f *testing.F) {
	for _, s := range []string{
		"workload.rate=5000", "producer.acks=all", "consumers.0.instances=3",
		"matrix.workload.keying.strategy=[path,service]", "gates=[delivery.lost == 0]",
		"topic.partitions=0x10", "duration=-1s", "workload.message.size=1MiB",
		"faults.0={at: 1s, kind: consumer-crash, group: g}", "=", "a.b.c", "consumers.9.group=x",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, set string) {
		plan, err := boundedLoad(t, func() (*Plan, error) { return LoadBytes("fuzz.yaml", []byte(fuzzBase), []string{set}) })
		checkLoaded(t, "fuzz.yaml", plan, err)
	})
}
