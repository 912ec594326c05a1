package workloads

import (
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/profiles"
)

// errLines loads src as "x.yaml" and returns the error lines ("" when ok).
func errLines(t *testing.T, src string, sets ...string) []string {
	t.Helper()
	_, err := LoadBytes("x.yaml", []byte(src), sets)
	if err == nil {
		return nil
	}
	if exitcode.Of(err) != exitcode.Config {
		t.Errorf("exit code %d, want %d", exitcode.Of(err), exitcode.Config)
	}
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("error %v is not Errors", err)
	}
	return strings.Split(es.Error(), "\n")
}

func mustLoad(t *testing.T, src string, sets ...string) *Plan {
	t.Helper()
	p, err := LoadBytes("x.yaml", []byte(src), sets)
	if err != nil {
		t.Fatalf("load: %v", err)
	}
	return p
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name string
		src  string
		sets []string
		want []string
	}{
		{"unknown key with suggestion", "topic:\n  partitons: 3\n",
			nil, []string{`x.yaml:2:3: unknown key "partitons" in topic; did you mean "partitions"?`}},
		{"unknown top-level key", "duraton: 5s\n",
			nil, []string{`x.yaml:1:1: unknown key "duraton" at the top level; did you mean "duration"?`}},
		{"unknown key without a close one lists keys", "topic: {zzzzzz: 1}\n",
			nil, []string{`x.yaml:1:9: unknown key "zzzzzz" in topic; known keys: name, partitions, replication, keep, repartition, repartition_at, existing, from`}},
		{"wrong type int", "topic:\n  partitions: six\n",
			nil, []string{`x.yaml:2:15: topic.partitions: expected an integer, got "six"`}},
		{"wrong type list for scalar", "workload:\n  rate: [1, 2]\n",
			nil, []string{`x.yaml:2:9: workload.rate: expected a number, got a list`}},
		{"wrong type scalar for mapping", "producer: fast\n",
			nil, []string{`x.yaml:1:11: producer: expected a mapping, got "fast"`}},
		{"wrong type bool", "topic: {keep: maybe}\n",
			nil, []string{`x.yaml:1:15: topic.keep: expected true or false, got "maybe"`}},
		{"bad enum acks", "producer:\n  acks: 2\n",
			nil, []string{`x.yaml:2:9: producer.acks: invalid value "2"; want one of 0, 1, all`}},
		{"bad enum with suggestion", "workload:\n  keying:\n    strategy: servce\n",
			nil, []string{`x.yaml:3:15: workload.keying.strategy: invalid value "servce" (did you mean "service"?); want one of none, path, service, node, composite, random, salted`}},
		{"partitions zero", "topic: {partitions: 0}\n",
			nil, []string{`x.yaml:1:21: topic.partitions: must be at least 1, got 0`}},
		{"bad duration", "duration: 30x\n",
			nil, []string{`x.yaml:1:11: duration: invalid duration "30x" (want a Go duration such as 500ms, 30s or 1m30s)`}},
		{"duration without unit", "drain: 30\n",
			nil, []string{`x.yaml:1:8: drain: invalid duration "30" (missing unit: write 30s or 30ms)`}},
		{"negative duration", "drain: -1s\n",
			nil, []string{`x.yaml:1:8: drain: invalid duration "-1s" (must not be negative)`}},
		{"bad size unit", "producer: {batch_bytes: 64K}\n",
			nil, []string{`x.yaml:1:25: producer.batch_bytes: invalid size "64K" (unknown unit "K"; use B, KiB, MiB, GiB (1024) or KB, MB, GB (1000))`}},
		{"bad size", "workload: {message: {size: big}}\n",
			nil, []string{`x.yaml:1:28: workload.message.size: invalid size "big" (want bytes such as 512, 64KiB or 1MiB)`}},
		{"duplicate key", "seed: 1\nseed: 2\n",
			nil, []string{`x.yaml:2:1: duplicate key "seed" (first at line 1)`}},
		{"yaml syntax", "topic:\n  partitions: 3\n name: x\n",
			nil, []string{`x.yaml:2:1: YAML syntax error: did not find expected key`}},
		{"not a mapping", "- a\n",
			nil, []string{`x.yaml:1:1: an experiment must be a mapping of keys (name:, workload:, ...), got a list`}},
		{"version", "version: 2\n",
			nil, []string{`x.yaml:1:10: version: unsupported version 2 (this kbench reads version 1)`}},
		{"heartbeat vs session", "consumers:\n  - group: g\n    session_timeout: 3s\n    heartbeat_interval: 3s\n",
			nil, []string{`x.yaml:4:25: consumers.0.heartbeat_interval: heartbeat_interval (3s) must be shorter than session_timeout (3s)`}},
		{"repeat", "repeat: 0\n",
			nil, []string{`x.yaml:1:9: repeat: must be 1 to 100, got 0`}},
		{"warmup vs duration", "duration: 5s\nwarmup: 5s\n",
			nil, []string{`x.yaml:2:9: warmup: warmup (5s) must be shorter than duration (5s)`}},
		{"duplicate group", "consumers:\n  - group: a\n  - group: a\n",
			nil, []string{`x.yaml:3:12: consumers.1.group: duplicate group "a" (first at line 2)`}},
		{"group missing", "consumers:\n  - instances: 2\n",
			nil, []string{`x.yaml:2:5: consumers.0.group: a consumer group needs a group id`}},
		{"fault names unknown group", "consumers: [{group: web}, {group: batch}]\nfaults:\n  - {at: 1s, kind: consumer-crash, group: wbe}\n",
			nil, []string{`x.yaml:3:43: faults.0.group: no consumer group "wbe"; did you mean "web"?`}},
		{"assignor the driver cannot do", "consumers:\n  - {group: g, assignor: cooperative-sticky}\n",
			nil, []string{`x.yaml:2:26: consumers.0.assignor: the kafka-go driver cannot use assignor cooperative-sticky (it supports range, round-robin; franz-go supports all four)`}},
		{"unknown assignor", "consumers:\n  - {group: g, assignor: rang}\n",
			nil, []string{`x.yaml:2:26: consumers.0.assignor: invalid value "rang" (did you mean "range"?); want one of range, round-robin, sticky, cooperative-sticky`}},
		{"spike without delay", "consumers: [{group: g}]\nfaults:\n  - {at: 1s, kind: processing-spike, duration: 2s}\n",
			nil, []string{`x.yaml:3:5: faults.0.delay: processing-spike needs delay (the per-message processing time during the spike, e.g. 50ms)`}},
		{"delay on another fault", "consumers: [{group: g}]\nfaults:\n  - {at: 1s, kind: consumer-leave, delay: 2s}\n",
			nil, []string{`x.yaml:3:43: faults.0.delay: does not apply to consumer-leave (only to processing-spike)`}},
		{"fault kind", "faults:\n  - {at: 1s, kind: explode}\n",
			nil, []string{`x.yaml:2:20: faults.0.kind: invalid value "explode"; want one of consumer-crash, consumer-leave, consumer-join, consumer-stall, processing-spike, produce-error, produce-timeout, produce-latency, fetch-latency, leader-move`}},
		{"broker fault on a cluster", "cluster: {brokers: [k:9092]}\nfaults:\n  - {at: 1s, kind: leader-move}\n",
			nil, []string{`x.yaml:3:20: faults.0.kind: leader-move needs the embedded broker (remove cluster: or this fault)`}},
		{"latency fault needs latency", "faults:\n  - {at: 1s, kind: produce-latency}\n",
			nil, []string{`x.yaml:2:5: faults.0.latency: produce-latency needs latency (e.g. 50ms)`}},
		{"composite fields", "workload:\n  keying: {strategy: composite, fields: [service, colour]}\n",
			nil, []string{`x.yaml:2:51: workload.keying.fields.1: invalid value "colour"; want one of service, path, node, user, status`}},
		{"ramp needs params", "workload:\n  shape: {kind: ramp, from: 0, to: 100}\n",
			nil, []string{`x.yaml:2:10: workload.shape: a ramp shape needs over (from, to, over)`}},
		{"param of another shape", "workload:\n  shape: {kind: constant, peak: 5}\n",
			nil, []string{`x.yaml:2:33: workload.shape.peak: does not apply to a constant shape`}},
		{"sine amplitude", "workload:\n  shape: {kind: sine, mean: 100, amplitude: 150, period: 10s}\n",
			nil, []string{`x.yaml:2:45: workload.shape.amplitude: 150 exceeds mean 100 (the rate would go negative)`}},
		{"gate must be a string", "gates:\n  - produce.latency_ms.p99: < 50\n",
			nil, []string{`x.yaml:2:5: gates.0: a gate must be a string such as "produce.latency_ms.p99 < 50", got a mapping (quote it if it contains ': ')`}},
		{"message larger than a batch", "workload: {message: {size: 2MiB}}\n",
			nil, []string{`x.yaml:1:28: workload.message.size: 2MiB does not fit in producer.batch_bytes (1MiB)`}},
		{"several errors all reported, in order", "topic: {partitions: 0, replication: x}\nproducer:\n  acks: most\n  compresion: gzip\nduration: 1y\n",
			nil, []string{
				`x.yaml:1:37: topic.replication: expected an integer, got "x"`,
				`x.yaml:3:9: producer.acks: invalid value "most"; want one of 0, 1, all`,
				`x.yaml:4:3: unknown key "compresion" in producer; did you mean "compression"?`,
				`x.yaml:5:11: duration: invalid duration "1y" (want a Go duration such as 500ms, 30s or 1m30s)`,
				`x.yaml:1:21: topic.partitions: must be at least 1, got 0`,
			}},
		{"set unknown path", "", []string{"workload.keying.stratgy=service"},
			[]string{`--set: workload.keying.stratgy=service: unknown key "stratgy" in workload.keying; did you mean "strategy"?`}},
		{"set bad value", "", []string{"producer.acks=2"},
			[]string{`--set: producer.acks: invalid value "2"; want one of 0, 1, all`}},
		{"set without =", "", []string{"producer.acks"},
			[]string{`--set: "producer.acks": want path=value, e.g. workload.keying.strategy=service`}},
		{"set index out of range", "", []string{"consumers.3.instances=2"},
			[]string{`--set: consumers.3.instances=2: index 3 out of range: consumers has 1 entries (index 1 appends one)`}},
		{"set into a scalar", "", []string{"duration.x=1"},
			[]string{`--set: duration.x=1: duration is a single value; it has no key "x"`}},
		{"matrix unknown path", "matrix:\n  producer.ack: [0, 1]\n",
			nil, []string{`x.yaml:2:3: matrix: producer.ack: unknown key "ack" in producer; did you mean "acks"?`}},
		{"matrix value not a list", "matrix:\n  producer.acks: all\n",
			nil, []string{`x.yaml:2:18: matrix: producer.acks: expected a non-empty list of values, got "all"`}},
		{"matrix bad value names its variant", "matrix:\n  producer.acks: [1, 2]\n",
			nil, []string{`x.yaml:2:22: variant acks=2: producer.acks: invalid value "2"; want one of 0, 1, all`}},
	}
	// The several-errors case is sorted by position; fix its expectation.
	for i := range tests {
		if strings.HasPrefix(tests[i].name, "several") {
			w := tests[i].want
			tests[i].want = append([]string{w[4], w[0]}, w[1:4]...)
		}
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := errLines(t, tc.src, tc.sets...)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("errors:\n got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFieldErrorFields(t *testing.T) {
	_, err := LoadBytes("f.yaml", []byte("producer:\n  acks: 7\n"), nil)
	var es Errors
	if !errors.As(err, &es) || len(es) != 1 {
		t.Fatalf("err = %v", err)
	}
	want := FieldError{File: "f.yaml", Line: 2, Col: 9, Path: "producer.acks", Msg: `producer.acks: invalid value "7"; want one of 0, 1, all`}
	if es[0] != want {
		t.Errorf("got %+v, want %+v", es[0], want)
	}
}

func TestDefaults(t *testing.T) {
	p := mustLoad(t, "")
	if len(p.Variants) != 1 {
		t.Fatalf("%d variants", len(p.Variants))
	}
	v := p.Variants[0]
	e := v.Exp
	if v.Name != "x" || e.Name != "x" || p.Name != "x" {
		t.Errorf("names: variant %q exp %q plan %q, want x", v.Name, e.Name, p.Name)
	}
	want := Defaults()
	want.Name = "x"
	want.Topic.Name = "kbench-x"
	if !reflect.DeepEqual(*e, want) {
		t.Errorf("defaults:\n got %+v\nwant %+v", *e, want)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"duration", e.Duration.D(), 20 * time.Second},
		{"warmup", e.Warmup.D(), time.Duration(0)},
		{"drain", e.Drain.D(), 15 * time.Second},
		{"seed", e.Seed, int64(1)},
		{"partitions", e.Topic.Partitions, 6},
		{"replication", e.Topic.Replication, 1},
		{"rate", e.Workload.Rate, 1000.0},
		{"shape", e.Workload.Shape.Kind, "constant"},
		{"size", e.Workload.Message.Size, Size(512)},
		{"format", e.Workload.Message.Format, "bytes"},
		{"services", e.Workload.Traffic.Services, 5},
		{"paths", e.Workload.Traffic.PathsPerService, 8},
		{"nodes", e.Workload.Traffic.NodesPerService, 4},
		{"users", e.Workload.Traffic.Users, 100000},
		{"popularity", e.Workload.Traffic.Popularity, Popularity{Kind: "zipf", S: 1.1}},
		{"strategy", e.Workload.Keying.Strategy, "path"},
		{"fields", e.Workload.Keying.Fields, []string{"service", "node"}},
		{"salts", e.Workload.Keying.Salts, 8},
		{"partitioner", e.Workload.Keying.Partitioner, "murmur2"},
		{"order_by", e.Workload.Keying.OrderBy, "service"},
		{"driver", e.Producer.Driver, "kafka-go"},
		{"instances", e.Producer.Instances, 1},
		{"batch_size", e.Producer.BatchSize, 1000},
		{"batch_bytes", e.Producer.BatchBytes, Size(1 << 20)},
		{"linger", e.Producer.Linger.D(), 5 * time.Millisecond},
		{"acks", e.Producer.Acks, "all"},
		{"compression", e.Producer.Compression, "none"},
		{"max_in_flight", e.Producer.MaxInFlight, 100000},
		{"consumers", e.Consumers, []ConsumerGroup{{Group: "kbench", Instances: 1, Commit: "after-process",
			SessionTimeout: Duration(10 * time.Second), HeartbeatInterval: Duration(3 * time.Second), MaxPollRecords: 500}}},
	}
	for _, c := range checks {
		if !reflect.DeepEqual(c.got, c.want) {
			t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
		}
	}
}

