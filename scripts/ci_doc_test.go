package scripts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/report"
)

const ciDoc = "../docs/ci.md"

// ciDocBlocks are the fenced blocks of docs/ci.md: files by the name after
// the language, and the sh blocks in order.
type ciDocBlocks struct {
	files map[string]string
	sh    []string
}

func readCIDoc(t *testing.T) ciDocBlocks {
	t.Helper()
	raw, err := os.ReadFile(ciDoc)
	if err != nil {
		t.Fatal(err)
	}
	b := ciDocBlocks{files: map[string]string{}}
	for _, m := range regexp.MustCompile("(?ms)^```(\\w+)(?: (\\S+))?\n(.*?)^```").FindAllStringSubmatch(string(raw), -1) {
		switch {
		case m[1] == "sh" && m[2] == "":
			b.sh = append(b.sh, m[3])
		case m[1] == "yaml" && m[2] != "":
			b.files[m[2]] = m[3]
		default:
			t.Fatalf("%s: a ```%s %s block this test does not run", ciDoc, m[1], m[2])
		}
	}
	for _, f := range []string{"bench/gate.yaml", ".github/workflows/kbench.yml", ".gitlab-ci.yml"} {
		if b.files[f] == "" {
			t.Fatalf("%s: no %s block", ciDoc, f)
		}
	}
	if len(b.files) != 3 {
		t.Fatalf("%s: files %d, this test knows 3", ciDoc, len(b.files))
	}
	return b
}

type ghStep struct {
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]string `yaml:"with"`
}

type ghWorkflow struct {
	Name string            `yaml:"name"`
	On   any               `yaml:"on"`
	Env  map[string]string `yaml:"env"`
	Jobs map[string]struct {
		RunsOn string            `yaml:"runs-on"`
		Env    map[string]string `yaml:"env"`
		Steps  []ghStep          `yaml:"steps"`
	} `yaml:"jobs"`
}

type glJob struct {
	Image        string            `yaml:"image"`
	Variables    map[string]string `yaml:"variables"`
	BeforeScript []string          `yaml:"before_script"`
	Script       []string          `yaml:"script"`
	AfterScript  []string          `yaml:"after_script"`
	Artifacts    struct {
		When     string   `yaml:"when"`
		ExposeAs string   `yaml:"expose_as"`
		Paths    []string `yaml:"paths"`
	} `yaml:"artifacts"`
}

func decodeStrict(t *testing.T, name, text string, v any) {
	t.Helper()
	dec := yaml.NewDecoder(strings.NewReader(text))
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		t.Fatalf("%s in %s: %v", name, ciDoc, err)
	}
}

// ciEnv is a job's workspace and what it runs with: the doc's release
// downloads are served from a local directory built by scripts/release.sh.
type ciEnv struct {
	ws      string
	server  string
	version string
}

