// Package verdict decides whether a result passed: gate expressions
// (grammar on Gate) evaluated on its figures, a comparison against a
// baseline (significance over repeated runs, tolerances, noise floors), and
// Decide, the one function run, merge and report call. A figure that was
// not measured fails any gate on it.
package verdict

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/kbench/kbench/report"
)

// Gate is one parsed gate expression, checked against every variant at the
// end of a run.
//
// Grammar (whitespace between tokens is optional):
//
//	gate    = path op number
//	path    = segment { "." segment }
//	segment = 1*( letter | digit | "_" | "-" | ":" )   ; a JSON field name, group name or index
//	        | '"' 1*( any char but '"' ) '"'            ; a quoted group name that contains dots
//	op      = "<" | "<=" | ">" | ">=" | "==" | "!="
//	number  = [ "-" | "+" ] digits [ "." digits ] [ ( "e" | "E" ) [ "-" | "+" ] digits ]
//
// The path is a dotted path into the variant's result JSON (SPEC §6), e.g.
// produce.latency_ms.p99, produce.throughput.msgs_per_s, skew.max_mean,
// delivery.lost, e2e.latency_ms.p999, consume.groups.GROUP.lag.max,
// partitions.3.messages. It is checked against the Result model when the
// expression is parsed, so a typo is a configuration error before any load
// is sent. Units are those of the JSON field (milliseconds for *_ms).
//
// A figure that was not measured (a latency summary with no samples, a
// group that does not exist, delivery without any consumer group, a lag
// that never drained) makes the gate fail with an error, never pass.
type Gate struct {
	// Expr is the expression as written.
	Expr string
	// Path is the canonical dotted path.
	Path string
	Op   string
	// Threshold is the number on the right-hand side.
	Threshold float64

	segs []string
}

// GateError is a malformed gate expression. Offset is the 0-based byte
// offset in Expr where the problem is, so callers that know where the
// expression sits in a file can report file:line:col (col + Offset).
type GateError struct {
	Expr   string
	Offset int
	Msg    string
}

func (e *GateError) Error() string {
	return fmt.Sprintf("gate %q: column %d: %s", e.Expr, e.Offset+1, e.Msg)
}

var ops = []string{"<=", ">=", "==", "!=", "<", ">"}

func isPathByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' ||
		c == '_' || c == '-' || c == ':' || c == '.'
}

// ParseGate parses and validates one gate expression (grammar on Gate).
func ParseGate(expr string) (Gate, error) {
	fail := func(off int, format string, args ...any) (Gate, error) {
		return Gate{}, &GateError{Expr: expr, Offset: off, Msg: fmt.Sprintf(format, args...)}
	}
	i := 0
	skip := func() {
		for i < len(expr) && (expr[i] == ' ' || expr[i] == '\t') {
			i++
		}
	}
	skip()
	pathStart := i
	for i < len(expr) {
		if expr[i] == '"' {
			j := strings.IndexByte(expr[i+1:], '"')
			if j < 0 {
				return fail(i, "unterminated quote")
			}
			i += j + 2
			continue
		}
		if !isPathByte(expr[i]) {
			break
		}
		i++
	}
	path := expr[pathStart:i]
	if path == "" {
		if i >= len(expr) {
			return fail(i, "empty expression: want PATH OP NUMBER, e.g. produce.latency_ms.p99 < 50")
		}
		return fail(i, "expected a path such as produce.latency_ms.p99, got %q", expr[i:i+1])
	}
	segs, offs, err := report.SplitPath(path)
	if err != nil {
		var pe *report.PathError
		errors.As(err, &pe)
		return fail(pathStart+pe.Offset, "%s", pe.Msg)
	}
	if err := report.CheckPath(segs, offs); err != nil {
		var pe *report.PathError
		errors.As(err, &pe)
		return fail(pathStart+pe.Offset, "%s", pe.Msg)
	}
	skip()
	opStart := i
	op := ""
	for _, o := range ops {
		if strings.HasPrefix(expr[i:], o) {
			op = o
			break
		}
	}
	if op == "" {
		if i >= len(expr) {
			return fail(i, "missing operator: want one of < <= > >= == != after the path")
		}
		if expr[i] == '=' {
			return fail(i, "unknown operator %q: use == for equality", "=")
		}
		return fail(i, "expected an operator (< <= > >= == !=), got %q", expr[i:])
	}
	i += len(op)
	if i < len(expr) && strings.ContainsRune("<>=!", rune(expr[i])) {
		return fail(opStart, "unknown operator %q", strings.TrimRight(expr[opStart:], " 0123456789.-+eE\t"))
	}
	skip()
	numStart := i
	for i < len(expr) && expr[i] != ' ' && expr[i] != '\t' {
		i++
	}
	num := expr[numStart:i]
	if num == "" {
		return fail(numStart, "missing number after %q", op)
	}
	if !isPlainNumber(num) {
		return fail(numStart, "%q is not a number (units are those of the JSON field, e.g. milliseconds for *_ms)", num)
	}
	x, err := strconv.ParseFloat(num, 64)
	if err != nil || math.IsInf(x, 0) {
		return fail(numStart, "%q is not a finite number", num)
	}
	skip()
	if i < len(expr) {
		return fail(i, "unexpected %q after the number", expr[i:])
	}
	canon := make([]string, len(segs))
	for k, s := range segs {
		canon[k] = report.QuoteSeg(s)
	}
	return Gate{Expr: strings.TrimSpace(expr), Path: strings.Join(canon, "."), Op: op, Threshold: x, segs: segs}, nil
}

// isPlainNumber accepts the grammar's number only (no hex, Inf, NaN or
// underscores, which strconv would take).
func isPlainNumber(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		n := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if digits() == 0 {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if digits() == 0 {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// ParseGates parses every expression and returns all errors together.
func ParseGates(exprs []string) ([]Gate, error) {
	var gates []Gate
	var errs []error
	for _, e := range exprs {
		g, err := ParseGate(e)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		gates = append(gates, g)
	}
	return gates, errors.Join(errs...)
}

// Compare applies the operator.
func (g Gate) holds(x float64) bool {
	switch g.Op {
	case "<":
		return x < g.Threshold
	case "<=":
		return x <= g.Threshold
	case ">":
		return x > g.Threshold
	case ">=":
		return x >= g.Threshold
	case "==":
		return x == g.Threshold
	case "!=":
		return x != g.Threshold
	}
	return false
}

// Eval checks the gate against one variant. A figure that was not measured
// fails with Error set.
func (g Gate) Eval(v *report.Variant) report.GateResult {
	res := report.GateResult{Expr: g.Expr}
	if v == nil {
		res.Error = "no variant"
		return res
	}
	segs := g.segs
	if segs == nil { // a Gate built by hand
		var err error
		if segs, _, err = report.SplitPath(g.Path); err != nil {
			res.Error = err.Error()
			return res
		}
	}
	x, err := report.LookupSegs(v, segs)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	res.Value = x
	res.Pass = g.holds(x)
	return res
}

// FailedGates counts the gates that did not pass over all variants.
func FailedGates(r *report.Result) int {
	n := 0
	for _, v := range r.Variants {
		for _, g := range v.Gates {
			if !g.Pass {
				n++
			}
		}
	}
	return n
}

// Group returns the consumer group a gate names (consume.groups.NAME...),
// so callers can check it against the experiment before any load.
func (g Gate) Group() (string, bool) {
	if len(g.segs) >= 3 && g.segs[0] == "consume" && g.segs[1] == "groups" {
		return g.segs[2], true
	}
	return "", false
}
