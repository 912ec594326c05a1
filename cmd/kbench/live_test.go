package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/kbench/kbench/internal/metrics"
)

// liveRun is two variants (so the first one's end-of-variant figures can
// be scraped while the second runs), with a warmup so every phase shows.
const liveRun = `
name: live
duration: 3s
warmup: 2s
drain: 10s
topic: {partitions: 3}
workload: {rate: 1500, message: {size: 200}}
producer: {instances: 2}
consumers:
  - {group: g, instances: 1, session_timeout: 2s, heartbeat_interval: 300ms}
matrix:
  workload.keying.strategy: [path, service]
`

// startLive starts kbench with args and returns its stderr lines as they
// come, and a wait for its exit code.
func startLive(t *testing.T, args ...string) (lines <-chan string, all *syncBuffer, wait func() int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	cmd := exec.CommandContext(ctx, kbenchBin, args...)
	cmd.Stdout = io.Discard
	pr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 1024)
	all = &syncBuffer{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(ch)
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			all.Write(append(sc.Bytes(), '\n'))
			select {
			case ch <- sc.Text():
			default: // the test reads only the first lines
			}
		}
	}()
	var once sync.Once
	code := -1
	wait = func() int {
		once.Do(func() {
			<-done
			_ = cmd.Wait()
			cancel()
			code = cmd.ProcessState.ExitCode()
		})
		return code
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); wait() })
	return ch, all, wait
}

// metricsAddr waits for the "metrics at http://.../metrics" line.
func metricsAddr(t *testing.T, lines <-chan string, all *syncBuffer) string {
	t.Helper()
	re := regexp.MustCompile(`metrics at (http://\S+/metrics)`)
	timeout := time.After(60 * time.Second)
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("kbench ended without printing its metrics address:\n%s", all.String())
			}
			if m := re.FindStringSubmatch(l); m != nil {
				return m[1]
			}
		case <-timeout:
			t.Fatalf("no metrics address on stderr within 60s:\n%s", all.String())
		}
	}
}

// scrape fetches and parses url with the library's text parser; nil when
// the server is gone (the run ended).
func scrape(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		return nil
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("parsing %s: %v", url, err)
	}
	return fams
}