// TestCIDoc runs docs/ci.md: the GitHub Actions job without a baseline
// (passes, writes the summary, keeps the artifact), the sh block that makes
// a baseline, the job again with it and a gate that cannot pass (fails with
// exit 3, still summarised and kept), and the GitLab job.
func TestCIDoc(t *testing.T) {
	if runtime.GOOS != "linux" || runtime.GOARCH != "amd64" {
		t.Skip("the documented jobs install the linux/amd64 release")
	}
	doc := readCIDoc(t)
	var wf ghWorkflow
	decodeStrict(t, ".github/workflows/kbench.yml", doc.files[".github/workflows/kbench.yml"], &wf)
	var gl map[string]glJob
	decodeStrict(t, ".gitlab-ci.yml", doc.files[".gitlab-ci.yml"], &gl)
	if len(wf.Jobs) != 1 || len(gl) != 1 {
		t.Fatalf("%d GitHub jobs, %d GitLab jobs; want one each", len(wf.Jobs), len(gl))
	}
	var ghJob string
	for name := range wf.Jobs {
		ghJob = name
	}
	version := wf.Jobs[ghJob].Env["KBENCH_VERSION"]
	for _, j := range gl {
		if j.Variables["KBENCH_VERSION"] != version || version == "" {
			t.Fatalf("GitHub installs kbench %q, GitLab %q", version, j.Variables["KBENCH_VERSION"])
		}
	}

	dist := t.TempDir()
	script(t, []string{"DIST=" + dist, "KBENCH_TARGETS=linux/amd64"}, "release.sh", version)
	mux := http.NewServeMux()
	mux.Handle("/kbench/kbench/releases/download/"+version+"/",
		http.StripPrefix("/kbench/kbench/releases/download/"+version+"/", http.FileServer(http.Dir(dist))))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	env := ciEnv{server: srv.URL, version: version}

	t.Run("github-pass", func(t *testing.T) {
		env.ws = workspace(t, doc.files["bench/gate.yaml"])
		summary, failed, _ := env.runGitHub(t, wf.Env, wf.Jobs[ghJob].Env, wf.Jobs[ghJob].Steps)
		if failed != "" {
			t.Fatalf("job failed at %q", failed)
		}
		r := ciResult(t, env.ws)
		if !r.Passed || r.Baseline != nil || !strings.Contains(summary, "delivery.lost == 0") {
			t.Errorf("passed %v, baseline %v; summary:\n%s", r.Passed, r.Baseline, summary)
		}
	})

	t.Run("github-gate-fails", func(t *testing.T) {
		env.ws = workspace(t, doc.files["bench/gate.yaml"])
		kbenchBin := filepath.Join(t.TempDir(), "kbench")
		copyFile(t, filepath.Join(dist, "kbench-linux-amd64"), kbenchBin)
		for _, sh := range doc.sh {
			env.shell(t, []string{"PATH=" + filepath.Dir(kbenchBin) + ":" + os.Getenv("PATH")}, "sh", "-e", "-c", sh)
		}
		if _, err := os.Stat(filepath.Join(env.ws, "bench/baseline.json")); err != nil {
			t.Fatalf("the sh block made no baseline: %v", err)
		}
		impossible := doc.files["bench/gate.yaml"] + "  - produce.throughput.msgs_per_s > 1000000000\n"
		if err := os.WriteFile(filepath.Join(env.ws, "bench/gate.yaml"), []byte(impossible), 0o644); err != nil {
			t.Fatal(err)
		}
		summary, failed, code := env.runGitHub(t, wf.Env, wf.Jobs[ghJob].Env, wf.Jobs[ghJob].Steps)
		if failed != "Run the gate" || code != 3 {
			t.Fatalf("job failed at %q with exit %d, want the gate step with 3", failed, code)
		}
		r := ciResult(t, env.ws)
		if r.Passed || r.Baseline == nil || !strings.Contains(summary, "msgs_per_s > 1000000000") {
			t.Errorf("passed %v, baseline %v; summary:\n%s", r.Passed, r.Baseline != nil, summary)
		}
	})

	t.Run("gitlab", func(t *testing.T) {
		env.ws = workspace(t, doc.files["bench/gate.yaml"])
		for name, j := range gl {
			if code := env.runGitLab(t, j); code != 0 {
				t.Fatalf("GitLab job %s: exit %d", name, code)
			}
		}
		if !ciResult(t, env.ws).Passed {
			t.Errorf("GitLab job's result did not pass")
		}
		if b, err := os.ReadFile(filepath.Join(env.ws, "kbench-results/summary.md")); err != nil || !strings.Contains(string(b), "delivery.lost == 0") {
			t.Errorf("after_script summary: %v\n%s", err, b)
		}
	})
}

