package report

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kbench/kbench/internal/stats"
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
func (t Tol) Allowance(base float64) float64 {
	return math.Max(t.Rel*math.Abs(base), t.Abs)
}

// Tolerance is how Compare judges a difference: the default allowance plus
// per-figure overrides keyed by dotted path (a "*" segment in a key matches
// any one segment: consume.groups.*.lag.max), noise floors (DefaultFloors
// unless overridden in Floors) and the significance level of the test on
// repeated runs. A figure named in PerFigure is gated even when it is not
// by default (GatedByDefault).
type Tolerance struct {
	Default   Tol            `json:"default"`
	PerFigure map[string]Tol `json:"per_figure,omitempty"`
	// Floors overrides the default noise floor of figures, keyed like
	// PerFigure, in the figure's unit.
	Floors map[string]float64 `json:"floors,omitempty"`
	// Alpha is the significance level of the Mann–Whitney U test applied
	// when both sides have repeated runs; 0 means stats.DefaultAlpha (0.05).
	Alpha float64 `json:"alpha,omitempty"`
}

// DefaultTolerance is 10% on every figure, the default noise floors and
// α = 0.05.
var DefaultTolerance = Tolerance{Default: Tol{Rel: 0.10}}

// alpha is the significance level in force.
func (t Tolerance) AlphaOrDefault() float64 {
	if t.Alpha > 0 {
		return t.Alpha
	}
	return stats.DefaultAlpha
}

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
	if tol, ok := t.named(path); ok {
		return tol
	}
	return t.Default
}

// named returns the per-figure tolerance that names path, exactly or by
// a "*" pattern.
func (t Tolerance) named(path string) (Tol, bool) {
	if tol, ok := t.PerFigure[path]; ok {
		return tol, true
	}
	for _, k := range t.sortedPaths() {
		if matchPath(k, path) {
			return t.PerFigure[k], true
		}
	}
	return Tol{}, false
}

// matchPath reports whether pattern (dotted, "*" for any one segment)
// matches path.
func matchPath(pattern, path string) bool {
	if pattern == path {
		return true
	}
	ks, _, err1 := SplitPath(pattern)
	segs, _, err2 := SplitPath(path)
	if err1 != nil || err2 != nil || len(ks) != len(segs) {
		return false
	}
	for i := range ks {
		if ks[i] != "*" && ks[i] != segs[i] {
			return false
		}
	}
	return true
}

// Gated reports whether a regression of the figure fails the comparison:
// by default (GatedByDefault), or because a per-figure tolerance names it.
func (t Tolerance) Gated(path string) bool {
	if _, ok := t.named(path); ok {
		return true
	}
	return GatedByDefault(path)
}

// Delta is one figure of one variant, baseline against current.
type Delta struct {
	Path  string `json:"path"`
	Label string `json:"label"`
	// Group is the consumer group of a per-group figure.
	Group  string    `json:"group,omitempty"`
	Better Direction `json:"-"`
	// Direction is "higher", "lower" or "" (neutral).
	Direction string `json:"direction,omitempty"`
	// Base and Cur are the figures (the medians of repeated runs).
	Base float64 `json:"base"`
	Cur  float64 `json:"current"`
	// BaseOK / CurOK are false when the side did not measure the figure.
	BaseOK bool    `json:"base_ok"`
	CurOK  bool    `json:"current_ok"`
	Abs    float64 `json:"delta"`
	// Pct is the change in percent of the baseline; nil when a side has
	// no data or the baseline is within the noise floor of zero.
	Pct       *float64 `json:"delta_pct,omitempty"`
	Tolerance string   `json:"tolerance,omitempty"`
	// Floor is the figure's noise floor (FloorFor): no change of this
	// size or less counts, either way.
	Floor float64 `json:"floor,omitempty"`
	// Gated: a regression of this figure fails the comparison (exit 3).
	Gated bool `json:"gated"`
	// BaseRuns / CurRuns: how many runs each side's figure combines (1 for
	// a single run).
	BaseRuns int `json:"base_runs"`
	CurRuns  int `json:"current_runs"`
	// BaseCI / CurCI: the confidence interval of each side's median, for
	// repeated runs.
	BaseCI *CI `json:"base_ci,omitempty"`
	CurCI  *CI `json:"current_ci,omitempty"`
	// P is the two-sided Mann–Whitney U p-value of the runs, when both
	// sides have enough runs for the test to reach significance.
	P *float64 `json:"p_value,omitempty"`
	// NotSignificant ("~"): the runs were tested and the difference of
	// the medians, whatever its size, is within run-to-run noise
	// (P >= alpha). False when the medians are equal.
	NotSignificant bool `json:"not_significant,omitempty"`
	// Regression: a gated figure worse beyond its tolerance and noise
	// floor (and, when tested, significantly so), or no longer measured.
	Regression bool `json:"regression"`
	// Worse: like Regression, for a figure that is not gated.
	Worse bool `json:"worse,omitempty"`
	// Improved: better than the baseline beyond the tolerance (and
	// significantly so, when tested).
	Improved bool   `json:"improved,omitempty"`
	Note     string `json:"note,omitempty"`
	Format   string `json:"-"`
}

// VariantComparison is every headline figure of one variant.
type VariantComparison struct {
	Name string `json:"name"`
	// Missing is "current" when the baseline's variant is absent from the
	// current result (a regression) and "baseline" when it is new.
	Missing string `json:"missing,omitempty"`
	// BaseRuns / CurRuns: runs behind each side's figures.
	BaseRuns int `json:"base_runs,omitempty"`
	CurRuns  int `json:"current_runs,omitempty"`
	// Method says how differences were judged: the significance test, or
	// why there was none (a single run on a side, too few runs).
	Method string  `json:"method,omitempty"`
	Deltas []Delta `json:"deltas,omitempty"`
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
	var fs []string
	for k := range t.Floors {
		fs = append(fs, k)
	}
	sort.Strings(fs)
	for _, k := range fs {
		s += ", floor " + k + " " + strconv.FormatFloat(t.Floors[k], 'g', -1, 64)
	}
	if t.Alpha > 0 && t.Alpha != stats.DefaultAlpha {
		s += ", α " + strconv.FormatFloat(t.Alpha, 'g', -1, 64)
	}
	return s
}
