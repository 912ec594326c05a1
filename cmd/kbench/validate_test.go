package main

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/profiles"
)

// execCmd runs the root command in-process and returns its exit code and
// output streams.
func execCmd(t *testing.T, args ...string) (code exitcode.Code, stdout, stderr string) {
	t.Helper()
	root := newRootCmd()
	var so, se bytes.Buffer
	root.SetOut(&so)
	root.SetErr(&se)
	root.SetArgs(args)
	err := root.Execute()
	return exitcode.Of(err), so.String(), se.String()
}

func TestValidateCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(good, []byte("matrix:\n  producer.acks: [1, all]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(bad, []byte("topic:\n  partitons: 3\nproducer: {acks: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	code, out, errOut := execCmd(t, "validate", good, "quickstart")
	if code != exitcode.OK || !regexp.MustCompile("^"+regexp.QuoteMeta(good)+`: ok \(2 variants\)\n  estimate: .*\nquickstart: ok \(5 variants\)\n  estimate: .*\n$`).MatchString(out) || errOut != "" {
		t.Errorf("good: code %d\nstdout %q\nstderr %q", code, out, errOut)
	}

	code, out, errOut = execCmd(t, "validate", good, bad)
	wantErr := bad + `:2:3: unknown key "partitons" in topic; did you mean "partitions"?` + "\n" +
		bad + `:3:18: producer.acks: invalid value "2"; want one of 0, 1, all` + "\n"
	if code != exitcode.Config || errOut != wantErr || !strings.HasPrefix(out, good+": ok (2 variants)\n  estimate: memory ~") {
		t.Errorf("bad: code %d\nstdout %q\nstderr %q\nwant   %q", code, out, errOut, wantErr)
	}

	code, _, errOut = execCmd(t, "validate", good, "--set", "producer.ack=1")
	if code != exitcode.Config || !strings.Contains(errOut, `--set: producer.ack=1: unknown key "ack" in producer; did you mean "acks"?`) {
		t.Errorf("--set: code %d stderr %q", code, errOut)
	}

	code, _, errOut = execCmd(t, "validate", "no-such-profile")
	if code != exitcode.Config || !strings.Contains(errOut, `unknown profile "no-such-profile"`) {
		t.Errorf("unknown profile: code %d stderr %q", code, errOut)
	}

	if code, _, _ = execCmd(t, "validate"); code != exitcode.Config {
		t.Errorf("no args: code %d", code)
	}
}

func TestProfilesCommand(t *testing.T) {
	code, out, _ := execCmd(t, "profiles")
	if code != exitcode.OK || !strings.HasPrefix(out, "NAME") {
		t.Fatalf("profiles: code %d out %q", code, out)
	}
	for _, n := range profiles.Names() {
		if !strings.Contains(out, "\n"+n+" ") || !strings.Contains(out, profiles.Description(n)) {
			t.Errorf("profiles output lacks %s and its description:\n%s", n, out)
		}
	}
	code, out, _ = execCmd(t, "profiles", "show", "quickstart")
	src, _ := profiles.Get("quickstart")
	if code != exitcode.OK || out != string(src) {
		t.Errorf("show: code %d, output differs from the embedded file", code)
	}
	if code, _, _ = execCmd(t, "profiles", "show", "nope"); code != exitcode.Config {
		t.Errorf("show nope: code %d", code)
	}
}

// validate warns (and still passes) when the embedded broker's host cannot
// serve the paced rate at the measured CPU per message: ten million
// msg/s on 1,000 partitions is hundreds of cores on any host.
func TestValidateWarnsOfTheHost(t *testing.T) {
	path := filepath.Join(t.TempDir(), "wide.yaml")
	if err := os.WriteFile(path, []byte("topic: {partitions: 1000}\nworkload: {rate: 10000000}\nduration: 1s\nconsumers:\n  - {group: g, instances: 2}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, errOut := execCmd(t, "validate", path)
	if code != exitcode.OK || !regexp.MustCompile(`\n  warning: variant \S+: about [0-9.]+ of this host's [0-9]+ cores at 10000000 msg/s: kafka-go on 1000 partitions costs about 96 µs a message .*\(franz-go: about 43 µs\)\n`).MatchString(out) {
		t.Errorf("code %d\nstdout %q\nstderr %q", code, out, errOut)
	}
	code, out, _ = execCmd(t, "validate", path, "--set", "workload.rate=10")
	if code != exitcode.OK || strings.Contains(out, "warning") {
		t.Errorf("10 msg/s: code %d stdout %q", code, out)
	}
}
