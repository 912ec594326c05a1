package render_test

import (
	"bytes"
	"errors"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/render/html"
	"github.com/kbench/kbench/report/verdict"
)

// FuzzReadResult: any bytes read as result.json give a *FormatError, or a
// result every renderer, the verdict and a comparison handle; never a
// panic or a hang.
func FuzzReadResult(f *testing.F) {
	b, err := os.ReadFile("testdata/quickstart.json")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte(`{"schema":"kbench/result/v1","variants":[{"name":"x","partitions":[{"partition":-1}],"delivery":{"lost":-1}}]}`))
	f.Add([]byte(`{"schema":"kbench/result/v1","variants":[{"histograms":{"produce":"AAAA"}}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := report.ParseResult("fuzz.json", data)
		if err != nil {
			var fe *report.FormatError
			if !errors.As(err, &fe) || !strings.HasPrefix(err.Error(), "fuzz.json: ") {
				t.Fatalf("error is not a *FormatError naming the file: %v", err)
			}
			return
		}
		bounded(t, func() {
			for _, format := range render.Formats {
				if err := render.Render(io.Discard, r, format); err != nil && format == "json" {
					t.Fatalf("render %s: %v", format, err)
				}
			}
			_ = html.RenderHTML(io.Discard, r)
			_ = verdict.Compare(r, r, report.Tolerance{})
			checks := verdict.Checks{All: []string{"produce.latency_ms.p99 < 50", "delivery.lost == 0"}}
			if _, err := verdict.Decide(r, checks); err != nil {
				t.Fatalf("decide: %v", err)
			}
			var buf bytes.Buffer
			if err := report.WriteJSON(&buf, r); err != nil {
				t.Fatal(err)
			}
			if _, err := report.ParseResult("again.json", buf.Bytes()); err != nil {
				t.Fatalf("a result read back from its own JSON: %v", err)
			}
		})
	})
}

// bounded fails when fn runs unreasonably long: hostile input must not
// hang a renderer.
func bounded(t *testing.T, fn func()) {
	t.Helper()
	done := make(chan struct{})
	go func() { defer close(done); fn() }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		panic("took more than 5s")
	}
}