func TestDefaultsPerEntryAndExplicitZero(t *testing.T) {
	e := mustLoad(t, `
name: z
workload: {rate: 0}
consumers:
  - group: a
    instances: 3
  - {group: b, commit: auto}
faults:
  - {at: 1s, kind: consumer-crash, group: a}
`).Variants[0].Exp
	if e.Workload.Rate != 0 {
		t.Errorf("explicit rate 0 became %v", e.Workload.Rate)
	}
	if e.Topic.Name != "kbench-z" {
		t.Errorf("topic %q", e.Topic.Name)
	}
	if len(e.Consumers) != 2 || e.Consumers[0].Commit != "after-process" || e.Consumers[0].Instances != 3 ||
		e.Consumers[1].Instances != 1 || e.Consumers[1].Commit != "auto" || e.Consumers[1].SessionTimeout.D() != 10*time.Second {
		t.Errorf("consumers %+v", e.Consumers)
	}
	if e.Faults[0].Rate != 1 {
		t.Errorf("fault rate %v", e.Faults[0].Rate)
	}
	// An explicit empty list means no consumers at all.
	if e := mustLoad(t, "consumers: []\n").Variants[0].Exp; len(e.Consumers) != 0 {
		t.Errorf("consumers: [] gave %+v", e.Consumers)
	}
}

