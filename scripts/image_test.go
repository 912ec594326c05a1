package scripts

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/kbench/kbench/report"
)

// smokeExperiment is small enough for a busy machine; two producers so it
// also runs as two shards.
const smokeExperiment = `name: image-smoke
duration: 2s
topic: {partitions: 3}
workload: {rate: 500, message: {size: 100}}
producer: {instances: 2}
consumers:
  - {group: smoke, instances: 2}
gates:
  - delivery.lost == 0
`

// TestImage builds the image with scripts/image.sh exactly as documented,
// opens it with go-containerregistry, checks what a cluster relies on
// (entrypoint, non-root user, labels, CA certificates), then runs the
// binary taken from its layers: `kbench version`, a 2 s run on the
// embedded broker, and the Kubernetes example's command lines (two shards
// and the merge) against a `kbench broker`.
func TestImage(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the image's linux binary runs only on linux")
	}
	const version = "v0.0.0-imagetest"
	out := t.TempDir()
	script(t, []string{"OUT=" + out, "PLATFORMS=linux/" + runtime.GOARCH}, "image.sh", version)

	idx, err := layout.ImageIndexFromPath(filepath.Join(out, "oci"))
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].MediaType != types.OCIManifestSchema1 {
		t.Fatalf("OCI layout lists %+v, want one image manifest", im.Manifests)
	}
	desc := im.Manifests[0]
	imageName := desc.Annotations["io.containerd.image.name"]
	ex := loadK8sExample(t, 2, "")
	if k8sImage := ex.job.Spec.Template.Spec.Containers[0].Image; imageName != k8sImage || desc.Annotations["org.opencontainers.image.ref.name"] != "latest" {
		t.Errorf("image.sh built %q (annotations %v); %s runs %q", imageName, desc.Annotations, manifestFile, k8sImage)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("OCI image: %v", err)
	}
	checkDockerTarball(t, filepath.Join(out, "image-linux-"+runtime.GOARCH+".tar"), imageName, img)

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg := cf.Config
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
	}
	if !slices.Equal(cfg.Entrypoint, []string{"/usr/local/bin/kbench"}) || len(cfg.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want kbench", cfg.Entrypoint, cfg.Cmd)
	}
	if cfg.User != "65532:65532" {
		t.Errorf("user %q, want the numeric non-root 65532 (runAsNonRoot verifies numeric ids)", cfg.User)
	}
	revision := cfg.Labels["org.opencontainers.image.revision"]
	if cfg.Labels["org.opencontainers.image.version"] != version || revision == "" || revision == "unknown" ||
		!strings.HasPrefix(cfg.Labels["org.opencontainers.image.source"], "https://") {
		t.Errorf("labels %v", cfg.Labels)
	}
	if head, err := exec.Command("git", "rev-parse", "HEAD").Output(); err == nil && strings.TrimSpace(string(head)) != revision {
		t.Errorf("revision label %q, checkout at %s", revision, head)
	}

	files := extract(t, img)
	bin := files["usr/local/bin/kbench"]
	if bin == nil || bin.hdr.Mode&0o111 == 0 {
		t.Fatalf("no executable /usr/local/bin/kbench in the image")
	}
	ca := files["etc/ssl/certs/ca-certificates.crt"]
	if ca == nil || !x509.NewCertPool().AppendCertsFromPEM(ca.body) {
		t.Errorf("no CA certificates at /etc/ssl/certs/ca-certificates.crt")
	}
	if p := files["etc/passwd"]; p == nil || !strings.Contains(string(p.body), ":65532:65532:") {
		t.Errorf("no passwd entry for 65532")
	}
	if h := files["home/nonroot"]; h == nil || h.hdr.Uid != 65532 || cfg.WorkingDir != "/home/nonroot" {
		t.Errorf("working directory %q not owned by the user", cfg.WorkingDir)
	}
	kbench := filepath.Join(t.TempDir(), "kbench")
	if err := os.WriteFile(kbench, bin.body, 0o755); err != nil {
		t.Fatal(err)
	}

	v := run(t, kbench, "version")
	if want := "kbench " + version + " (commit " + revision + ", go"; !strings.HasPrefix(v, want) {
		t.Errorf("kbench version: %q, want %q...", v, want)
	}
	exp := filepath.Join(t.TempDir(), "exp.yaml")
	if err := os.WriteFile(exp, []byte(smokeExperiment), 0o644); err != nil {
		t.Fatal(err)
	}
	results := t.TempDir()
	run(t, kbench, "run", exp, "--duration", "2s", "--no-progress", "--out", results)
	checkResult(t, filepath.Join(results, "result.json"), "")

	runK8sExample(t, kbench, exp)
}

