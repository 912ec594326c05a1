// Package recorder holds what the runner records figures into on its hot
// path: fixed-size HDR latency histograms (1 µs .. 1 h, 3 significant
// digits), their compact encoding in result files, and their export as
// HdrHistogram .hgrm percentile distributions. It has no plotting or
// rendering dependency.
package recorder

import (
	"encoding/base64"
	"fmt"
	"time"

	hdr "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/kbench/kbench/report"
)

// Histogram range and precision for every latency kbench records: 1 µs to
// 1 h at 3 significant digits. Fixed size (about 200 KiB of counts)
// however long the run, so memory does not grow with time.
const (
	histLowestUs  = 1
	histHighestUs = int64(time.Hour / time.Microsecond)
	histDigits    = 3
)

// Histogram records durations in microseconds. It is not safe for concurrent
// use: give every goroutine its own and Merge them at the end (merging is
// lossless).
type Histogram struct {
	h *hdr.Histogram
}

// NewHistogram returns an empty latency histogram.
func NewHistogram() *Histogram {
	return &Histogram{h: hdr.New(histLowestUs, histHighestUs, histDigits)}
}

// Record adds one duration. Values outside the range are clamped, never
// dropped, so the count always equals the number of events.
func (h *Histogram) Record(d time.Duration) {
	_ = h.h.RecordValue(clampUs(d)) // cannot fail: the value is in range
}

// RecordN adds n events of one duration.
func (h *Histogram) RecordN(d time.Duration, n int64) {
	_ = h.h.RecordValues(clampUs(d), n) // cannot fail: the value is in range
}

// clampUs is d in microseconds within the histogram's range.
func clampUs(d time.Duration) int64 {
	return min(max(int64(d/time.Microsecond), histLowestUs), histHighestUs)
}

// Merge adds every value of o.
func (h *Histogram) Merge(o *Histogram) {
	if o != nil {
		h.h.Merge(o.h)
	}
}

// Count of recorded values.
func (h *Histogram) Count() int64 { return h.h.TotalCount() }

// Reset empties the histogram (used when warmup ends).
func (h *Histogram) Reset() { h.h.Reset() }

// Quantile returns the value at q in [0,100] as a duration.
func (h *Histogram) Quantile(q float64) time.Duration {
	return time.Duration(h.h.ValueAtQuantile(q)) * time.Microsecond
}

// Raw exposes the underlying HdrHistogram for renderers (percentile
// Spectrum, .hgrm export).
func (h *Histogram) Raw() *hdr.Histogram { return h.h }

// Summary returns the percentiles in milliseconds.
func (h *Histogram) Summary() report.Latency {
	if h.h.TotalCount() == 0 {
		return report.Latency{}
	}
	ms := func(us int64) float64 { return float64(us) / 1000 }
	return report.Latency{
		Count: h.h.TotalCount(),
		P50:   ms(h.h.ValueAtQuantile(50)),
		P90:   ms(h.h.ValueAtQuantile(90)),
		P99:   ms(h.h.ValueAtQuantile(99)),
		P999:  ms(h.h.ValueAtQuantile(99.9)),
		Max:   ms(h.h.Max()),
		Mean:  h.h.Mean() / 1000,
	}
}

// Encode returns the HdrHistogram V2 compressed encoding, base64: the format
// every HdrHistogram implementation reads.
func (h *Histogram) Encode() (string, error) {
	b, err := h.h.Encode(hdr.V2CompressedEncodingCookieBase)
	if err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(b), nil
}

// DecodeHistogram parses Encode's output.
func DecodeHistogram(s string) (*Histogram, error) {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	h, err := hdr.Decode(b)
	if err != nil {
		return nil, fmt.Errorf("histogram: %w", err)
	}
	return &Histogram{h: h}, nil
}

// Histogram names in Variant.Histograms.
const (
	HistProduce          = "produce"
	HistProduceCorrected = "produce_corrected"
	HistSendDelay        = "send_delay"
	HistE2E              = "e2e"
)

// HistE2EGroup names a group's e2e histogram.
func HistE2EGroup(group string) string { return HistE2E + ":" + group }
