package report

import (
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
)

// Dotted paths name the numeric figures of one Variant exactly as they are
// spelled in result.json (SPEC §6): produce.latency_ms.p99, skew.max_mean,
// delivery.lost, consume.groups.realtime-monitoring.lag.max. Gates, baseline
// tolerances and comparisons all address figures this way.
//
// Slices are addressed by one segment:
//   - consume.groups.NAME        the group whose "group" is NAME
//   - partitions.N               the partition whose number is N
//   - any other slice .I         the I-th element (0-based)
//
// A segment that contains a dot (a group named "a.b") is written in double
// quotes: consume.groups."a.b".lag.max.

var variantType = reflect.TypeOf(Variant{})

// Fields of Variant that are not figures and so cannot be gated.
var notFigures = map[string]string{
	"gates":      "gate results are not figures",
	"histograms": "histograms are summarised in the *latency_ms fields",
	"timeseries": "the time series is not addressable; use the summarised figures (e.g. consume.groups.G.lag.max)",
	"params":     "params are strings",
	"repeats":    "the runs' samples are not figures; the variant's figures are their medians",
	"name":       "the name is a string",
}

// SplitPath splits a dotted path, honouring double-quoted segments. It
// returns the byte offset of each segment for error positions.
func SplitPath(p string) (segs []string, offs []int, err error) {
	i := 0
	for {
		start := i
		var seg string
		if i < len(p) && p[i] == '"' {
			j := strings.IndexByte(p[i+1:], '"')
			if j < 0 {
				return nil, nil, &PathError{Offset: i, Msg: "unterminated quoted segment"}
			}
			seg = p[i+1 : i+1+j]
			i += j + 2
			if i < len(p) && p[i] != '.' {
				return nil, nil, &PathError{Offset: i, Msg: "expected '.' after quoted segment"}
			}
		} else {
			j := strings.IndexByte(p[i:], '.')
			if j < 0 {
				j = len(p) - i
			}
			seg = p[i : i+j]
			i += j
		}
		if seg == "" {
			return nil, nil, &PathError{Offset: start, Msg: "empty path segment"}
		}
		segs = append(segs, seg)
		offs = append(offs, start)
		if i >= len(p) {
			return segs, offs, nil
		}
		i++ // the dot
		if i >= len(p) {
			return nil, nil, &PathError{Offset: i, Msg: "path ends with '.'"}
		}
	}
}

type PathError struct {
	Offset int
	Msg    string
}

func (e *PathError) Error() string { return e.Msg }

func jsonName(f reflect.StructField) string {
	tag := f.Tag.Get("json")
	if tag == "-" {
		return ""
	}
	name, _, _ := strings.Cut(tag, ",")
	if name == "" {
		return f.Name
	}
	return name
}

// fieldNames lists the addressable JSON names of a struct type, for error
// messages.
func fieldNames(t reflect.Type, top bool) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		n := jsonName(t.Field(i))
		if n == "" || (top && notFigures[n] != "") {
			continue
		}
		if k := deref(t.Field(i).Type).Kind(); k == reflect.String || k == reflect.Map || k == reflect.Bool {
			continue
		}
		out = append(out, n)
	}
	return out
}

