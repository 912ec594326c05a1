package scripts

import (
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/kbench/kbench/internal/metrics"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/workloads/runner"
)

const dashboardFile = "grafana-dashboard.json"

// dashboard is the part of a Grafana dashboard the test reads.
type dashboard struct {
	Title      string
	UID        string
	Panels     []panel
	Templating struct {
		List []struct {
			Name       string
			Type       string
			Definition string
		}
	}
}

type panel struct {
	Title   string
	Type    string
	Panels  []panel // a collapsed row's
	Targets []struct {
		RefID string
		Expr  string
	}
}

// exportedNames is every series name kbench exports: the run exporter's
// families as actually gathered (a histogram as its _bucket, _sum and
// _count series) and the broker's.
func exportedNames(t *testing.T) map[string]bool {
	t.Helper()
	e := metrics.NewExporter()
	h := recorder.NewHistogram()
	h.Record(1000)
	e.Observe(&runner.Snapshot{
		Variant: "v", Phase: runner.PhaseDone, Produce: h, Corrected: h,
		Probe:     &runner.ProbeInfo{Index: 1, Rate: 100, Variant: "v"},
		Producers: []runner.ProducerSnapshot{{Index: 0}},
		Groups:    []runner.GroupSnapshot{{Group: "g", Lag: []int64{0}, E2E: h, RebalancePauseMs: report.Float(0)}},
		Result: &report.Variant{Consume: report.Consume{Groups: []report.Group{{Group: "g",
			Delivery: report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)}}}}},
	})
	reg := prometheus.NewRegistry()
	reg.MustRegister(e)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, f := range fams {
		if f.GetType() == dto.MetricType_HISTOGRAM {
			for _, s := range []string{"_bucket", "_sum", "_count"} {
				names[f.GetName()+s] = true
			}
			continue
		}
		names[f.GetName()] = true
	}
	for _, f := range metrics.Families() {
		if !names[f] && !names[f+"_count"] {
			t.Fatalf("family %s is not gathered from a full snapshot", f)
		}
	}
	for _, f := range metrics.BrokerFamilies() {
		names[f] = true // counters
	}
	return names
}

var seriesName = regexp.MustCompile(`\b(kbench_[a-zA-Z0-9_]+|[a-zA-Z_:][a-zA-Z0-9_:]*_(total|seconds|bucket|messages))\b`)

// TestGrafanaDashboard loads the dashboard and checks that every query
// names series kbench exports, and that the panels the docs promise are
// there.
func TestGrafanaDashboard(t *testing.T) {
	raw, err := os.ReadFile(dashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var d dashboard
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if err := dec.Decode(&d); err != nil {
		t.Fatalf("%s: %v", dashboardFile, err)
	}
	if d.Title == "" || d.UID == "" {
		t.Errorf("%s: title %q uid %q", dashboardFile, d.Title, d.UID)
	}
	names := exportedNames(t)
	used := map[string]bool{}
	var kinds []string
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			walk(p.Panels)
			if p.Type == "row" {
				continue
			}
			kinds = append(kinds, p.Type)
			if len(p.Targets) == 0 {
				t.Errorf("panel %q has no query", p.Title)
			}
			for _, q := range p.Targets {
				checkQuery(t, p.Title, q.Expr, names, used)
			}
		}
	}
	walk(d.Panels)
	for _, v := range d.Templating.List {
		if v.Type == "query" {
			checkQuery(t, "variable "+v.Name, v.Definition, names, used)
		}
	}
	for _, want := range []string{"kbench_produce_acked_messages_total", "kbench_produce_latency_seconds_bucket",
		"kbench_e2e_latency_seconds_bucket", "kbench_consume_lag_messages", "kbench_consume_rebalances_total",
		"kbench_delivery_lost_messages", "kbench_broker_records_total"} {
		if !used[want] {
			t.Errorf("no panel shows %s", want)
		}
	}
	if !strings.Contains(strings.Join(kinds, " "), "heatmap") {
		t.Errorf("panel types %v: want the lag heat map", kinds)
	}
}

// checkQuery: the query names at least one series, each one exported, and
// its brackets balance.
func checkQuery(t *testing.T, where, expr string, names, used map[string]bool) {
	t.Helper()
	found := seriesName.FindAllString(expr, -1)
	if len(found) == 0 {
		t.Errorf("%s: query %q names no kbench series", where, expr)
	}
	for _, n := range found {
		if !names[n] {
			t.Errorf("%s: query %q names %s, which kbench does not export", where, expr, n)
		}
		used[n] = true
	}
	depth := map[rune]int{}
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	for _, r := range expr {
		switch r {
		case '(', '[', '{':
			depth[r]++
		case ')', ']', '}':
			depth[pairs[r]]--
			if depth[pairs[r]] < 0 {
				t.Errorf("%s: query %q: unbalanced %c", where, expr, r)
			}
		}
	}
	for r, n := range depth {
		if n != 0 {
			t.Errorf("%s: query %q: unbalanced %c", where, expr, r)
		}
	}
}
