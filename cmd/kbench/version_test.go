package main

import (
	"regexp"
	"runtime"
	"testing"
)

// An unstamped build names itself dev and still says which commit (when the
// go command recorded one) and Go it came from; stamped release builds are
// checked in scripts/ (release_test.go, image_test.go).
func TestVersionCommand(t *testing.T) {
	r := runKbench(t, "version")
	want := regexp.MustCompile(`^kbench dev \(commit (?:[0-9a-f]+(?:-dirty)?|unknown), ` + regexp.QuoteMeta(runtime.Version()) + `, ` + runtime.GOOS + `/` + runtime.GOARCH + `\)\n$`)
	if r.code != 0 || !want.MatchString(r.stdout) {
		t.Errorf("version: exit %d %q, want %s", r.code, r.stdout, want)
	}
}
