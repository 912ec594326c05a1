package report

import (
	"fmt"
	"math"
	"reflect"
)

// Repeats holds every run's figures of a variant run more than once
// (`kbench run --repeat N`, `repeat:` in the experiment file), or of the
// stored results a `kbench compare --history` baseline was built from.
//
// The variant's own figures are then each the median of the runs that
// measured it (see CombineRuns); Repeats keeps the samples behind every
// median, so `kbench compare` can test whether a difference is larger
// than the spread between runs.
type Repeats struct {
	// Runs is how many runs the variant's figures combine.
	Runs int `json:"runs"`
	// Figures, keyed by dotted path (produce.latency_ms.p99): each run's
	// value and the median's confidence interval. Every headline figure
	// (Figures) and every field of each latency summary is kept.
	Figures map[string]*FigureRuns `json:"figures"`
}

// FigureRuns is one figure over the runs.
type FigureRuns struct {
	// Samples: each run's value in run order; null where that run did not
	// measure the figure.
	Samples []*float64 `json:"samples"`
	// CI is the distribution-free confidence interval of the median of the
	// measured samples (stats.MedianCI, asked at 95%); absent with fewer
	// than two.
	CI *CI `json:"ci,omitempty"`
}

// CI is a confidence interval of a median: Lo..Hi covers the true median
// with probability Level (0..1). Bounds are order statistics; with five
// runs the best interval is min..max at 93.75%.
type CI struct {
	Lo    float64 `json:"lo"`
	Hi    float64 `json:"hi"`
	Level float64 `json:"level"`
}

// Measured returns the samples the runs measured (nulls dropped).
func (f *FigureRuns) Measured() []float64 {
	if f == nil {
		return nil
	}
	out := make([]float64, 0, len(f.Samples))
	for _, x := range f.Samples {
		if x != nil {
			out = append(out, *x)
		}
	}
	return out
}

// runs returns the figure's samples of v when v combines several runs, or
// nil for a single run.
func (v *Variant) Runs(path string) *FigureRuns {
	if v == nil || v.Repeats == nil || v.Repeats.Runs < 2 {
		return nil
	}
	return v.Repeats.Figures[path]
}

// figureValue resolves a path to its settable field. A nil pointer on the
// way is allocated when alloc is set; otherwise the figure is not there
// to change and field is invalid.
func figureValue(v *Variant, path string, alloc bool) (field, parent reflect.Value, err error) {
	segs, offs, err := SplitPath(path)
	if err == nil {
		err = CheckPath(segs, offs)
	}
	if err != nil {
		return field, parent, fmt.Errorf("%s: %w", path, err)
	}
	cur := reflect.ValueOf(v).Elem()
	for i, seg := range segs {
		for cur.Kind() == reflect.Pointer {
			if cur.IsNil() {
				if !alloc {
					return reflect.Value{}, parent, nil
				}
				cur.Set(reflect.New(cur.Type().Elem()))
			}
			cur = cur.Elem()
		}
		parent = cur
		switch cur.Kind() {
		case reflect.Struct:
			f, _ := fieldByJSON(cur.Type(), seg)
			cur = cur.FieldByIndex(f.Index)
		case reflect.Slice:
			if cur, err = sliceElem(cur, seg, segs, i); err != nil {
				return field, parent, fmt.Errorf("%s: %w", path, err)
			}
		}
	}
	return cur, parent, nil
}

// SetFigure stores x at path (rounded for integer fields).
func SetFigure(v *Variant, path string, x float64) error {
	f, _, err := figureValue(v, path, true)
	if err != nil {
		return err
	}
	if f.Kind() == reflect.Pointer {
		f.Set(reflect.New(f.Type().Elem()))
		f = f.Elem()
	}
	switch {
	case f.CanInt():
		f.SetInt(int64(math.Round(x)))
	case f.CanUint():
		f.SetUint(uint64(math.Round(x)))
	case f.CanFloat():
		f.SetFloat(x)
	default:
		return fmt.Errorf("%s: not a number", path)
	}
	return nil
}

// SetNotMeasured marks the figure at path as not measured, the way the
// result model spells it: a null pointer, or a latency summary without
// samples. Other figures are "not measured" for reasons every run shares
// (no consumer group, no partition load), so the median run already
// says so.
func SetNotMeasured(v *Variant, path string) error {
	f, parent, err := figureValue(v, path, false)
	if err != nil || !f.IsValid() {
		return err
	}
	switch {
	case f.Kind() == reflect.Pointer:
		f.Set(reflect.Zero(f.Type()))
	case parent.Type() == reflect.TypeOf(Latency{}):
		parent.Set(reflect.Zero(parent.Type()))
	}
	return nil
}