func isNumber(k reflect.Kind) bool {
	switch k {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

// CheckPath validates a path against the Variant type without any data.
func CheckPath(segs []string, offs []int) error {
	t := variantType
	for i := 0; i < len(segs); i++ {
		seg := segs[i]
		switch t.Kind() {
		case reflect.Struct:
			if i == 0 && notFigures[seg] != "" {
				return &PathError{offs[i], fmt.Sprintf("%q cannot be gated: %s", seg, notFigures[seg])}
			}
			f, ok := fieldByJSON(t, seg)
			if !ok {
				return &PathError{offs[i], fmt.Sprintf("unknown field %q in %s (known: %s)",
					seg, prefix(segs, i), strings.Join(fieldNames(t, i == 0), ", "))}
			}
			t = deref(f.Type)
		case reflect.Slice:
			if t.Elem() == reflect.TypeOf(Group{}) {
				// any name: existence is checked against the data
			} else if _, err := strconv.Atoi(seg); err != nil {
				return &PathError{offs[i], fmt.Sprintf("%s is a list: expected a number after it, got %q", prefix(segs, i), seg)}
			}
			t = deref(t.Elem())
		default:
			return &PathError{offs[i], fmt.Sprintf("%s is a number; nothing below it (%q)", prefix(segs, i), seg)}
		}
	}
	switch {
	case isNumber(t.Kind()):
		return nil
	case t.Kind() == reflect.Struct:
		return &PathError{offs[len(offs)-1], fmt.Sprintf("%s is not a number; choose one of: %s",
			strings.Join(segs, "."), strings.Join(fieldNames(t, false), ", "))}
	case t.Kind() == reflect.Slice:
		return &PathError{offs[len(offs)-1], fmt.Sprintf("%s is a list; add an element", strings.Join(segs, "."))}
	default:
		return &PathError{offs[len(offs)-1], fmt.Sprintf("%s is not a number", strings.Join(segs, "."))}
	}
}

func prefix(segs []string, i int) string {
	if i == 0 {
		return "the variant"
	}
	return strings.Join(segs[:i], ".")
}

// deref is t without pointers: a pointer field is a figure that may not
// have been measured (nil), addressed like the value it points to.
func deref(t reflect.Type) reflect.Type {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if f.IsExported() && jsonName(f) == name {
			if k := deref(f.Type).Kind(); k == reflect.String || k == reflect.Map || k == reflect.Bool {
				return f, false
			}
			return f, true
		}
	}
	return reflect.StructField{}, false
}

// ErrNoData-style failures: LookupSegs returns an error whenever the figure was
// not measured, so a gate on it fails instead of passing on a zero.

// NotMeasuredError is a figure that nothing measured: a gate on it fails
// and a comparison reports it, never as a number.
type NotMeasuredError struct {
	Path   string
	Reason string
}

func (e *NotMeasuredError) Error() string {
	if e.Reason == "" {
		return e.Path + ": not measured"
	}
	return e.Path + ": not measured: " + e.Reason
}

// LookupSegs resolves an already validated path against a variant.
func LookupSegs(v *Variant, segs []string) (float64, error) {
	full := strings.Join(segs, ".")
	if err := noData(v, segs); err != nil {
		return 0, &NotMeasuredError{full, err.Error()}
	}
	cur := reflect.ValueOf(v).Elem()
	for i, seg := range segs {
		if cur.Kind() == reflect.Pointer {
			if cur.IsNil() {
				return 0, &NotMeasuredError{full, notMeasuredWhy(segs[:i])}
			}
			cur = cur.Elem()
		}
		switch cur.Kind() {
		case reflect.Struct:
			f, ok := fieldByJSON(cur.Type(), seg)
			if !ok {
				return 0, fmt.Errorf("%s: unknown field %q", full, seg)
			}
			// A latency summary with no samples has no percentiles.
			if cur.Type() == reflect.TypeOf(Latency{}) && seg != "count" && cur.FieldByName("Count").Int() == 0 {
				return 0, &NotMeasuredError{full, prefix(segs, i) + " has no samples"}
			}
			cur = cur.FieldByIndex(f.Index)
		case reflect.Slice:
			el, err := sliceElem(cur, seg, segs, i)
			if err != nil {
				return 0, &NotMeasuredError{full, err.Error()}
			}
			cur = el
		default:
			return 0, fmt.Errorf("%s: not a number", full)
		}
	}
	if cur.Kind() == reflect.Pointer {
		if cur.IsNil() {
			return 0, &NotMeasuredError{full, notMeasuredWhy(segs)}
		}
		cur = cur.Elem()
	}
	var x float64
	switch {
	case cur.CanInt():
		x = float64(cur.Int())
	case cur.CanUint():
		x = float64(cur.Uint())
	case cur.CanFloat():
		x = cur.Float()
	default:
		return 0, fmt.Errorf("%s: not a number", full)
	}
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, &NotMeasuredError{full, fmt.Sprintf("value is %v", x)}
	}
	return x, nil
}

