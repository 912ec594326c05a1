package html

import (
	"bytes"
	"context"
	"image/png"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
)

var urlRE = regexp.MustCompile(`(?i)\b(?:https?|wss?|ftp)://[^\s"'<>)]+`)

// allowedNS are XML namespace names in the inline SVG: identifiers, never
// fetched.
var allowedNS = map[string]bool{"http://www.w3.org/2000/svg": true, "http://www.w3.org/1999/xlink": true}

func renderHTMLFile(t *testing.T) (string, []byte) {
	t.Helper()
	var buf bytes.Buffer
	if err := RenderHTML(&buf, fixture.Golden(t)); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "report.html")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path, buf.Bytes()
}

// TestHTMLSelfContained checks the file needs nothing from anywhere.
func TestHTMLSelfContained(t *testing.T) {
	_, html := renderHTMLFile(t)
	for _, u := range urlRE.FindAllString(string(html), -1) {
		if !allowedNS[u] {
			t.Errorf("the report references %s", u)
		}
	}
	lower := strings.ToLower(string(html))
	for _, bad := range []string{"<script", "<link", "<img", "<iframe", "@import", "url(", "src=", "href="} {
		if strings.Contains(lower, bad) {
			t.Errorf("the report contains %q", bad)
		}
	}
	// Five charts: produce and e2e spectra, partition load, throughput, lag.
	if n := strings.Count(string(html), "<svg"); n != 5 {
		t.Errorf("%d charts, want 5", n)
	}
	for _, want := range []string{"Produce latency by percentile", "99.9%", "End-to-end latency by percentile",
		"Partition load", "Throughput over time", "Consumer lag over time", "not a Kafka cluster", "Baseline comparison"} {
		if !bytes.Contains(html, []byte(want)) {
			t.Errorf("the report lacks %q", want)
		}
	}
}

func findChromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("KBENCH_REQUIRE_BROWSER") == "1" {
		t.Fatal("KBENCH_REQUIRE_BROWSER=1 but no chromium on PATH (apt-get install -y chromium)")
	}
	t.Skip("chromium not installed (set KBENCH_REQUIRE_BROWSER=1 to make this a failure)")
	return ""
}

// runChromium runs headless chromium on the file with a network log and
// returns stdout and the URLs chromium requested.
func runChromium(t *testing.T, bin, file string, action ...string) ([]byte, []string) {
	t.Helper()
	dir := t.TempDir()
	netlog := filepath.Join(dir, "netlog.json")
	args := append([]string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--hide-scrollbars", "--window-size=1280,2000",
		"--user-data-dir=" + filepath.Join(dir, "profile"), "--log-net-log=" + netlog}, action...)
	args = append(args, "file://"+file)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", action, err, stderr.String())
	}
	log, err := os.ReadFile(netlog)
	if err != nil {
		t.Fatalf("no network log: %v", err)
	}
	var urls []string
	for _, m := range regexp.MustCompile(`"url":"([^"]+)"`).FindAllSubmatch(log, -1) {
		urls = append(urls, string(m[1]))
	}
	return stdout.Bytes(), urls
}

// browserOwn: requests chromium makes by itself (time sync, update checks,
// account probes) whatever page it shows; everything else would come from
// the report.
func browserOwn(u string) bool {
	p, err := url.Parse(u)
	if err != nil {
		return false
	}
	h := p.Hostname()
	for _, s := range []string{".google.com", ".googleapis.com", ".gvt1.com", ".gstatic.com"} {
		if h == strings.TrimPrefix(s, ".") || strings.HasSuffix(h, s) {
			return true
		}
	}
	return false
}

func checkNoPageRequests(t *testing.T, file string, urls []string) {
	t.Helper()
	for _, u := range urls {
		switch {
		case strings.HasPrefix(u, "file://"):
			if u != "file://"+file {
				t.Errorf("the report loaded another file: %s", u)
			}
		case strings.HasPrefix(u, "data:"), strings.HasPrefix(u, "chrome"), strings.HasPrefix(u, "about:"):
		case browserOwn(u):
		default:
			t.Errorf("network request while showing the report: %s", u)
		}
	}
}

// TestHTMLInChromium loads the report from disk in headless Chromium and
// checks the charts are in the rendered DOM and painted, with no request
// beyond the file itself.
func TestHTMLInChromium(t *testing.T) {
	bin := findChromium(t)
	file, _ := renderHTMLFile(t)

	dom, urls := runChromium(t, bin, file, "--dump-dom")
	checkNoPageRequests(t, file, urls)
	if n := bytes.Count(dom, []byte("<svg")); n != 5 {
		t.Errorf("rendered DOM has %d <svg> charts, want 5", n)
	}
	if n := bytes.Count(dom, []byte("<path")); n < 100 {
		t.Errorf("rendered DOM has %d <path> elements; charts not drawn", n)
	}
	if !bytes.Contains(dom, []byte(`id="verdict"`)) {
		t.Error("no verdict in the rendered DOM")
	}

	shot := filepath.Join(filepath.Dir(file), "shot.png")
	_, urls = runChromium(t, bin, file, "--screenshot="+shot)
	checkNoPageRequests(t, file, urls)
	f, err := os.Open(shot)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	nonWhite, total := 0, 0
	colours := map[[3]uint32]int{}
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			total++
			if r>>8 < 245 || g>>8 < 245 || bl>>8 < 245 {
				nonWhite++
			}
			// variant colours of the bars and lines (Okabe-Ito blue, orange)
			for i, c := range palette[:2] {
				if near(r>>8, uint32(c.R)) && near(g>>8, uint32(c.G)) && near(bl>>8, uint32(c.B)) {
					colours[[3]uint32{uint32(i)}]++
				}
			}
		}
	}
	if frac := float64(nonWhite) / float64(total); frac < 0.03 {
		t.Errorf("screenshot is blank: %.1f%% non-white pixels", 100*frac)
	}
	for i := range palette[:2] {
		if colours[[3]uint32{uint32(i)}] < 50 {
			t.Errorf("variant colour %d barely painted (%d sampled pixels): charts not drawn", i, colours[[3]uint32{uint32(i)}])
		}
	}
}

func near(a, b uint32) bool { return a+6 >= b && b+6 >= a }

// The HTML report has a table per group that rebalanced.
func TestHTMLRebalances(t *testing.T) {
	r := &report.Result{Variants: []report.Variant{{Name: "grow", Consume: report.Consume{Groups: []report.Group{
		{Group: "calm", RebalancePauseMs: report.Float(0)},
		{Group: "orders", Rebalances: 1, RebalancePauseMs: report.Float(950),
			RebalanceLog: []report.Rebalance{{AtS: 1.011, DurationMs: 390, PartitionsAdded: 3, PauseMs: 950, Cause: "repartition"}}},
	}}}}}
	var buf bytes.Buffer
	if err := RenderHTML(&buf, r); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	for _, want := range []string{
		"<h2>Rebalances</h2>",
		"<strong>grow</strong> · group <code>orders</code>: 1 rebalance(s), pause 950.0 partition-ms",
		"<th>partitions added</th>",
		"<tr><td>1.011</td><td>390.0</td><td>0</td><td>3</td><td>950.0</td><td>repartition</td></tr>",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("html report lacks %q", want)
		}
	}
	if strings.Contains(out, "<code>calm</code>") {
		t.Errorf("a group without rebalances is listed")
	}
}
