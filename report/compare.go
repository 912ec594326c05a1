package report

import (
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Tol is the allowed worsening of one figure before it counts as a
// regression: Rel is a fraction of the baseline value (0.10 for "10%"),
// Abs an absolute amount in the figure's unit. Both may be set; the larger
// allowance wins.
type Tol struct {
	Rel float64 `json:"rel,omitempty"`
	Abs float64 `json:"abs,omitempty"`
}

func (t Tol) String() string {
	var parts []string
	if t.Rel != 0 || t.Abs == 0 {
		parts = append(parts, strconv.FormatFloat(t.Rel*100, 'g', -1, 64)+"%")
	}
	if t.Abs != 0 {
		parts = append(parts, strconv.FormatFloat(t.Abs, 'g', -1, 64))
	}
	return strings.Join(parts, "+")
}

// allowance for a baseline value.
func (t Tol) allowance(base float64) float64 {
	return math.Max(t.Rel*math.Abs(base), t.Abs)
}

// Tolerance is the default allowance plus per-figure overrides keyed by
// dotted path; a "*" segment in a key matches any one segment
// (consume.groups.*.lag.max).
type Tolerance struct {
	Default   Tol            `json:"default"`
	PerFigure map[string]Tol `json:"per_figure,omitempty"`
}

// DefaultTolerance is 10% on every figure.
var DefaultTolerance = Tolerance{Default: Tol{Rel: 0.10}}

// ParseTolerance reads --tolerance values: "10%" sets the default,
// "PATH=20%" or "PATH=5" (absolute, in the figure's unit) one figure. A
// later default replaces an earlier one. Paths are validated like gate
// paths ("*" allowed for a group name).
func ParseTolerance(specs []string) (Tolerance, error) {
	t := Tolerance{Default: DefaultTolerance.Default}
	for _, spec := range specs {
		for _, s := range strings.Split(spec, ",") {
			s = strings.TrimSpace(s)
			if s == "" {
				continue
			}
			path, val, hasPath := strings.Cut(s, "=")
			if !hasPath {
				val, path = path, ""
			}
			tol, err := parseTol(strings.TrimSpace(val))
			if err != nil {
				return Tolerance{}, fmt.Errorf("tolerance %q: %w", s, err)
			}
			if path == "" {
				t.Default = tol
				continue
			}
			path = strings.TrimSpace(path)
			if err := ValidatePath(strings.ReplaceAll(path, ".*.", ".any.")); err != nil {
				return Tolerance{}, fmt.Errorf("tolerance %q: %w", s, err)
			}
			if t.PerFigure == nil {
				t.PerFigure = map[string]Tol{}
			}
			t.PerFigure[path] = tol
		}
	}
	return t, nil
}

func parseTol(s string) (Tol, error) {
	if s == "" {
		return Tol{}, fmt.Errorf("empty value (want e.g. 10%% or an absolute amount)")
	}
	if p, ok := strings.CutSuffix(s, "%"); ok {
		x, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
			return Tol{}, fmt.Errorf("%q is not a non-negative percentage", s)
		}
		return Tol{Rel: x / 100}, nil
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || x < 0 || math.IsInf(x, 0) || math.IsNaN(x) {
		return Tol{}, fmt.Errorf("%q is not a non-negative number or percentage", s)
	}
	return Tol{Abs: x}, nil
}

// For returns the tolerance of a figure path.
func (t Tolerance) For(path string) Tol {
	if tol, ok := t.PerFigure[path]; ok {
		return tol
	}
	segs, _, err := splitPath(path)
	if err == nil {
		for k, tol := range t.PerFigure {
			ks, _, err := splitPath(k)
			if err != nil || len(ks) != len(segs) {
				continue
			}
			match := true
			for i := range ks {
				if ks[i] != "*" && ks[i] != segs[i] {
					match = false
					break
				}
			}
			if match {
				return tol
			}
		}
	}
	return t.Default
}

// Delta is one figure of one variant, baseline against current.
type Delta struct {
	Path  string `json:"path"`
	Label string `json:"label"`
	// Group is the consumer group of a per-group figure.
	Group  string    `json:"group,omitempty"`
	Better Direction `json:"-"`
	// Direction is "higher", "lower" or "" (neutral).
	Direction string  `json:"direction,omitempty"`
	Base      float64 `json:"base"`
	Cur       float64 `json:"current"`
	// BaseOK / CurOK are false when the side did not measure the figure.
	BaseOK bool    `json:"base_ok"`
	CurOK  bool    `json:"current_ok"`
	Abs    float64 `json:"delta"`
	// Pct is the change in percent of the baseline; nil when the baseline
	// is 0 or a side has no data.
	Pct        *float64 `json:"delta_pct,omitempty"`
	Tolerance  string   `json:"tolerance,omitempty"`
	Regression bool     `json:"regression"`
	// Improved: better than the baseline beyond the tolerance.
	Improved bool   `json:"improved,omitempty"`
	Note     string `json:"note,omitempty"`
	format   string
}

// VariantComparison is every headline figure of one variant.
type VariantComparison struct {
	Name string `json:"name"`
	// Missing is "current" when the baseline's variant is absent from the
	// current result (a regression) and "baseline" when it is new.
	Missing string  `json:"missing,omitempty"`
	Deltas  []Delta `json:"deltas,omitempty"`
}

// Comparison is a current result measured against a baseline.
type Comparison struct {
	Baseline  string              `json:"baseline"`
	Current   string              `json:"current"`
	Tolerance Tolerance           `json:"tolerance"`
	Variants  []VariantComparison `json:"variants"`
	// Regressions counts regressed figures plus variants missing from the
	// current result.
	Regressions int `json:"regressions"`
}

// Regressed reports whether anything regressed beyond tolerance.
func (c *Comparison) Regressed() bool { return c != nil && c.Regressions > 0 }

// Render writes the comparison as text, markdown or json (RenderComparison).
func (c *Comparison) Render(w io.Writer, format string) error { return RenderComparison(w, c, format) }

func resultLabel(r *Result) string {
	if r == nil {
		return ""
	}
	s := r.Experiment
	if !r.StartedAt.IsZero() {
		s += " @ " + r.StartedAt.UTC().Format("2006-01-02 15:04:05Z")
	}
	if r.Shard != "" {
		s += " shard " + r.Shard
	}
	return s
}

// Compare measures cur against base: variants matched by name, every
// headline figure (Figures) with its absolute and relative delta and
// whether it got worse beyond the tolerance in its direction. A figure the
// baseline measured but the current run did not is a regression; a
// baseline variant missing from cur is one too.
func Compare(base, cur *Result, tol Tolerance) Comparison {
	c := Comparison{Baseline: resultLabel(base), Current: resultLabel(cur), Tolerance: tol}
	byName := func(r *Result) map[string]*Variant {
		m := map[string]*Variant{}
		if r != nil {
			for i := range r.Variants {
				m[r.Variants[i].Name] = &r.Variants[i]
			}
		}
		return m
	}
	bm, cm := byName(base), byName(cur)
	var names []string
	if base != nil {
		for _, v := range base.Variants {
			names = append(names, v.Name)
		}
	}
	if cur != nil {
		for _, v := range cur.Variants {
			if bm[v.Name] == nil {
				names = append(names, v.Name)
			}
		}
	}
	for _, name := range names {
		bv, cv := bm[name], cm[name]
		vc := VariantComparison{Name: name}
		switch {
		case cv == nil:
			vc.Missing = "current"
			c.Regressions++
		case bv == nil:
			vc.Missing = "baseline"
		default:
			for _, f := range Figures(bv, cv) {
				d := compareFigure(f, bv, cv, tol.For(f.Path))
				if d.Regression {
					c.Regressions++
				}
				if !d.BaseOK && !d.CurOK {
					continue
				}
				vc.Deltas = append(vc.Deltas, d)
			}
		}
		c.Variants = append(c.Variants, vc)
	}
	return c
}

func compareFigure(f Figure, bv, cv *Variant, tol Tol) Delta {
	d := Delta{Path: f.Path, Label: f.Label, Better: f.Better, format: f.Format}
	d.Group, _ = strings.CutPrefix(f.Section, "group ")
	if d.Group == f.Section {
		d.Group = ""
	}
	switch f.Better {
	case HigherBetter:
		d.Direction = "higher"
	case LowerBetter:
		d.Direction = "lower"
	}
	var errB, errC error
	d.Base, errB = Lookup(bv, f.Path)
	d.Cur, errC = Lookup(cv, f.Path)
	d.BaseOK, d.CurOK = errB == nil, errC == nil
	if f.Better != Neutral {
		d.Tolerance = tol.String()
	}
	switch {
	case d.BaseOK && !d.CurOK:
		d.Note = "no data in current run"
		d.Regression = f.Better != Neutral
		return d
	case !d.BaseOK && d.CurOK:
		d.Note = "new figure (no baseline)"
		return d
	case !d.BaseOK:
		return d
	}
	d.Abs = d.Cur - d.Base
	if d.Base != 0 {
		p := d.Abs / math.Abs(d.Base) * 100
		d.Pct = &p
	}
	worse := 0.0 // how much worse, in the figure's unit
	switch f.Better {
	case HigherBetter:
		worse = d.Base - d.Cur
	case LowerBetter:
		worse = d.Cur - d.Base
	default:
		return d
	}
	allow := tol.allowance(d.Base)
	d.Regression = worse > allow
	d.Improved = -worse > allow
	return d
}

// label names the figure within width runes, shortening a group name
// rather than the figure.
func (d Delta) label(width int) string {
	if d.Group == "" {
		return truncate(d.Label, width)
	}
	room := width - len(d.Label) - 1
	if room < 4 {
		return truncate(d.Group+" "+d.Label, width)
	}
	return truncate(d.Group, room) + " " + d.Label
}

// Figure formatting for comparisons.
func (d Delta) fmtDelta() string {
	if !d.BaseOK || !d.CurOK {
		return "-"
	}
	s := formatFigure(math.Abs(d.Abs), d.format)
	switch {
	case d.Abs > 0:
		s = "+" + s
	case d.Abs < 0:
		s = "-" + s
	}
	return s
}

func (d Delta) fmtPct() string {
	if d.Pct == nil {
		if d.BaseOK && d.CurOK && d.Abs != 0 {
			return "new"
		}
		return "-"
	}
	return fmt.Sprintf("%+.1f%%", *d.Pct)
}

func (d Delta) status() string {
	switch {
	case d.Regression && d.Note != "":
		return "REGRESSED (" + d.Note + ")"
	case d.Regression:
		return "REGRESSED"
	case d.Improved:
		return "improved"
	case d.Better == Neutral:
		return ""
	case d.Note != "":
		return d.Note
	}
	return "ok"
}

func sideValue(x float64, ok bool, format string) string {
	if !ok {
		return "-"
	}
	return formatFigure(x, format)
}

// SortedTolerancePaths lists per-figure tolerances in a stable order.
func (t Tolerance) sortedPaths() []string {
	var ks []string
	for k := range t.PerFigure {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func (t Tolerance) String() string {
	s := "default " + t.Default.String()
	for _, k := range t.sortedPaths() {
		s += ", " + k + " " + t.PerFigure[k].String()
	}
	return s
}
