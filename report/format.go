package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FormatFigure formats a figure value for tables.
func FormatFigure(x float64, format string) string {
	switch format {
	case "int":
		return GroupThousands(strconv.FormatFloat(math.Round(x), 'f', 0, 64))
	case "f1":
		return GroupThousands(strconv.FormatFloat(x, 'f', 1, 64))
	case "f2":
		return GroupThousands(strconv.FormatFloat(x, 'f', 2, 64))
	case "f3":
		return strconv.FormatFloat(x, 'f', 3, 64)
	case "pct":
		return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	case "ms":
		return FormatMs(x)
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

// FormatOptMs is FormatMs of a figure that may not have been measured.
func FormatOptMs(x *float64) string {
	if x == nil {
		return "-"
	}
	return FormatMs(*x)
}

// FormatMs keeps about four significant digits.
func FormatMs(x float64) string {
	a := math.Abs(x)
	switch {
	case a == 0:
		return "0"
	case a < 10:
		return strconv.FormatFloat(x, 'f', 3, 64)
	case a < 100:
		return strconv.FormatFloat(x, 'f', 2, 64)
	case a < 1000:
		return strconv.FormatFloat(x, 'f', 1, 64)
	}
	return GroupThousands(strconv.FormatFloat(x, 'f', 0, 64))
}

func GroupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

func SideValue(x float64, ok bool, format string) string {
	if !ok {
		return "-"
	}
	return FormatFigure(x, format)
}

// SideSpread is a side's value with the spread of its runs: "8.140 ±0.6",
// the larger distance from the median to a bound of its confidence
// interval, to two significant digits at most and no finer than the
// figure's own format; nothing when that rounds to zero.
func SideSpread(x float64, ok bool, ci *CI, format string) string {
	s := SideValue(x, ok, format)
	if !ok || ci == nil {
		return s
	}
	if sp := FormatSpread(math.Max(ci.Hi-x, x-ci.Lo), format); sp != "" {
		s += " ±" + sp
	}
	return s
}

// FormatSpread formats a spread, "" when it rounds to zero.
func FormatSpread(x float64, format string) string {
	if format == "pct" {
		x *= 100
	}
	maxDec := map[string]int{"int": 0, "f1": 1, "f2": 2, "f3": 3, "pct": 1, "ms": 3}[format]
	if format == "" {
		maxDec = 3
	}
	dec := 0
	if x > 0 {
		dec = max(0, 1-int(math.Floor(math.Log10(x))))
	}
	dec = min(dec, maxDec)
	if math.Round(x*math.Pow10(dec)) == 0 {
		return ""
	}
	s := strconv.FormatFloat(x, 'f', dec, 64)
	if format == "int" {
		s = GroupThousands(s)
	}
	if format == "pct" {
		s += "%"
	}
	return s
}

// FormatValue is a gate value as shown: up to four decimals, no trailing zeros.
func FormatValue(x float64) string {
	return strings.TrimRight(strings.TrimRight(fmt.Sprintf("%.4f", x), "0"), ".")
}
