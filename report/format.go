package report

import (
	"math"
	"strconv"
	"strings"
)

// formatFigure formats a figure value for tables.
func formatFigure(x float64, format string) string {
	switch format {
	case "int":
		return groupThousands(strconv.FormatFloat(math.Round(x), 'f', 0, 64))
	case "f1":
		return groupThousands(strconv.FormatFloat(x, 'f', 1, 64))
	case "f2":
		return groupThousands(strconv.FormatFloat(x, 'f', 2, 64))
	case "f3":
		return strconv.FormatFloat(x, 'f', 3, 64)
	case "pct":
		return strconv.FormatFloat(x*100, 'f', 1, 64) + "%"
	case "ms":
		return formatMs(x)
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

// formatOptMs is formatMs of a figure that may not have been measured.
func formatOptMs(x *float64) string {
	if x == nil {
		return "-"
	}
	return formatMs(*x)
}

// formatMs keeps about four significant digits.
func formatMs(x float64) string {
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
	return groupThousands(strconv.FormatFloat(x, 'f', 0, 64))
}

func groupThousands(s string) string {
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

func sideValue(x float64, ok bool, format string) string {
	if !ok {
		return "-"
	}
	return formatFigure(x, format)
}

// sideSpread is a side's value with the spread of its runs: "8.140 ±0.6",
// the larger distance from the median to a bound of its confidence
// interval, to two significant digits at most and no finer than the
// figure's own format; nothing when that rounds to zero.
func sideSpread(x float64, ok bool, ci *CI, format string) string {
	s := sideValue(x, ok, format)
	if !ok || ci == nil {
		return s
	}
	if sp := fmtSpread(math.Max(ci.Hi-x, x-ci.Lo), format); sp != "" {
		s += " ±" + sp
	}
	return s
}

// fmtSpread formats a spread, "" when it rounds to zero.
func fmtSpread(x float64, format string) string {
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
		s = groupThousands(s)
	}
	if format == "pct" {
		s += "%"
	}
	return s
}
