package render

import (
	"encoding/csv"
	"io"
	"strconv"

	"github.com/kbench/kbench/report"
)

// csvColumns are the per-variant columns after experiment and variant: every
// headline figure by its dotted path (so a spreadsheet column names the
// same figure a gate does).
func csvFigures(vs []*report.Variant) []report.Figure { return report.Figures(vs...) }

// RenderCSV writes one row per variant (experiment, variant, params, then
// every headline figure by dotted path; empty where not measured), a blank
// line, then the time series (RenderTimeseriesCSV).
func RenderCSV(w io.Writer, r *report.Result) error {
	if err := RenderVariantsCSV(w, r); err != nil {
		return err
	}
	if _, err := io.WriteString(w, "\n"); err != nil {
		return err
	}
	return RenderTimeseriesCSV(w, r)
}

// RenderVariantsCSV writes the per-variant table alone.
func RenderVariantsCSV(w io.Writer, r *report.Result) error {
	vs := VariantPtrs(r)
	figs := csvFigures(vs)
	cw := csv.NewWriter(w)
	head := []string{"experiment", "variant", "params", "gates_failed"}
	for _, f := range figs {
		head = append(head, f.Path)
	}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, v := range vs {
		failed := 0
		for _, g := range v.Gates {
			if !g.Pass {
				failed++
			}
		}
		row := []string{r.Experiment, v.Name, sortedParams(v.Params), strconv.Itoa(failed)}
		for _, f := range figs {
			x, err := report.Lookup(v, f.Path)
			if err != nil {
				row = append(row, "")
				continue
			}
			row = append(row, strconv.FormatFloat(x, 'f', -1, 64))
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}

// RenderTimeseriesCSV writes the per-second samples of every variant:
// variant,t,sent,acked,consumed,lag,p99_ms.
func RenderTimeseriesCSV(w io.Writer, r *report.Result) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"variant", "t", "sent", "acked", "consumed", "lag", "p99_ms"}); err != nil {
		return err
	}
	for _, v := range r.Variants {
		for _, s := range v.Timeseries {
			if err := cw.Write([]string{v.Name,
				strconv.FormatFloat(s.T, 'f', -1, 64),
				strconv.FormatInt(s.Sent, 10), strconv.FormatInt(s.Acked, 10),
				strconv.FormatInt(s.Consumed, 10), strconv.FormatInt(s.Lag, 10),
				strconv.FormatFloat(s.P99Ms, 'f', -1, 64)}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
