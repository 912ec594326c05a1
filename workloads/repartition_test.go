package workloads

import (
	"strings"
	"testing"
)

// topic.repartition_at: one line per mistake, naming file, line and field.
func TestRepartitionAtValidation(t *testing.T) {
	cases := []struct {
		src  string
		want string // "" = valid; else the one error line, or its start
	}{
		{"topic: {partitions: 3, repartition: 6, repartition_at: 2s}\n", ""},
		{"topic: {partitions: 3, repartition: 6}\n", ""},
		{"topic:\n  partitions: 3\n  repartition_at: 2s\n", "x.yaml:3:19: topic.repartition_at: needs topic.repartition"},
		{"topic:\n  partitions: 3\n  repartition: 6\n  repartition_at: 25s\n", "x.yaml:4:19: topic.repartition_at: 25s is after the run ends (warmup + duration = 20s)"},
		{"topic:\n  partitions: 3\n  repartition: 6\n  repartition_at: 2s\nconsumers:\n  - group: g\n    commit: transactional\nproducer: {driver: franz-go}\n",
			"x.yaml:4:19: topic.repartition_at: not with consumers.0.commit transactional"},
		{"topic:\n  existing: orders\n  repartition_at: 2s\nconsumers:\n  - group: g\n", "x.yaml:3:19: topic.repartition_at: not with topic.existing"},
	}
	for _, tc := range cases {
		lines := errLines(t, tc.src)
		if tc.want == "" {
			if lines != nil {
				t.Errorf("%q: unexpected errors %q", tc.src, lines)
			}
			continue
		}
		if len(lines) != 1 || !strings.HasPrefix(lines[0], tc.want) {
			t.Errorf("%q: errors %q, want one starting %q", tc.src, lines, tc.want)
		}
	}
}