func TestSizes(t *testing.T) {
	for in, want := range map[string]Size{
		"512": 512, "64KiB": 64 << 10, "1MiB": 1 << 20, "1MB": 1000000, "2kb": 2000,
		"1.5MiB": 3 << 19, "10 B": 10, "1GiB": 1 << 30,
	} {
		got, err := ParseSize(in)
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "-1", "1K", "MiB", "1.2.3MiB"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) succeeded", in)
		}
	}
	for s, want := range map[Size]string{512: "512", 1 << 20: "1MiB", 64 << 10: "64KiB", 1000: "1000", 0: "0"} {
		if got := s.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(s), got, want)
		}
	}
	e := mustLoad(t, "producer: {batch_bytes: 64KiB}\nworkload: {message: {size: 1000}}\n").Variants[0].Exp
	if e.Producer.BatchBytes != 64<<10 || e.Workload.Message.Size != 1000 {
		t.Errorf("sizes %d %d", e.Producer.BatchBytes, e.Workload.Message.Size)
	}
}

func TestSetOverrides(t *testing.T) {
	p := mustLoad(t, "producer: {acks: all}\n",
		"workload.keying.strategy=composite",
		"workload.keying.fields=[service,user]",
		"consumers.0.instances=3",
		"producer.acks=1",
		"topic.partitions=12",
		"workload.shape={kind: ramp, from: 0, to: 100, over: 10s}",
		"faults.0={at: 1s, kind: consumer-crash}",
	)
	e := p.Variants[0].Exp
	if e.Workload.Keying.Strategy != "composite" || !reflect.DeepEqual(e.Workload.Keying.Fields, []string{"service", "user"}) {
		t.Errorf("keying %+v", e.Workload.Keying)
	}
	if len(e.Consumers) != 1 || e.Consumers[0].Group != "kbench" || e.Consumers[0].Instances != 3 {
		t.Errorf("consumers %+v", e.Consumers)
	}
	if e.Producer.Acks != "1" || e.Topic.Partitions != 12 {
		t.Errorf("acks %q partitions %d", e.Producer.Acks, e.Topic.Partitions)
	}
	if e.Workload.Shape.Kind != "ramp" || e.Workload.Shape.Over.D() != 10*time.Second {
		t.Errorf("shape %+v", e.Workload.Shape)
	}
	if len(e.Faults) != 1 || e.Faults[0].Group != "kbench" {
		t.Errorf("faults %+v", e.Faults)
	}
	if pos, ok := p.Variants[0].Pos("producer.acks"); !ok || pos.Line != 0 {
		t.Errorf("override position %+v %v, want line 0", pos, ok)
	}
}

