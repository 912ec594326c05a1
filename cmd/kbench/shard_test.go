package main

import (
	"strings"
	"testing"
	"time"
)

func TestRunShardFlagsExit2(t *testing.T) {
	f := writeFile(t, "small.yaml", smallRun)
	cases := map[string][]string{
		"I/N":                      {"--shard", "2/2"},
		"0 <= I < N":               {"--shard", "x"},
		"needs --start-at":         {"--shard", "0/2"},
		"--start-at":               {"--shard", "0/2", "--start-at", "tomorrow"},
		"instances=2":              {"--shard", "1/2", "--run-id", "r1", "--brokers", "127.0.0.1:1"},
		"repeat (3) with --shard":  {"--shard", "0/2", "--run-id", "r1", "--repeat", "3"},
		"repeat: must be 1 to 100": {"--repeat", "0"},
	}
	for want, flags := range cases {
		r := runKbench(t, append([]string{"run", f, "--no-progress"}, flags...)...)
		if r.code != 2 || !strings.Contains(r.stderr, want) {
			t.Errorf("%v: exit %d, want 2 with %q\n%s", flags, r.code, want, r.stderr)
		}
	}
}

func TestParseStartAt(t *testing.T) {
	want := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-05-01T12:00:00Z", "2026-05-01T14:00:00+02:00", "1777636800"} {
		got, err := parseStartAt(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%s: %v %v", s, got, err)
		}
	}
	if got, err := parseStartAt("1777636800.5"); err != nil || !got.Equal(want.Add(500*time.Millisecond)) {
		t.Errorf("fractional: %v %v", got, err)
	}
}
