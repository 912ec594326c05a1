package recorder

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
)

// HGRM export: HdrHistogram's percentile-distribution text format (what
// Java's Histogram.outputPercentileDistribution prints and the HdrHistogram
// plotter and hdr-plot read):
//
//	       Value     Percentile TotalCount 1/(1-Percentile)
//
//	       0.153 0.000000000000          1           1.00
//	       ...
//	      12.335 1.000000000000      20000
//	#[Mean    =        2.309, StdDeviation   =        0.987]
//	#[Max     =       12.335, Total count    =        20000]
//	#[Buckets =           22, SubBuckets     =         2048]
//
// Values are divided by scale: kbench records microseconds, so scale 1000
// writes milliseconds (HGRMScaleMs).

// HGRMScaleMs writes kbench histograms in milliseconds.
const HGRMScaleMs = 1000

// hgrmTicks is the number of reporting points per halving of the remaining
// distance to 100%, as HdrHistogram's default output uses.
const hgrmTicks = 5

// WriteHGRM writes h's percentile distribution with values divided by scale.
func WriteHGRM(w io.Writer, h *Histogram, scale float64) error {
	if scale <= 0 {
		return fmt.Errorf("hgrm: scale must be positive")
	}
	raw := h.Raw()
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount", "1/(1-Percentile)")
	vf := fmt.Sprintf("%%12.%df", histDigits)
	if total := raw.TotalCount(); total > 0 {
		for _, pt := range Spectrum(h) {
			fmt.Fprintf(bw, vf+" %2.12f %10d %14.2f\n", float64(pt.Us)/scale, pt.P/100, pt.Count, 100/(100-pt.P))
		}
		fmt.Fprintf(bw, vf+" %2.12f %10d\n", float64(raw.Max())/scale, 1.0, total)
	}
	mean, sd, maxV := 0.0, 0.0, 0.0
	if raw.TotalCount() > 0 {
		mean, sd, maxV = raw.Mean()/scale, raw.StdDev()/scale, float64(raw.Max())/scale
	}
	fmt.Fprintf(bw, "#[Mean    = "+vf+", StdDeviation   = "+vf+"]\n", mean, sd)
	fmt.Fprintf(bw, "#[Max     = "+vf+", Total count    = %12d]\n", maxV, raw.TotalCount())
	buckets, sub := hgrmBuckets()
	fmt.Fprintf(bw, "#[Buckets = %12d, SubBuckets     = %12d]\n", buckets, sub)
	return bw.Flush()
}

type SpectrumPoint struct {
	P     float64 // percentile, 0..100 (below 100)
	Us    int64   // value at P
	Count int64   // values recorded at or below Us
}

// Spectrum samples the percentile distribution as HdrHistogram iterates
// it: hgrmTicks steps per halving of the distance to 100%, until the value
// reached is the maximum (the 100% point is not included).
func Spectrum(h *Histogram) []SpectrumPoint {
	raw := h.Raw()
	total := raw.TotalCount()
	if total == 0 {
		return nil
	}
	bars := raw.Distribution()
	cum := func(v int64) int64 { // values recorded at or below v
		var n int64
		for _, b := range bars {
			if b.To <= v {
				n += b.Count
			}
		}
		return n
	}
	var out []SpectrumPoint
	for p := 0.0; p < 100; {
		v := raw.ValueAtQuantile(p)
		c := cum(v)
		if c >= total {
			break
		}
		out = append(out, SpectrumPoint{P: p, Us: v, Count: c})
		ticks := float64(hgrmTicks) * math.Pow(2, math.Floor(math.Log2(100/(100-p)))+1)
		p += 100 / ticks
	}
	return out
}

// hgrmBuckets computes the bucket layout of kbench's histogram range, as
// HdrHistogram reports it.
func hgrmBuckets() (buckets, subBuckets int) {
	largest := 2 * math.Pow(10, histDigits)
	subBuckets = 1 << int(math.Ceil(math.Log2(largest)))
	smallestUntrackable := int64(subBuckets) * histLowestUs
	buckets = 1
	for smallestUntrackable <= histHighestUs {
		if smallestUntrackable > math.MaxInt64/2 {
			buckets++
			break
		}
		smallestUntrackable <<= 1
		buckets++
	}
	return buckets, subBuckets
}

// HGRMRow is one line of the distribution.
type HGRMRow struct {
	Value      float64
	Percentile float64 // 0..1
	TotalCount int64
}

// HGRM is a parsed percentile distribution.
type HGRM struct {
	Rows       []HGRMRow
	Mean       float64
	StdDev     float64
	Max        float64
	TotalCount int64
}

// ValueAtPercentile returns the first value whose percentile (0..100)
// reaches p, as the distribution's reader would plot it.
func (d HGRM) ValueAtPercentile(p float64) float64 {
	for _, r := range d.Rows {
		if r.Percentile*100 >= p {
			return r.Value
		}
	}
	if len(d.Rows) > 0 {
		return d.Rows[len(d.Rows)-1].Value
	}
	return 0
}

// ParseHGRM reads WriteHGRM's output (or any HdrHistogram .hgrm file).
func ParseHGRM(r io.Reader) (HGRM, error) {
	var d HGRM
	sc := bufio.NewScanner(r)
	line := 0
	footer := map[string]string{}
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "Value") {
			continue
		}
		if strings.HasPrefix(s, "#[") {
			body := strings.TrimSuffix(strings.TrimPrefix(s, "#["), "]")
			for _, kv := range strings.Split(body, ",") {
				k, v, ok := strings.Cut(kv, "=")
				if ok {
					footer[strings.TrimSpace(k)] = strings.TrimSpace(v)
				}
			}
			continue
		}
		f := strings.Fields(s)
		if len(f) < 3 {
			return d, fmt.Errorf("hgrm line %d: want Value Percentile TotalCount [1/(1-Percentile)], got %q", line, s)
		}
		v, err1 := strconv.ParseFloat(f[0], 64)
		p, err2 := strconv.ParseFloat(f[1], 64)
		n, err3 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil || err3 != nil {
			return d, fmt.Errorf("hgrm line %d: malformed row %q", line, s)
		}
		d.Rows = append(d.Rows, HGRMRow{Value: v, Percentile: p, TotalCount: n})
	}
	if err := sc.Err(); err != nil {
		return d, err
	}
	num := func(k string) float64 {
		x, _ := strconv.ParseFloat(footer[k], 64)
		return x
	}
	d.Mean, d.StdDev, d.Max = num("Mean"), num("StdDeviation"), num("Max")
	d.TotalCount = int64(num("Total count"))
	if _, ok := footer["Total count"]; !ok {
		return d, fmt.Errorf("hgrm: missing footer (#[Max = ..., Total count = ...])")
	}
	return d, nil
}
