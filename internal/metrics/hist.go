package metrics

import (
	"math"
	"sort"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"google.golang.org/protobuf/proto"

	"github.com/kbench/kbench/report/recorder"
)

// classicBuckets are the upper bounds (seconds) of the classic histogram
// buckets every latency family carries, from 100 µs to a minute.
var classicBuckets = []float64{
	0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
	0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
}

// nativeSchema 3: 8 buckets per power of two (each ~9% wide), what
// client_golang picks for a NativeHistogramBucketFactor of 1.1.
const nativeSchema = 3

// latency is a cumulative latency histogram kept as what Prometheus
// exposes: classic bucket counts and native (exponential) bucket counts.
// Fixed size in practice: the native buckets between 1 µs and an hour are
// fewer than 300.
type latency struct {
	count   uint64
	sum     float64       // seconds
	classic []uint64      // per classic bucket, not cumulative
	native  map[int]int64 // schema-3 bucket index -> count
	created time.Time
}

func newLatency() *latency {
	return &latency{classic: make([]uint64, len(classicBuckets)), native: map[int]int64{}, created: time.Now()}
}

// add folds one interval's histogram in. Each HdrHistogram bar (0.1%
// wide) counts at its middle value, finer than any bucket here.
func (l *latency) add(h *recorder.Histogram) {
	if h == nil || h.Count() == 0 {
		return
	}
	for _, b := range h.Raw().Distribution() {
		if b.Count == 0 {
			continue
		}
		v := float64(b.From+b.To) / 2 / 1e6 // µs -> s
		n := uint64(b.Count)
		l.count += n
		l.sum += v * float64(n)
		if i := sort.SearchFloat64s(classicBuckets, v); i < len(classicBuckets) {
			l.classic[i] += n
		}
		l.native[nativeIndex(v)] += int64(n)
	}
}

// nativeIndex is the schema-3 bucket of v > 0: the i with
// 2^((i-1)/8) < v <= 2^(i/8).
func nativeIndex(v float64) int {
	return int(math.Ceil(math.Log2(v) * (1 << nativeSchema)))
}

// metric is the histogram as one Prometheus metric carrying both the
// native buckets (for scrapers that negotiate protobuf) and the classic
// ones (for the text formats).
func (l *latency) metric(desc *prometheus.Desc, labels ...string) (prometheus.Metric, error) {
	native, err := prometheus.NewConstNativeHistogram(desc, l.count, l.sum, l.native, nil, 0,
		nativeSchema, prometheus.DefNativeHistogramZeroThreshold, l.created, labels...)
	if err != nil {
		return nil, err
	}
	buckets := make([]*dto.Bucket, len(classicBuckets))
	var cum uint64
	for i, ub := range classicBuckets {
		cum += l.classic[i]
		buckets[i] = &dto.Bucket{UpperBound: proto.Float64(ub), CumulativeCount: proto.Uint64(cum)}
	}
	return dualHistogram{Metric: native, buckets: buckets}, nil
}

// dualHistogram adds classic buckets to a constant native histogram.
type dualHistogram struct {
	prometheus.Metric
	buckets []*dto.Bucket
}

func (d dualHistogram) Write(m *dto.Metric) error {
	if err := d.Metric.Write(m); err != nil {
		return err
	}
	m.Histogram.Bucket = d.buckets
	return nil
}