func TestSetPinsMatrixAxis(t *testing.T) {
	src := "matrix:\n  workload.keying.strategy: [path, node]\n  producer.acks: [1, all]\n"
	p := mustLoad(t, src, "workload.keying.strategy=service")
	if got := p.Names(); !reflect.DeepEqual(got, []string{"acks=1", "acks=all"}) {
		t.Errorf("names %q", got)
	}
	for _, v := range p.Variants {
		if v.Exp.Workload.Keying.Strategy != "service" {
			t.Errorf("%s: strategy %q", v.Name, v.Exp.Workload.Keying.Strategy)
		}
	}
	p = mustLoad(t, src, "matrix.producer.acks=[0]")
	if got := p.Names(); !reflect.DeepEqual(got, []string{"strategy=path,acks=0", "strategy=node,acks=0"}) {
		t.Errorf("names %q", got)
	}
	if p = mustLoad(t, src, "matrix={}"); len(p.Variants) != 1 || p.Variants[0].Name != "x" {
		t.Errorf("matrix={} gave %q", p.Names())
	}
}

func TestMatrix(t *testing.T) {
	p := mustLoad(t, `
name: m
matrix:
  workload.keying.strategy: [path, service, composite]
  producer.acks: [1, all]
  workload.keying.fields: [[service, user]]
`)
	want := []string{
		"strategy=path,acks=1,fields=[service,user]",
		"strategy=path,acks=all,fields=[service,user]",
		"strategy=service,acks=1,fields=[service,user]",
		"strategy=service,acks=all,fields=[service,user]",
		"strategy=composite,acks=1,fields=[service,user]",
		"strategy=composite,acks=all,fields=[service,user]",
	}
	if got := p.Names(); !reflect.DeepEqual(got, want) {
		t.Fatalf("names:\n got %q\nwant %q", got, want)
	}
	if !reflect.DeepEqual(p.Axes, []string{"workload.keying.strategy", "producer.acks", "workload.keying.fields"}) {
		t.Errorf("axes %q", p.Axes)
	}
	v := p.Variants[3]
	if v.Exp.Workload.Keying.Strategy != "service" || v.Exp.Producer.Acks != "all" {
		t.Errorf("variant 3 %+v %+v", v.Exp.Workload.Keying, v.Exp.Producer)
	}
	wantParams := map[string]string{"workload.keying.strategy": "service", "producer.acks": "all", "workload.keying.fields": "[service,user]"}
	if !reflect.DeepEqual(v.Params, wantParams) {
		t.Errorf("params %v", v.Params)
	}
	if v.Exp.Topic.Name != "kbench-m-strategy-service.acks-all.fields--service.user-" {
		t.Errorf("topic %q", v.Exp.Topic.Name)
	}
	if v.Exp.Matrix != nil {
		t.Errorf("variant keeps its matrix")
	}
	// Variants are independent values.
	p.Variants[0].Exp.Workload.Keying.Fields[0] = "changed"
	if p.Variants[1].Exp.Workload.Keying.Fields[0] != "service" {
		t.Errorf("variants share memory")
	}
	if err := p.Only("strategy=path,acks=1,fields=[service,user]"); err != nil || len(p.Variants) != 1 {
		t.Errorf("Only: %v, %d", err, len(p.Variants))
	}
	if err := p.Only("nope"); err == nil || exitcode.Of(err) != exitcode.Config || !strings.Contains(err.Error(), `no variant "nope"`) {
		t.Errorf("Only(nope) = %v", err)
	}
}

