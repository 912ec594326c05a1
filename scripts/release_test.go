package scripts

import (
	"bytes"
	"crypto/sha256"
	"debug/buildinfo"
	"debug/macho"
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"
)

// TestReleaseCrossBuild runs scripts/release.sh for a target that is not
// this machine's, so cross-compilation cannot rot: a darwin/arm64 Mach-O
// whose build settings carry the version stamp, listed with its checksum.
// (The image test runs a native release build and its `kbench version`.)
func TestReleaseCrossBuild(t *testing.T) {
	const version = "v0.0.0-crosstest"
	dist := t.TempDir()
	script(t, []string{"DIST=" + dist, "KBENCH_TARGETS=darwin/arm64", "COMMIT=0123abc"}, "release.sh", version)

	bin := filepath.Join(dist, "kbench-darwin-arm64")
	f, err := macho.Open(bin)
	if err != nil {
		t.Fatalf("release binary: %v", err)
	}
	f.Close()
	if f.Cpu != macho.CpuArm64 {
		t.Errorf("%s: cpu %v, want arm64", bin, f.Cpu)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	settings := map[string]string{}
	for _, s := range info.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] != "darwin" || settings["GOARCH"] != "arm64" || settings["CGO_ENABLED"] != "0" || settings["-trimpath"] != "true" {
		t.Errorf("build settings %v, want a static -trimpath darwin/arm64 build", settings)
	}
	// -trimpath leaves -ldflags out of the build settings; the stamped
	// strings are in the binary's data.
	body, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(body, []byte(version)) || !bytes.Contains(body, []byte("0123abc")) {
		t.Errorf("%s: no version %s or commit 0123abc stamped in", bin, version)
	}

	sums, err := os.ReadFile(filepath.Join(dist, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(body)
	if want := hex.EncodeToString(sum[:]) + "  kbench-darwin-arm64\n"; string(sums) != want {
		t.Errorf("SHA256SUMS %q, want %q", sums, want)
	}
}
