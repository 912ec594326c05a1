package main

import (
	"io"
	"strings"

	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/render"
	"github.com/kbench/kbench/report/render/html"
)

// formats is every --format a result renders in: the render package's and
// HTML, which is its own package because it links the plotting library.
var formats = append(append([]string(nil), render.Formats...), "html")

// renderResult writes r in format.
func renderResult(w io.Writer, r *report.Result, format string) error {
	if strings.EqualFold(format, "html") {
		return html.RenderHTML(w, r)
	}
	return render.Render(w, r, format)
}