func TestMatrixLabelsDisambiguate(t *testing.T) {
	p := mustLoad(t, "consumers: [{group: a}, {group: b}]\nmatrix:\n  consumers.0.instances: [1, 2]\n  consumers.1.instances: [3]\n")
	want := []string{"consumers.0.instances=1,consumers.1.instances=3", "consumers.0.instances=2,consumers.1.instances=3"}
	if got := p.Names(); !reflect.DeepEqual(got, want) {
		t.Errorf("names %q", got)
	}
}

func TestEnvAndSecrets(t *testing.T) {
	t.Setenv("KB_TEST_PASSWORD", "hunter2-s3cret")
	t.Setenv("KB_TEST_PARTS", "12")
	src := `
cluster:
  brokers: [k1:9092]
  sasl: {mechanism: scram-sha-512, username: bench, password: ${KB_TEST_PASSWORD}}
topic: {partitions: "${KB_TEST_PARTS}"}
description: literal $${NOT_EXPANDED}
`
	e := mustLoad(t, src).Variants[0].Exp
	if e.Cluster.SASL.Password.Reveal() != "hunter2-s3cret" || e.Topic.Partitions != 12 {
		t.Fatalf("password/partitions not substituted: %d", e.Topic.Partitions)
	}
	if e.Cluster.SASL.Mechanism != "SCRAM-SHA-512" {
		t.Errorf("mechanism %q", e.Cluster.SASL.Mechanism)
	}
	if e.Description != "literal ${NOT_EXPANDED}" {
		t.Errorf("description %q", e.Description)
	}
	js, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	ym, err := e.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	for name, out := range map[string]string{"json": string(js), "yaml": string(ym), "%v": fmtV(e)} {
		if strings.Contains(out, "hunter2") {
			t.Errorf("%s output reveals the password:\n%s", name, out)
		}
		if !strings.Contains(out, "******") {
			t.Errorf("%s output has no mask:\n%s", name, out)
		}
	}
	// A missing variable is an error at the value, naming only the variable.
	got := errLines(t, "cluster:\n  brokers: [k:9092]\n  sasl: {mechanism: PLAIN, username: u, password: ${KB_TEST_UNSET_VAR}}\n")
	want := []string{`x.yaml:3:51: environment variable KB_TEST_UNSET_VAR is not set`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
	// A type error on a substituted value shows the reference, not the value.
	t.Setenv("KB_TEST_WORD", "secretword")
	got = errLines(t, "topic: {partitions: ${KB_TEST_WORD}}\n")
	want = []string{`x.yaml:1:21: topic.partitions: expected an integer, got "${KB_TEST_WORD}"`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

func fmtV(e *Experiment) string {
	b, _ := json.Marshal(struct{ S string }{S: e.Cluster.SASL.Password.String()})
	return string(b)
}

func TestToYAMLRoundTrip(t *testing.T) {
	p := mustLoad(t, `
name: rt
duration: 1m30s
producer: {batch_bytes: 64KiB, linger: 2ms}
workload:
  shape: {kind: step, steps: [{rate: 10, for: 1s}, {rate: 20, for: 2s}]}
consumers: [{group: a, processing: {delay: 1ms}}]
gates: ["delivery.lost == 0"]
`)
	e := p.Variants[0].Exp
	out, err := e.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(out), "duration: 1m30s") || !strings.Contains(string(out), "batch_bytes: 64KiB") {
		t.Errorf("yaml:\n%s", out)
	}
	// The rendered file has every key, including the step-only ones with
	// zero values, so it is strict-valid only for the keys that apply; decode
	// it with plain yaml to check the values survive.
	var back Experiment
	if err := yaml.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back.Producer, e.Producer) || back.Duration != e.Duration || !reflect.DeepEqual(back.Workload.Shape.Steps, e.Workload.Shape.Steps) {
		t.Errorf("round trip:\n got %+v\nwant %+v", back.Producer, e.Producer)
	}
	js, _ := json.Marshal(e.Duration)
	if string(js) != `"1m30s"` {
		t.Errorf("duration json %s", js)
	}
}

func TestGatesValidated(t *testing.T) {
	got := errLines(t, "gates:\n  - delivery.lost == 0\n  - bogus.x > 1\n  - consume.groups.nosuch.lag.max < 1\n")
	want := []string{
		`x.yaml:3:5: gate "bogus.x > 1": column 1: unknown field "bogus" in the variant (known: `,
		`x.yaml:4:5: gate "consume.groups.nosuch.lag.max < 1": no consumer group "nosuch" in this experiment`,
	}
	if len(got) != len(want) {
		t.Fatalf("got %q", got)
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("got %q, want it to start with %q", got[i], want[i])
		}
	}
	p := mustLoad(t, "gates:\n  - delivery.lost == 0\n")
	if pos, ok := p.Variants[0].Pos("gates.0"); !ok || pos != (Pos{2, 5}) {
		t.Errorf("gate pos %+v", pos)
	}
	fe := p.Variants[0].ErrorAt("gates.0", "boom")
	if fe.Error() != "x.yaml:2:5: boom" {
		t.Errorf("ErrorAt = %q", fe.Error())
	}
}