// value sums the family's samples whose labels include want (a
// histogram's sample count).
func value(f *dto.MetricFamily, want map[string]string) float64 {
	var sum float64
	for _, m := range f.GetMetric() {
		if !hasLabels(m, want) {
			continue
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

func hasLabels(m *dto.Metric, want map[string]string) bool {
	n := 0
	for _, lp := range m.GetLabel() {
		if v, ok := want[lp.GetName()]; ok && v == lp.GetValue() {
			n++
		}
	}
	return n == len(want)
}

// TestMetricsEndpoint scrapes a running `kbench run --metrics-listen`: every
// family shows up with sane values, and the counters and histograms grow
// between two scrapes of one variant.
func TestMetricsEndpoint(t *testing.T) {
	f := writeFile(t, "live.yaml", liveRun)
	lines, all, wait := startLive(t, "run", f, "--metrics-listen", "127.0.0.1:0", "--no-progress")
	url := metricsAddr(t, lines, all)

	seen := map[string]bool{}
	v1 := map[string]string{"variant": "strategy=path"}
	growing := []string{"kbench_produce_sent_messages_total", "kbench_produce_acked_messages_total",
		"kbench_produce_acked_bytes_total", "kbench_consume_processed_messages_total",
		"kbench_produce_latency_seconds", "kbench_produce_corrected_latency_seconds", "kbench_e2e_latency_seconds"}
	var first map[string]float64 // the first scrape of variant 1 in its measured phase
	grew := map[string]bool{}
	last := map[string]float64{}
	for {
		fams := scrape(t, url)
		if fams == nil {
			break
		}
		for name := range fams {
			seen[name] = true
		}
		checkSane(t, fams)
		if ph := fams["kbench_phase"]; ph != nil && value(ph, map[string]string{"variant": "strategy=path", "phase": "measure"}) == 1 {
			cur := map[string]float64{}
			for _, n := range growing {
				if fams[n] != nil {
					cur[n] = value(fams[n], v1)
				}
			}
			if first == nil && cur["kbench_produce_acked_messages_total"] > 0 {
				first = cur
			} else if first != nil {
				for n, x := range cur {
					if x > first[n] {
						grew[n] = true
					}
				}
			}
		}
		// Counters never go back within a variant.
		for _, n := range growing {
			if fams[n] == nil {
				continue
			}
			x := value(fams[n], v1)
			if x < last[n] {
				t.Errorf("%s went back from %v to %v", n, last[n], x)
			}
			last[n] = x
		}
		if fams["kbench_delivery_lost_messages"] != nil {
			// The first variant has ended: its measured delivery figures.
			for _, n := range []string{"kbench_delivery_lost_messages", "kbench_delivery_unconsumed_messages", "kbench_produce_unsent_messages"} {
				if fams[n] == nil || value(fams[n], v1) != 0 {
					t.Errorf("%s after a clean variant: %v, want present and 0", n, fams[n])
				}
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	if code := wait(); code != 0 {
		t.Fatalf("exit %d\n%s", code, all.String())
	}
	for _, n := range metrics.Families() {
		// A run without a capacity search has no probe to name.
		if !seen[n] && !strings.HasPrefix(n, "kbench_search_") {
			t.Errorf("family %s never scraped", n)
		}
	}
	if first == nil {
		t.Fatalf("no scrape during the first variant's measured phase")
	}
	for _, n := range growing {
		if !grew[n] {
			t.Errorf("%s did not grow between scrapes of the measured phase (first %v, last %v)", n, first[n], last[n])
		}
	}
}

// checkSane checks what must hold in any scrape.
func checkSane(t *testing.T, fams map[string]*dto.MetricFamily) {
	t.Helper()
	phases := map[string]float64{}
	for _, m := range fams["kbench_phase"].GetMetric() {
		for _, lp := range m.GetLabel() {
			if lp.GetName() == "variant" {
				phases[lp.GetValue()] += m.Gauge.GetValue()
			}
		}
	}
	for v, n := range phases {
		if n != 1 {
			t.Errorf("variant %s is in %v phases, want exactly 1", v, n)
		}
	}
	for v := range phases {
		l := map[string]string{"variant": v}
		sent := value(fams["kbench_produce_sent_messages_total"], l)
		acked := value(fams["kbench_produce_acked_messages_total"], l)
		if acked > sent || sent < 0 {
			t.Errorf("variant %s: acked %v > sent %v", v, acked, sent)
		}
		if p := value(fams["kbench_consume_processed_messages_total"], l); p > sent {
			t.Errorf("variant %s: processed %v > sent %v", v, p, sent)
		}
		if h := value(fams["kbench_produce_latency_seconds"], l); h > acked {
			t.Errorf("variant %s: %v latencies for %v acknowledgements", v, h, acked)
		}
	}
	for _, m := range fams["kbench_consume_lag_messages"].GetMetric() {
		if m.Gauge.GetValue() < 0 {
			t.Errorf("negative lag %v", m)
		}
	}
	for _, name := range []string{"kbench_produce_latency_seconds", "kbench_e2e_latency_seconds"} {
		for _, m := range fams[name].GetMetric() {
			h := m.Histogram
			b := h.GetBucket()
			if len(b) == 0 || b[len(b)-1].GetCumulativeCount() > h.GetSampleCount() {
				t.Errorf("%s: buckets %v for count %d", name, b, h.GetSampleCount())
			}
			if h.GetSampleCount() > 0 && (h.GetSampleSum() <= 0 || h.GetSampleSum()/float64(h.GetSampleCount()) > 10) {
				t.Errorf("%s: mean %v s", name, h.GetSampleSum()/float64(h.GetSampleCount()))
			}
		}
	}
}

// TestJSONLinesStream runs with --progress=jsonl and --events: the same
// stream on stderr and in the file, one object a second per variant, its
// counters growing, and a final object per variant whose figures are the
// result's.
func TestJSONLinesStream(t *testing.T) {
	f := writeFile(t, "live.yaml", liveRun)
	dir := t.TempDir()
	events := filepath.Join(dir, "events.jsonl")
	r := runKbench(t, "run", f, "--progress=jsonl", "--events", events, "--out", dir)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	raw, err := os.ReadFile(events)
	if err != nil {
		t.Fatal(err)
	}
	var onStderr []string
	for _, l := range strings.Split(r.stderr, "\n") {
		if strings.HasPrefix(l, "{") {
			onStderr = append(onStderr, l)
		}
	}
	inFile := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if !slices.Equal(onStderr, inFile) {
		t.Errorf("stderr has %d JSON lines, the events file %d; want the same stream", len(onStderr), len(inFile))
	}
	res := readResultFile(t, filepath.Join(dir, "result.json"))
	byVariant := map[string][]metrics.Event{}
	var order []string
	for i, l := range inFile {
		dec := json.NewDecoder(bytes.NewReader([]byte(l)))
		dec.DisallowUnknownFields()
		var ev metrics.Event
		if err := dec.Decode(&ev); err != nil {
			t.Fatalf("line %d: %v: %s", i+1, err, l)
		}
		if _, ok := byVariant[ev.Variant]; !ok {
			order = append(order, ev.Variant)
		}
		byVariant[ev.Variant] = append(byVariant[ev.Variant], ev)
	}
	if len(order) != len(res.Variants) {
		t.Fatalf("events for variants %v, result has %d", order, len(res.Variants))
	}
	for vi, name := range order {
		evs := byVariant[name]
		checkVariantEvents(t, name, evs)
		done := evs[len(evs)-1]
		rv := res.Variants[vi]
		if rv.Name != name {
			t.Fatalf("variant %d: events %q, result %q", vi, name, rv.Name)
		}
		g := rv.Consume.Groups[0]
		if done.Unsent == nil || *done.Unsent != rv.Produce.Unsent || len(done.Groups) != 1 ||
			!sameInt(done.Groups[0].Lost, g.Delivery.Lost) || !sameInt(done.Groups[0].Unconsumed, g.Delivery.Unconsumed) ||
			done.Groups[0].Duplicated != g.Delivery.Duplicated {
			t.Errorf("%s: final event %+v, result delivery %+v unsent %d", name, done, g.Delivery, rv.Produce.Unsent)
		}
		if done.Groups[0].Lost == nil || *done.Groups[0].Lost != 0 {
			t.Errorf("%s: final event lost %v, want measured and 0", name, done.Groups[0].Lost)
		}
		var bytes int64
		for _, p := range done.Producers {
			bytes += p.Bytes
		}
		if bytes != rv.Produce.Bytes {
			t.Errorf("%s: final event bytes %d, result %d", name, bytes, rv.Produce.Bytes)
		}
	}
}

func sameInt(a, b *int64) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}

// checkVariantEvents: one event a second, phases in order, counters that
// grow, the top-level figures adding up the per-producer ones.
func checkVariantEvents(t *testing.T, name string, evs []metrics.Event) {
	t.Helper()
	if len(evs) < 5 { // 2 s warmup + 3 s: at least 4 live events and the final one
		t.Fatalf("%s: %d events, want at least one a second and a final one", name, len(evs))
	}
	rank := map[string]int{"warmup": 0, "measure": 1, "drain": 2, "done": 3}
	var phases []string
	for i, ev := range evs {
		if i > 0 {
			p := evs[i-1]
			if ev.T < p.T || ev.Sent < p.Sent || ev.Acked < p.Acked || rank[ev.Phase] < rank[p.Phase] {
				t.Errorf("%s: event %d %+v after %+v", name, i, ev, p)
			}
		}
		if len(phases) == 0 || phases[len(phases)-1] != ev.Phase {
			phases = append(phases, ev.Phase)
		}
		var sent, acked int64
		for _, p := range ev.Producers {
			sent += p.Sent
			acked += p.Acked
		}
		if len(ev.Producers) != 2 || sent != ev.Sent || acked != ev.Acked || ev.Acked > ev.Sent {
			t.Errorf("%s: event %d: sent %d acked %d, producers %+v", name, i, ev.Sent, ev.Acked, ev.Producers)
		}
		final := ev.Phase == "done"
		if final != (i == len(evs)-1) || (ev.Rate == nil) != final || (ev.Unsent != nil) != final {
			t.Errorf("%s: event %d (%s): rate %v unsent %v", name, i, ev.Phase, ev.Rate, ev.Unsent)
		}
		if ev.Consumed == nil || *ev.Consumed > ev.Sent {
			t.Errorf("%s: event %d consumed %v of %d sent", name, i, ev.Consumed, ev.Sent)
		}
		if ev.P99 != nil && (ev.Produce == nil || *ev.P99 != ev.Produce.P99 || *ev.P99 <= 0) {
			t.Errorf("%s: event %d p99 %v, interval latency %+v", name, i, *ev.P99, ev.Produce)
		}
	}
	if fmt.Sprint(phases[0]) != "warmup" || phases[len(phases)-1] != "done" || !slices.Contains(phases, "measure") {
		t.Errorf("%s: phases %v, want warmup ... measure ... done", name, phases)
	}
	var withLatency int
	for _, ev := range evs {
		if ev.Produce != nil && ev.Corrected != nil && len(ev.Groups) == 1 && ev.Groups[0].E2E != nil {
			withLatency++
		}
	}
	if withLatency < 2 {
		t.Errorf("%s: %d events with produce, corrected and e2e latency, want most", name, withLatency)
	}
}

// TestBrokerMetrics: `kbench broker --metrics-listen` counts what it
// receives per partition: records, bytes and produce requests.
func TestBrokerMetrics(t *testing.T) {
	port := freePort(t)
	addr := "127.0.0.1:" + port
	lines, all, _ := startLive(t, "broker", "--listen", addr, "--partitions", "3", "--metrics-listen", "127.0.0.1:0")
	url := metricsAddr(t, lines, all)

	cl, err := kgo.NewClient(kgo.SeedBrokers(addr), kgo.RecordPartitioner(kgo.ManualPartitioner()), kgo.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	want := map[string]int{"0": 7, "1": 20, "2": 33}
	var valueBytes int
	for p, n := range want {
		for i := range n {
			v := fmt.Sprintf("value-%s-%d", p, i)
			valueBytes += len(v)
			part := int32(p[0] - '0')
			if err := cl.ProduceSync(ctx, &kgo.Record{Topic: "metered", Partition: part, Value: []byte(v)}).FirstErr(); err != nil {
				t.Fatal(err)
			}
		}
	}
	fams := scrape(t, url)
	if fams == nil {
		t.Fatalf("no metrics at %s", url)
	}
	var totalBytes float64
	for p, n := range want {
		l := map[string]string{"topic": "metered", "partition": p}
		if got := value(fams["kbench_broker_records_total"], l); got != float64(n) {
			t.Errorf("partition %s: %v records, want %d", p, got, n)
		}
		// ProduceSync sends one record per request.
		if got := value(fams["kbench_broker_produce_requests_total"], l); got != float64(n) {
			t.Errorf("partition %s: %v produce requests, want %d", p, got, n)
		}
		totalBytes += value(fams["kbench_broker_bytes_total"], l)
	}
	if totalBytes < float64(valueBytes) {
		t.Errorf("%v record-batch bytes for %d bytes of values", totalBytes, valueBytes)
	}
	if n := value(fams["kbench_broker_requests_total"], map[string]string{"api": "Produce"}); n != 60 {
		t.Errorf("%v Produce requests, want 60", n)
	}
	if n := value(fams["kbench_broker_requests_total"], map[string]string{"api": "Metadata"}); n < 1 {
		t.Errorf("%v Metadata requests, want some", n)
	}
	for _, n := range metrics.BrokerFamilies() {
		if fams[n] == nil {
			t.Errorf("family %s missing", n)
		}
	}
}
