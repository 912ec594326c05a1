// Package scripts holds the tests of the release, image and CI scripts and
// of the Kubernetes example; it has no code of its own, so the kbench binary
// links none of what these tests import.
package scripts

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

const manifestFile = "k8s-indexed-job.yaml"

// k8sExample is the Kubernetes example decoded into the API types.
type k8sExample struct {
	pvc  corev1.PersistentVolumeClaim
	job  batchv1.Job
	pods []corev1.Pod // the --overrides of the merge and report steps in its comment
}

// loadK8sExample decodes the manifest strictly (an unknown or duplicate
// field fails) after the substitutions its usage comment makes with sed.
func loadK8sExample(t *testing.T, n int, startAt string) *k8sExample {
	t.Helper()
	raw, err := os.ReadFile(manifestFile)
	if err != nil {
		t.Fatal(err)
	}
	text := strings.NewReplacer("__N__", fmt.Sprint(n), "__START_AT__", startAt).Replace(string(raw))
	var ex k8sExample
	var kinds []string
	for i, doc := range regexp.MustCompile(`(?m)^---\s*$`).Split(text, -1) {
		var meta struct{ APIVersion, Kind string }
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatalf("%s: document %d: %v", manifestFile, i+1, err)
		}
		var obj any
		switch meta.APIVersion + " " + meta.Kind {
		case "v1 PersistentVolumeClaim":
			obj = &ex.pvc
		case "batch/v1 Job":
			obj = &ex.job
		default:
			t.Fatalf("%s: document %d: unexpected %q %q", manifestFile, i+1, meta.APIVersion, meta.Kind)
		}
		if err := yaml.UnmarshalStrict([]byte(doc), obj); err != nil {
			t.Fatalf("%s: document %d (%s): %v", manifestFile, i+1, meta.Kind, err)
		}
		kinds = append(kinds, meta.Kind)
	}
	if !slices.Equal(kinds, []string{"PersistentVolumeClaim", "Job"}) {
		t.Fatalf("%s: documents %v, want a PersistentVolumeClaim and a Job", manifestFile, kinds)
	}
	for _, m := range regexp.MustCompile(`--overrides='([^']*)'`).FindAllStringSubmatch(text, -1) {
		var pod corev1.Pod
		if err := yaml.UnmarshalStrict([]byte(m[1]), &pod); err != nil {
			t.Fatalf("%s: --overrides %.60s...: %v", manifestFile, m[1], err)
		}
		ex.pods = append(ex.pods, pod)
	}
	return &ex
}

// kubeVar is Kubernetes' $(VAR) reference in command and args.
var kubeVar = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// expandKube replaces $(VAR) as the kubelet does for defined variables.
func expandKube(s string, env map[string]string) string {
	return kubeVar.ReplaceAllStringFunc(s, func(ref string) string {
		if v, ok := env[kubeVar.FindStringSubmatch(ref)[1]]; ok {
			return v
		}
		return ref
	})
}

func TestK8sManifest(t *testing.T) {
	ex := loadK8sExample(t, 4, "2026-05-01T12:00:00Z")
	spec := ex.job.Spec
	if spec.CompletionMode == nil || *spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("completionMode %v, want Indexed (each pod reads its shard from JOB_COMPLETION_INDEX)", spec.CompletionMode)
	}
	if spec.Completions == nil || spec.Parallelism == nil || *spec.Completions != 4 || *spec.Parallelism != 4 {
		t.Errorf("completions %v parallelism %v, want N=4 each: every shard runs at once", spec.Completions, spec.Parallelism)
	}
	if spec.BackoffLimit == nil || *spec.BackoffLimit != 0 {
		t.Errorf("backoffLimit %v, want 0: a retried shard re-sends its share", spec.BackoffLimit)
	}
	pod := spec.Template.Spec
	if sc := pod.SecurityContext; sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.FSGroup == nil {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and an fsGroup (the image's user writes /results)", sc)
	}
	if len(pod.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Containers))
	}
	c := pod.Containers[0]
	// The image has no shell: the container must use its entrypoint.
	if len(c.Command) != 0 || len(c.Args) == 0 || c.Args[0] != "run" {
		t.Errorf("command %q args %q: the image has no shell; want kbench's entrypoint with args run ...", c.Command, c.Args)
	}
	env := map[string]string{"JOB_COMPLETION_INDEX": "0"} // the Job controller adds it
	for _, e := range c.Env {
		env[e.Name] = e.Value
	}
	for _, a := range c.Args {
		if rest := expandKube(a, env); kubeVar.MatchString(rest) {
			t.Errorf("arg %q refers to a variable the container does not define", a)
		}
	}
	checkScrape(t, ex.job.Spec.Template, c, env)
	volumes := map[string]corev1.Volume{}
	for _, v := range pod.Volumes {
		volumes[v.Name] = v
	}
	for _, m := range c.VolumeMounts {
		if _, ok := volumes[m.Name]; !ok {
			t.Errorf("volumeMount %q names no volume", m.Name)
		}
	}
	if v := volumes["results"]; v.PersistentVolumeClaim == nil || v.PersistentVolumeClaim.ClaimName != ex.pvc.Name {
		t.Errorf("results volume %+v, want the claim %q", v, ex.pvc.Name)
	}

	if len(ex.pods) != 2 {
		t.Fatalf("%d --overrides in the usage comment, want the merge and the report step", len(ex.pods))
	}
	for i, want := range []string{"merge", "report"} {
		p := ex.pods[i].Spec
		if len(p.Containers) != 1 || p.Containers[0].Image != c.Image || len(p.Containers[0].Command) != 0 || p.Containers[0].Args[0] != want {
			t.Errorf("%s step: %+v, want one container of %s with args %s ...", want, p.Containers, c.Image, want)
		}
		if len(p.Volumes) != 1 || p.Volumes[0].PersistentVolumeClaim == nil || p.Volumes[0].PersistentVolumeClaim.ClaimName != ex.pvc.Name {
			t.Errorf("%s step volumes %+v, want the claim %q", want, p.Volumes, ex.pvc.Name)
		}
	}
}

// checkScrape: the pod template's prometheus.io annotations point at the
// port kbench serves its metrics on, which the container declares.
func checkScrape(t *testing.T, tmpl corev1.PodTemplateSpec, c corev1.Container, env map[string]string) {
	t.Helper()
	a := tmpl.Annotations
	if a["prometheus.io/scrape"] != "true" || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("pod annotations %v: want prometheus.io/scrape \"true\" and path /metrics", a)
	}
	var listen string
	for _, arg := range c.Args {
		if v, ok := strings.CutPrefix(arg, "--metrics-listen="); ok {
			listen = expandKube(v, env)
		}
	}
	_, port, ok := strings.Cut(listen, ":")
	if !ok || port != a["prometheus.io/port"] {
		t.Errorf("--metrics-listen %q, annotation prometheus.io/port %q: want the same port", listen, a["prometheus.io/port"])
	}
	if h, _, _ := strings.Cut(listen, ":"); h != "" && h != "0.0.0.0" {
		t.Errorf("--metrics-listen %q: want all interfaces (the pod's IP is scraped)", listen)
	}
	declared := false
	for _, p := range c.Ports {
		declared = declared || fmt.Sprint(p.ContainerPort) == port
	}
	if !declared {
		t.Errorf("container ports %+v do not declare the metrics port %s", c.Ports, port)
	}
}