func TestResolveAndProfiles(t *testing.T) {
	names := profiles.Names()
	if len(names) == 0 || !contains(names, "quickstart") {
		t.Fatalf("profiles %q", names)
	}
	for _, n := range names {
		t.Run(n, func(t *testing.T) {
			p, err := LoadProfile(n, nil)
			if err != nil {
				t.Fatalf("%v", err)
			}
			if p.Description == "" || profiles.Description(n) == "" {
				t.Errorf("no description")
			}
			if p.Name != n {
				t.Errorf("name %q, want the profile name", p.Name)
			}
		})
	}
	_, err := Resolve("quickstrat", nil)
	if err == nil || exitcode.Of(err) != exitcode.Config || !strings.Contains(err.Error(), `unknown profile "quickstrat"; did you mean "quickstart"?`) {
		t.Errorf("Resolve(typo) = %v", err)
	}
	if _, err := Resolve("missing-file.yaml", nil); err == nil || exitcode.Of(err) != exitcode.Config {
		t.Errorf("Resolve(missing file) = %v", err)
	}
}

func TestQuickstartBudget(t *testing.T) {
	p, err := LoadProfile("quickstart", nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"strategy=path", "strategy=service", "strategy=node", "strategy=composite", "strategy=salted"}
	if !reflect.DeepEqual(p.Names(), want) {
		t.Errorf("variants %q", p.Names())
	}
	var total time.Duration
	for _, v := range p.Variants {
		e := v.Exp
		total += e.Warmup.D() + e.Duration.D() + time.Second // + setup/drain allowance
		if e.Cluster != nil || e.Topic.Partitions != 12 || e.Workload.Rate != 5000 || len(e.Consumers) != 1 || e.Consumers[0].Instances != 2 {
			t.Errorf("%s: %+v", v.Name, e)
		}
	}
	if total > 25*time.Second {
		t.Errorf("quickstart plans %s, over the 25 s budget", total)
	}
}

