package workloads

import (
	"strings"
	"testing"
)

func TestExistingTopicValidation(t *testing.T) {
	const groups = "consumers:\n  - group: g\n"
	cases := []struct {
		src  string
		want string // "" = valid; else a substring of the one error line
	}{
		{"topic:\n  existing: orders\n" + groups, ""},
		{"topic:\n  existing: orders\n  from: latest\n" + groups, ""},
		{"topic:\n  existing: orders\n  from: \"42\"\n" + groups, ""},
		{"topic:\n  existing: orders\nproducer:\n  allow_existing_topic: true\n", ""},
		{"topic:\n  existing: orders\nconsumers: []\n", "x.yaml:2:13: topic.existing: a consume-only run"},
		{"topic:\n  existing: orders\n  partitions: 3\n" + groups, "x.yaml:3:15: topic.partitions: not with topic.existing"},
		{"topic:\n  existing: orders\n  name: x\n" + groups, "x.yaml:3:9: topic.name: not with topic.existing"},
		{"topic:\n  existing: orders\n  keep: true\n" + groups, "x.yaml:3:9: topic.keep: not with topic.existing"},
		{"topic:\n  existing: orders\n  repartition: 12\n" + groups, "topic.repartition: not with topic.existing"},
		{"topic:\n  existing: orders\n  from: middle\n" + groups, "x.yaml:3:9: topic.from: \"middle\": must be earliest, latest or an offset"},
		{"topic:\n  existing: orders\n  from: \"-3\"\n" + groups, "topic.from: \"-3\""},
		{"topic:\n  existing: \"a b\"\n" + groups, "topic.existing: \"a b\" is not a Kafka topic name"},
		{"topic:\n  from: latest\n", "x.yaml:2:9: topic.from: only with topic.existing"},
		{"producer:\n  allow_existing_topic: true\n", "producer.allow_existing_topic: only with topic.existing"},
		{"topic:\n  existing: orders\nsearch: {}\n" + groups, "search: a capacity search varies the produce rate"},
	}
	for _, tc := range cases {
		lines := errLines(t, tc.src)
		if tc.want == "" {
			if lines != nil {
				t.Errorf("%q: unexpected errors %q", tc.src, lines)
			}
			continue
		}
		found := false
		for _, l := range lines {
			found = found || strings.Contains(l, tc.want)
		}
		if !found {
			t.Errorf("%q: errors %q, want one containing %q", tc.src, lines, tc.want)
		}
	}
}

func TestExistingTopicConsumeOnly(t *testing.T) {
	p := mustLoad(t, "topic:\n  existing: orders\nconsumers:\n  - group: g\n")
	e := p.Variants[0].Exp
	if !e.ConsumeOnly() || e.Topic.Existing != "orders" {
		t.Fatalf("ConsumeOnly %v, existing %q", e.ConsumeOnly(), e.Topic.Existing)
	}
	p = mustLoad(t, "topic:\n  existing: orders\nproducer:\n  allow_existing_topic: true\n")
	if p.Variants[0].Exp.ConsumeOnly() {
		t.Fatal("allow_existing_topic: still consume-only")
	}
	for from, want := range map[string]int64{"": -2, "earliest": -2, "latest": -1, "7": 7} {
		if got, ok := StartOffset(from); !ok || got != want {
			t.Errorf("StartOffset(%q) = %d, %v; want %d", from, got, ok, want)
		}
	}
}

func TestExistingTopicToYAMLReloads(t *testing.T) {
	p := mustLoad(t, "topic:\n  existing: orders\n  from: latest\nconsumers:\n  - group: g\n")
	b, err := p.Variants[0].Exp.ToYAML()
	if err != nil {
		t.Fatal(err)
	}
	back := mustLoad(t, string(b))
	if e := back.Variants[0].Exp; e.Topic.Existing != "orders" || e.Topic.From != "latest" || !e.ConsumeOnly() {
		t.Fatalf("reloaded topic %+v\n%s", e.Topic, b)
	}
}
