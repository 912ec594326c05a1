package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/internal/fixture"
)

func goldenResult(t *testing.T) *report.Result { return fixture.Golden(t) }

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s differs at line %d:\n got: %q\nwant: %q\n(run go test ./report -update if intended)", name, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s differs in length: %d vs %d lines", name, len(gl), len(wl))
	}
}

func TestGoldenText(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, goldenResult(t), "text"); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "quickstart.txt", buf.Bytes())
	out := buf.String()
	for i, l := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(l); n > textWidth {
			t.Errorf("line %d is %d columns: %q", i+1, n, l)
		}
	}
	for _, want := range []string{
		"note: embedded in-memory broker", // embedded figures are qualified
		"1.05*",                           // salted has the best max/mean
		"FAIL  service    produce.latency_ms.p99 < 8", // a failing gate with its value
		"PARTITION LOAD", "█", "·", // bars, idle partitions
		"LAG OVER TIME", "▁", "█", // sparkline
		"BASELINE COMPARISON", "REGRESSED",
		"RESULT: FAILED",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("text report lacks %q", want)
		}
	}
}

func TestGoldenMarkdown(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, goldenResult(t), "markdown"); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "quickstart.md", buf.Bytes())
	out := buf.String()
	// GitHub job summaries are limited to 1 MiB; ours should be far below.
	if len(out) > 64<<10 {
		t.Errorf("markdown is %d bytes", len(out))
	}
	for _, want := range []string{"## ❌ kbench: quickstart", "| ❌ | service | `produce.latency_ms.p99 < 8` |", "**1.05**", "<details>"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q", want)
		}
	}
}

func TestGoldenCSV(t *testing.T) {
	var buf bytes.Buffer
	if err := Render(&buf, goldenResult(t), "csv"); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "quickstart.csv", buf.Bytes())
	variants, series, ok := strings.Cut(buf.String(), "\n\n")
	if !ok {
		t.Fatal("no blank line between the variant table and the time series")
	}
	rows := strings.Split(strings.TrimSpace(variants), "\n")
	if len(rows) != 6 || !strings.Contains(rows[0], "produce.latency_ms.p99") || !strings.HasPrefix(rows[5], "quickstart,salted,") {
		t.Errorf("variant rows: %q", rows)
	}
	if n := len(strings.Split(strings.TrimSpace(series), "\n")); n != 1+5*20 {
		t.Errorf("time series rows: %d", n)
	}
}

func TestTextWrapsManyVariants(t *testing.T) {
	r := loadFixture(t)
	for i := 0; i < 3; i++ {
		for _, v := range loadFixture(t).Variants {
			v.Name = v.Name + "-" + string(rune('a'+i)) + "-long-variant-name"
			r.Variants = append(r.Variants, v)
		}
	}
	var buf bytes.Buffer
	if err := RenderText(&buf, r); err != nil {
		t.Fatal(err)
	}
	for i, l := range strings.Split(buf.String(), "\n") {
		if n := utf8.RuneCountInString(l); n > textWidth {
			t.Errorf("line %d is %d columns: %q", i+1, n, l)
		}
	}
	if !strings.Contains(buf.String(), "FIGURES (variants 1-") {
		t.Error("20 variants were not split into several tables")
	}
}

func TestRenderFormats(t *testing.T) {
	r := goldenResult(t)
	for _, f := range Formats {
		var buf bytes.Buffer
		if err := Render(&buf, r, f); err != nil || buf.Len() == 0 {
			t.Errorf("%s: %v (%d bytes)", f, err, buf.Len())
		}
	}
	if err := Render(&bytes.Buffer{}, r, "pdf"); err == nil {
		t.Error("pdf accepted")
	}
	var buf bytes.Buffer
	if err := RenderText(&buf, &report.Result{Experiment: "x", Broker: report.BrokerInfo{Kind: "external"}}); err != nil ||
		!strings.Contains(buf.String(), "no variants") {
		t.Errorf("empty result: %v %q", err, buf.String())
	}
}