func TestValidateInCode(t *testing.T) {
	e := Defaults()
	ApplyDefaults(&e)
	if err := e.Validate(); err != nil {
		t.Errorf("defaults invalid: %v", err)
	}
	e.Producer.Acks = "2"
	err := e.Validate()
	if err == nil || err.Error() != `producer.acks: invalid value "2"; want one of 0, 1, all` {
		t.Errorf("Validate = %v", err)
	}
	var zero Experiment
	ApplyDefaults(&zero)
	if zero.Topic.Partitions != 6 || zero.Producer.Acks != "all" || zero.Topic.Name != "kbench-kbench" {
		t.Errorf("ApplyDefaults %+v", zero)
	}
}

func TestFailedSetLeavesNoTrace(t *testing.T) {
	got := errLines(t, "", "cluster.brokers.3=k:9092")
	want := []string{`--set: cluster.brokers.3=k:9092: index 3 out of range: cluster.brokers has 0 entries (index 0 appends one)`}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q want %q", got, want)
	}
}

// ToYAML output loads back, strictly, to the same experiment.
func TestToYAMLReloads(t *testing.T) {
	srcs := map[string]string{
		"faults": `
name: f
consumers: [{group: a, instances: 2, assignor: round-robin, max_poll_interval: 2s, max_poll_records: 50}]
faults:
  - {at: 1s, kind: consumer-crash, group: a, instance: 1}
  - {at: 1s, kind: processing-spike, group: a, instance: 0, duration: 2s, delay: 5ms}
  - {at: 1s, kind: processing-spike, group: a, duration: 2s, delay: 5ms}
  - {at: 2s, kind: produce-latency, latency: 20ms, rate: 0.5}
  - {at: 3s, kind: leader-move}
workload:
  rate: 0
  shape: {kind: burst, base: 10, peak: 100, every: 2s, for: 500ms}
  traffic: {list: [{name: api, weight: 2, paths: [/a, /b], nodes: 2}], hot: {at: 1s, for: 1s, key: api, share: 0.5}}
`,
	}
	for _, n := range profiles.Names() {
		b, _ := profiles.Get(n)
		srcs[n] = string(b)
	}
	for name, src := range srcs {
		p := mustLoad(t, src)
		for _, v := range p.Variants {
			out, err := v.Exp.ToYAML()
			if err != nil {
				t.Fatal(err)
			}
			back, err := LoadBytes("back.yaml", out, nil)
			if err != nil {
				t.Errorf("%s/%s: reload: %v\n%s", name, v.Name, err, out)
				continue
			}
			if !reflect.DeepEqual(back.Variants[0].Exp, v.Exp) {
				t.Errorf("%s/%s: reload differs:\n got %+v\nwant %+v", name, v.Name, back.Variants[0].Exp, v.Exp)
			}
		}
	}
}

func TestAnchorsMergeKeysAndSetEnv(t *testing.T) {
	t.Setenv("KB_TEST_INSTANCES", "4")
	src := "x-group: &grp {instances: 2, commit: auto}\n" +
		"consumers:\n  - {<<: *grp, group: a}\n  - {<<: *grp, group: b, instances: 3}\n"
	e := mustLoad(t, src, "consumers.0.instances=${KB_TEST_INSTANCES}").Variants[0].Exp
	want := []ConsumerGroup{DefaultConsumerGroup("a"), DefaultConsumerGroup("b")}
	want[0].Instances, want[0].Commit = 4, "auto"
	want[1].Instances, want[1].Commit = 3, "auto"
	if !reflect.DeepEqual(e.Consumers, want) {
		t.Errorf("consumers\n got %+v\nwant %+v", e.Consumers, want)
	}
	// The anchor itself was not modified by the override.
	if e.Consumers[1].Instances != 3 {
		t.Errorf("override leaked through the anchor")
	}
}
