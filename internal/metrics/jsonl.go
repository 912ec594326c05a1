package metrics

import (
	"encoding/json"
	"io"
	"sync"
	"time"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/runner"
)

// JSONLines writes one JSON object per snapshot (about one a second per
// variant, and one when it ends) for CI logs and scripts. It implements
// runner.Observer.
type JSONLines struct {
	mu  sync.Mutex
	enc *json.Encoder
	err error
}

// NewJSONLines writes to w.
func NewJSONLines(w io.Writer) *JSONLines { return &JSONLines{enc: json.NewEncoder(w)} }

// Err is the first write error, if any (later events are dropped).
func (j *JSONLines) Err() error {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.err
}

// Event is one line of the stream. t, sent, acked, consumed, lag and
// p99_ms mean what they mean in result.json's timeseries; a figure not
// measured (yet) is null.
type Event struct {
	Time    time.Time `json:"time"`
	Variant string    `json:"variant"`
	Phase   string    `json:"phase"`
	T       float64   `json:"t"`       // seconds since the variant's pacing origin
	TotalS  float64   `json:"total_s"` // warmup + duration
	Sent    int64     `json:"sent"`
	Acked   int64     `json:"acked"`
	Errors  int64     `json:"errors"`
	// Consumed: processed for the first time by the slowest group; null
	// without groups.
	Consumed *int64 `json:"consumed"`
	// Lag: the largest group's total lag; null before the first reading.
	Lag *int64   `json:"lag"`
	P99 *float64 `json:"p99_ms"` // this interval's acknowledgements; null without any
	// Rate: acknowledged per second over the interval; null in the final
	// event.
	Rate *float64 `json:"rate"`
	// Latency of this interval (produce, corrected), ms; absent in the
	// final event.
	Produce   *report.Latency `json:"produce_latency_ms,omitempty"`
	Corrected *report.Latency `json:"produce_corrected_latency_ms,omitempty"`
	Producers []ProducerEvent `json:"producers"`
	Groups    []GroupEvent    `json:"groups"`
	// Unsent: the final event only.
	Unsent *int64 `json:"unsent,omitempty"`
}

// ProducerEvent is one producer's counters.
type ProducerEvent struct {
	Producer int   `json:"producer"`
	Sent     int64 `json:"sent"`
	Acked    int64 `json:"acked"`
	Errors   int64 `json:"errors"`
	Bytes    int64 `json:"bytes"` // measured phase
}

// GroupEvent is one group's figures.
type GroupEvent struct {
	Group      string `json:"group"`
	Processed  int64  `json:"processed"`
	Duplicated int64  `json:"duplicated"`
	Rebalances int64  `json:"rebalances"`
	// RebalancePauseMs: rebalance_pause_ms so far; absent when not
	// measured.
	RebalancePauseMs *float64        `json:"rebalance_pause_ms,omitempty"`
	Pending          int64           `json:"pending"`
	Lag              *int64          `json:"lag"`
	PartLag          []int64         `json:"partition_lag"`
	E2E              *report.Latency `json:"e2e_latency_ms,omitempty"`
	// Lost and Unconsumed: the final event only, null when not measured.
	Lost       *int64 `json:"lost,omitempty"`
	Unconsumed *int64 `json:"unconsumed,omitempty"`
}

// Observe implements runner.Observer.
func (j *JSONLines) Observe(s *runner.Snapshot) {
	ev := event(s)
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.err == nil {
		j.err = j.enc.Encode(ev)
	}
}

func event(s *runner.Snapshot) Event {
	ev := Event{
		Time: clock.Time(s.At).UTC(), Variant: s.Variant, Phase: string(s.Phase),
		T: round3(s.Elapsed.Seconds()), TotalS: s.Total.Seconds(),
		Producers: []ProducerEvent{}, Groups: []GroupEvent{},
	}
	if s.Phase != runner.PhaseDone {
		ev.Rate = report.Float(s.Rate)
	}
	for _, p := range s.Producers {
		ev.Sent += p.Sent
		ev.Acked += p.Acked
		ev.Errors += p.Errors
		ev.Producers = append(ev.Producers, ProducerEvent{Producer: p.Index, Sent: p.Sent, Acked: p.Acked, Errors: p.Errors, Bytes: p.Bytes})
	}
	if s.Produce != nil && s.Produce.Count() > 0 {
		l := s.Produce.Summary()
		ev.Produce, ev.P99 = &l, report.Float(l.P99)
	}
	if s.Corrected != nil && s.Corrected.Count() > 0 {
		l := s.Corrected.Summary()
		ev.Corrected = &l
	}
	for _, g := range s.Groups {
		ge := GroupEvent{Group: g.Group, Processed: g.Processed, Duplicated: g.Duplicated,
			Rebalances: g.Rebalances, RebalancePauseMs: g.RebalancePauseMs, Pending: g.Pending, PartLag: g.Lag}
		if g.Lag != nil {
			var sum int64
			for _, l := range g.Lag {
				sum += l
			}
			ge.Lag = report.Int(sum)
			if ev.Lag == nil || sum > *ev.Lag {
				ev.Lag = report.Int(sum)
			}
		}
		if g.E2E != nil && g.E2E.Count() > 0 {
			l := g.E2E.Summary()
			ge.E2E = &l
		}
		if ev.Consumed == nil || g.Processed < *ev.Consumed {
			ev.Consumed = report.Int(g.Processed)
		}
		ev.Groups = append(ev.Groups, ge)
	}
	if r := s.Result; r != nil {
		ev.Unsent = report.Int(r.Produce.Unsent)
		for i := range ev.Groups {
			for _, rg := range r.Consume.Groups {
				if rg.Group == ev.Groups[i].Group {
					ev.Groups[i].Lost, ev.Groups[i].Unconsumed = rg.Delivery.Lost, rg.Delivery.Unconsumed
				}
			}
		}
	}
	return ev
}

func round3(x float64) float64 { return float64(int64(x*1000+0.5)) / 1000 }