func checkDockerTarball(t *testing.T, path, imageName string, want v1.Image) {
	t.Helper()
	tag, err := name.NewTag(imageName)
	if err != nil {
		t.Fatal(err)
	}
	img, err := tarball.ImageFromPath(path, &tag)
	if err != nil {
		t.Fatalf("docker tarball %s has no %s: %v", path, tag, err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatalf("docker tarball: %v", err)
	}
	got, err1 := img.ConfigName()
	exp, err2 := want.ConfigName()
	if err := errors.Join(err1, err2); err != nil || got != exp {
		t.Errorf("docker tarball config %s, OCI layout's %s (%v)", got, exp, err)
	}
}

type file struct {
	hdr  *tar.Header
	body []byte
}

// extract reads the image's flattened filesystem.
func extract(t *testing.T, img v1.Image) map[string]*file {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]*file{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[path.Clean(h.Name)] = &file{hdr: h, body: body}
	}
}

// runK8sExample runs the Job's container args for both shards of N=2 at
// once, as the kubelet expands them, with the image's binary against one
// `kbench broker`, then the merge and report steps of the usage comment.
func runK8sExample(t *testing.T, kbench, exp string) {
	broker := startBroker(t, kbench)
	root := t.TempDir()
	startAt := time.Now().Add(3 * time.Second).UTC().Format(time.RFC3339)
	ex := loadK8sExample(t, 2, startAt)
	c := ex.job.Spec.Template.Spec.Containers[0]
	// The mounts of the pod, under root.
	paths := strings.NewReplacer("/config/exp.yaml", exp, "/results/", root+"/")
	var wg sync.WaitGroup
	for i := range 2 {
		env := map[string]string{"JOB_COMPLETION_INDEX": strconv.Itoa(i)}
		for _, e := range c.Env {
			env[e.Name] = e.Value
		}
		env["BROKERS"] = broker
		env["METRICS_LISTEN"] = "127.0.0.1:0" // both pods share this host: a free port each
		var args []string
		for _, a := range c.Args {
			args = append(args, paths.Replace(expandKube(a, env)))
		}
		wg.Go(func() { run(t, kbench, args...) })
	}
	wg.Wait()
	for _, step := range ex.pods {
		var args []string
		for _, a := range step.Spec.Containers[0].Args {
			args = append(args, paths.Replace(a))
		}
		out := run(t, kbench, args...)
		if args[0] == "report" && !strings.Contains(out, "delivery.lost == 0") {
			t.Errorf("report step shows no gate:\n%s", out)
		}
	}
	checkResult(t, filepath.Join(root, "merged.json"), "")
}

// checkResult asserts a complete run that delivered what it sent.
func checkResult(t *testing.T, path, shard string) {
	t.Helper()
	r, err := report.ReadResult(path)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Complete || !r.Passed || len(r.Variants) != 1 || r.Shard != shard {
		t.Fatalf("%s: complete %v passed %v shard %q %d variants", path, r.Complete, r.Passed, r.Shard, len(r.Variants))
	}
	v := r.Variants[0]
	if v.Produce.Messages == 0 || v.Delivery.Lost == nil || *v.Delivery.Lost != 0 || len(v.Consume.Groups) != 1 || v.Consume.Groups[0].Messages < v.Produce.Messages {
		t.Errorf("%s: produced %d, lost %v, consumed %+v", path, v.Produce.Messages, v.Delivery.Lost, v.Consume.Groups)
	}
}

// startBroker runs `kbench broker` on a free port until the test ends.
func startBroker(t *testing.T, kbench string) string {
	t.Helper()
	cmd := exec.Command(kbench, "broker", "--listen", "127.0.0.1:0", "--partitions", "3")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line, err := bufio.NewReader(stdout).ReadString('\n')
	f := strings.Fields(line)
	if err != nil || len(f) < 5 || f[3] != "on" {
		t.Fatalf("kbench broker: %q %v", line, err)
	}
	go io.Copy(io.Discard, stdout)
	return f[4]
}

// run runs a command and returns its stdout; a failure fails the test with
// its output. The bound only stops a hung process.
func run(t *testing.T, bin string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Errorf("%s %s: %v\n%s%s", filepath.Base(bin), strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}

// script runs one of the scripts here with extra environment.
func script(t *testing.T, env []string, name string, args ...string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", append([]string{name}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String()
}