func sliceElem(s reflect.Value, seg string, segs []string, i int) (reflect.Value, error) {
	switch s.Type().Elem() {
	case reflect.TypeOf(Group{}):
		var names []string
		for j := 0; j < s.Len(); j++ {
			g := s.Index(j).Addr().Interface().(*Group)
			if g.Group == seg {
				return s.Index(j), nil
			}
			names = append(names, g.Group)
		}
		if len(names) == 0 {
			return reflect.Value{}, fmt.Errorf("no consumer group %q (the variant has no consumer groups)", seg)
		}
		return reflect.Value{}, fmt.Errorf("no consumer group %q (groups: %s)", seg, strings.Join(names, ", "))
	case reflect.TypeOf(Partition{}):
		n, _ := strconv.Atoi(seg)
		for j := 0; j < s.Len(); j++ {
			if s.Index(j).Addr().Interface().(*Partition).Partition == n {
				return s.Index(j), nil
			}
		}
		return reflect.Value{}, fmt.Errorf("no partition %d (%d partitions)", n, s.Len())
	}
	n, err := strconv.Atoi(seg)
	if err != nil || n < 0 || n >= s.Len() {
		return reflect.Value{}, fmt.Errorf("%s has no element %s (length %d)", prefix(segs, i), seg, s.Len())
	}
	return s.Index(n), nil
}

// notMeasuredWhy says why a figure is null, for the figures that can be.
func notMeasuredWhy(segs []string) string {
	switch last := segs[len(segs)-1]; last {
	case "drain_ms":
		return "the group did not drain within the drain timeout (or the drain never ran)"
	case "msgs_per_s":
		return "the group consumed fewer than two messages in the measured phase, or this is a merged sharded result"
	case "failover_ms":
		return "no consumer fault hit the group, or its failover never completed"
	case "lost", "unconsumed":
		return "the run was cut short before its drain, or this is one shard of a sharded run"
	case "broker_messages":
		return "the broker's offsets could not be read"
	case "delivery":
		return "no consumer group verified delivery"
	case "remap_share":
		return "topic.repartition is not set"
	case "drained":
		return "the run was cut short before its drain"
	}
	return ""
}

// noData reports figures that are zero only because nothing measured them.
func noData(v *Variant, segs []string) error {
	switch segs[0] {
	case "skew", "bytes_skew":
		var total int64
		for _, p := range v.Partitions {
			total += p.Messages
		}
		if len(v.Partitions) == 0 || total == 0 {
			return fmt.Errorf("no partition load was recorded")
		}
	case "delivery":
		if len(v.Consume.Groups) == 0 {
			return fmt.Errorf("no consumer group verified delivery")
		}
	case "keys":
		if len(segs) > 1 && segs[1] != "distinct" && v.Keys.Distinct == 0 {
			return fmt.Errorf("no keys were recorded")
		}
	case "produce":
		if len(segs) > 1 && segs[1] == "throughput" && segs[len(segs)-1] != "target_msgs_per_s" && v.DurationS <= 0 {
			return fmt.Errorf("the measured phase has no duration")
		}
	}
	return nil
}

// Lookup returns the figure at a dotted path of v (see the path rules
// above). Unknown paths and figures that were not measured are errors.
func Lookup(v *Variant, path string) (float64, error) {
	segs, offs, err := SplitPath(path)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	if err := CheckPath(segs, offs); err != nil {
		return 0, fmt.Errorf("%s: %w", path, err)
	}
	return LookupSegs(v, segs)
}

// ValidatePath checks a dotted path against the result model.
func ValidatePath(path string) error {
	segs, offs, err := SplitPath(path)
	if err == nil {
		err = CheckPath(segs, offs)
	}
	return err
}

// GroupNames returns the union of group names of variants, in order of
// first appearance.
func GroupNames(vs ...*Variant) []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range vs {
		if v == nil {
			continue
		}
		for _, g := range v.Consume.Groups {
			if !seen[g.Group] {
				seen[g.Group] = true
				out = append(out, g.Group)
			}
		}
	}
	return out
}

// QuoteSeg quotes a path segment when it contains a dot.
func QuoteSeg(s string) string {
	if strings.Contains(s, ".") {
		return `"` + s + `"`
	}
	return s
}