// runGitHub runs a job's steps as the runner would: `run` steps in bash
// -eo pipefail with the workflow, job and step env, $GITHUB_PATH and
// $GITHUB_STEP_SUMMARY honoured, `if:` of success()/always()/failure().
// It returns the step summary and the name and exit code of the first
// failed step.
func (e ciEnv) runGitHub(t *testing.T, wfEnv, jobEnv map[string]string, steps []ghStep) (summary, failed string, failedCode int) {
	t.Helper()
	runner := t.TempDir()
	summaryFile, pathFile := filepath.Join(runner, "summary.md"), filepath.Join(runner, "path")
	paths := os.Getenv("PATH")
	for _, s := range steps {
		switch s.If {
		case "", "success()":
			if failed != "" {
				continue
			}
		case "always()":
		case "failure()":
			if failed == "" {
				continue
			}
		default:
			t.Fatalf("step %q: if %q is not simulated here", s.Name, s.If)
		}
		switch {
		case strings.HasPrefix(s.Uses, "actions/checkout@"):
			// The workspace holds the repository's files already.
		case strings.HasPrefix(s.Uses, "actions/upload-artifact@"):
			if entries, err := os.ReadDir(filepath.Join(e.ws, s.With["path"])); err != nil || len(entries) == 0 {
				t.Errorf("step %q: nothing to upload at %s: %v", s.Name, s.With["path"], err)
			}
		case s.Uses != "":
			t.Fatalf("step %q: %s is not simulated here", s.Name, s.Uses)
		default:
			vars := []string{"PATH=" + paths, "GITHUB_STEP_SUMMARY=" + summaryFile, "GITHUB_PATH=" + pathFile,
				"GITHUB_WORKSPACE=" + e.ws, "RUNNER_TEMP=" + runner, "CI=true"}
			for _, m := range []map[string]string{wfEnv, jobEnv, s.Env} {
				for k, v := range m {
					vars = append(vars, k+"="+v)
				}
			}
			code := e.shell(t, vars, "bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", e.download(t, s.Run))
			if code != 0 && failed == "" {
				failed, failedCode = s.Name, code
			}
			if b, err := os.ReadFile(pathFile); err == nil {
				for _, dir := range strings.Fields(string(b)) {
					paths = dir + ":" + paths
				}
				os.Remove(pathFile)
			}
		}
	}
	b, _ := os.ReadFile(summaryFile)
	return string(b), failed, failedCode
}

// runGitLab runs before_script and script in one sh -e session and
// after_script in another whatever the outcome, as the runner does, and
// checks the artifact paths.
func (e ciEnv) runGitLab(t *testing.T, j glJob) int {
	t.Helper()
	vars := []string{"PATH=" + os.Getenv("PATH"), "CI_PROJECT_DIR=" + e.ws, "CI=true"}
	for k, v := range j.Variables {
		vars = append(vars, k+"="+v)
	}
	main := strings.Join(append(append([]string(nil), j.BeforeScript...), j.Script...), "\n")
	code := e.shell(t, vars, "sh", "-e", "-c", e.download(t, main))
	e.shell(t, vars, "sh", "-e", "-c", strings.Join(j.AfterScript, "\n"))
	if j.Artifacts.When != "always" || len(j.Artifacts.Paths) == 0 {
		t.Errorf("artifacts %+v: want them kept always", j.Artifacts)
	}
	for _, p := range j.Artifacts.Paths {
		if _, err := os.Stat(filepath.Join(e.ws, p)); err != nil {
			t.Errorf("artifact path %s: %v", p, err)
		}
	}
	return code
}

// download points the doc's release URLs at the local release server.
func (e ciEnv) download(t *testing.T, script string) string {
	t.Helper()
	if strings.Contains(script, "${{") {
		t.Fatalf("expressions are not simulated here:\n%s", script)
	}
	return strings.ReplaceAll(script, "https://github.com", e.server)
}

// shell runs a command in the workspace with exactly vars as environment
// and returns its exit code; its output is logged.
func (e ciEnv) shell(t *testing.T, vars []string, name string, args ...string) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Dir, cmd.Env = e.ws, append(vars, "HOME="+e.ws)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		t.Fatalf("%s: %v", name, err)
	}
	t.Logf("%s (exit %d):\n%s", name, cmd.ProcessState.ExitCode(), out.String())
	return cmd.ProcessState.ExitCode()
}

func workspace(t *testing.T, experiment string) string {
	t.Helper()
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "bench"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "bench/gate.yaml"), []byte(experiment), 0o644); err != nil {
		t.Fatal(err)
	}
	return ws
}

func ciResult(t *testing.T, ws string) *report.Result {
	t.Helper()
	r, err := report.ReadResult(filepath.Join(ws, "kbench-results/result.json"))
	if err != nil {
		t.Fatal(fmt.Errorf("the job kept no result: %w", err))
	}
	return r
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o755); err != nil {
		t.Fatal(err)
	}
}
