// Package pace turns a rate shape (SPEC §4 `workload.shape`) into the
// intended send time of every message.
//
// Why: `produce.latency_corrected` and `produce.send_delay` (SPEC §5) are
// measured from the pacer's *intended* send time, not from when the producer
// got round to sending. That is what keeps the latency figures free of
// coordinated omission: when the generator falls behind its schedule the
// delay shows up in the figures instead of silently stretching the run. The
// target rate reported beside the achieved rate is Hits(duration)/duration.
//
// Everything here is pure arithmetic over elapsed time and message counts;
// nothing reads a clock, so every shape is table-tested exactly.
//
// Model: a Shape gives the instantaneous target Rate (messages/s) and its
// integral Hits (messages expected by elapsed). A Pacer inverts Hits: message
// n (0-based) is due at
//
//	Due(n) = sup{ t : Hits(t) <= n }
//
// the last instant at which no more than n messages were expected, i.e. the
// moment the expected count starts to exceed n. Consequences:
//   - constant rate r: Due(n) = n/r exactly (message 0 at t=0, vegeta-style);
//   - Hits(Due(n)) == n (Hits is continuous), and Due is non-decreasing;
//   - a stretch where the rate is 0 is skipped: the next message is due at the
//     end of the silence (a step {rate: 0, for: 10s} first delays message 0 by
//     10s; a burst with base 0 sends nothing between bursts);
//   - if the rate stays 0 forever once n messages were expected, Due(n) is
//     Never.
package pace

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/kbench/kbench/workloads"
)

// Never is what Due and Pace return when the message will never be due (the
// shape's rate stays 0 forever). It is the largest Duration.
const Never = time.Duration(math.MaxInt64)

// Shape is a target rate over elapsed time.
type Shape interface {
	// Rate is the target rate in messages per second at elapsed.
	Rate(elapsed time.Duration) float64
	// Hits is the number of messages expected by elapsed: the integral of
	// Rate over [0, elapsed]. It is continuous and non-decreasing.
	Hits(elapsed time.Duration) float64
}

// inverter is implemented by every built-in shape: due returns
// sup{t : Hits(t) <= n} in seconds, or +Inf when that is never.
type inverter interface {
	due(n float64) float64
}

func secs(d time.Duration) float64 { return d.Seconds() }

// toDuration converts seconds to a Duration, saturating at Never.
func toDuration(s float64) time.Duration {
	if s <= 0 || math.IsNaN(s) {
		return 0
	}
	ns := s * 1e9
	if ns >= float64(math.MaxInt64) {
		return Never
	}
	return time.Duration(math.Round(ns))
}

// ---- constant ----

// Constant is a fixed rate.
type Constant struct {
	PerSec float64
}

// Rate implements Shape.
func (c Constant) Rate(time.Duration) float64 { return c.PerSec }

// Hits implements Shape.
func (c Constant) Hits(e time.Duration) float64 {
	if e <= 0 {
		return 0
	}
	return c.PerSec * secs(e)
}

func (c Constant) due(n float64) float64 {
	if c.PerSec <= 0 {
		return math.Inf(1)
	}
	return n / c.PerSec
}

// ---- ramp ----

// Ramp goes linearly from From to To over Over, then holds To.
type Ramp struct {
	From, To float64
	Over     time.Duration
}

// Rate implements Shape.
func (r Ramp) Rate(e time.Duration) float64 {
	if e <= 0 {
		return r.From
	}
	if e >= r.Over {
		return r.To
	}
	return r.From + (r.To-r.From)*secs(e)/secs(r.Over)
}

// Hits implements Shape.
func (r Ramp) Hits(e time.Duration) float64 {
	if e <= 0 {
		return 0
	}
	T := secs(r.Over)
	if e >= r.Over {
		return (r.From+r.To)/2*T + r.To*(secs(e)-T)
	}
	t := secs(e)
	return r.From*t + (r.To-r.From)*t*t/(2*T)
}

func (r Ramp) due(n float64) float64 {
	T := secs(r.Over)
	hT := (r.From + r.To) / 2 * T
	if n >= hT {
		if r.To <= 0 {
			return math.Inf(1)
		}
		return T + (n-hT)/r.To
	}
	// Solve a t² + b t = n on [0, T) with a = (To-From)/2T, b = From, in the
	// cancellation-free form t = 2n / (b + sqrt(b² + 4an)).
	a := (r.To - r.From) / (2 * T)
	b := r.From
	disc := b*b + 4*a*n
	if disc < 0 {
		disc = 0
	}
	den := b + math.Sqrt(disc)
	if den <= 0 {
		return 0 // n == 0 with From == 0: due at once
	}
	t := 2 * n / den
	if t > T {
		t = T
	}
	return t
}

// ---- step ----

// Segment is one stretch of a Steps shape.
type Segment struct {
	Rate float64
	For  time.Duration
}

// Steps runs each segment's rate for its duration, then holds the last rate.
// Build it with NewSteps.
type Steps struct {
	segs  []Segment
	start []float64 // start of segment i, seconds
	cum   []float64 // Hits at the start of segment i
}

// NewSteps validates segs (at least one; rates >= 0; durations > 0 except
// that the last one's may be 0, as it is held forever anyway).
func NewSteps(segs []Segment) (*Steps, error) {
	if len(segs) == 0 {
		return nil, errors.New("pace: step shape needs at least one step")
	}
	s := &Steps{segs: append([]Segment(nil), segs...)}
	var t, h float64
	for i, g := range segs {
		if g.Rate < 0 || math.IsNaN(g.Rate) || math.IsInf(g.Rate, 0) {
			return nil, fmt.Errorf("pace: step %d: rate %v must be a finite number >= 0", i, g.Rate)
		}
		if g.For < 0 || (g.For == 0 && i < len(segs)-1) {
			return nil, fmt.Errorf("pace: step %d: for %v must be > 0", i, g.For)
		}
		s.start = append(s.start, t)
		s.cum = append(s.cum, h)
		t += secs(g.For)
		h += g.Rate * secs(g.For)
	}
	return s, nil
}

// seg returns the index of the segment containing t seconds.
func (s *Steps) seg(t float64) int {
	// first i with start[i] > t, minus one.
	i := sort.Search(len(s.start), func(i int) bool { return s.start[i] > t }) - 1
	if i < 0 {
		i = 0
	}
	return i
}

// Rate implements Shape.
func (s *Steps) Rate(e time.Duration) float64 { return s.segs[s.seg(secs(e))].Rate }

// Hits implements Shape.
func (s *Steps) Hits(e time.Duration) float64 {
	if e <= 0 {
		return 0
	}
	t := secs(e)
	i := s.seg(t)
	return s.cum[i] + s.segs[i].Rate*(t-s.start[i])
}

func (s *Steps) due(n float64) float64 {
	// The first segment whose end count exceeds n holds the answer; zero-rate
	// segments never do, so they are skipped.
	last := len(s.segs) - 1
	i := sort.Search(last, func(i int) bool { return s.cum[i+1] > n })
	if i == last && s.segs[last].Rate <= 0 {
		return math.Inf(1)
	}
	// If cum[i] > n the crossing is at the start of segment i (only possible
	// for i == 0 when n < 0, which callers never pass).
	return s.start[i] + math.Max(0, n-s.cum[i])/s.segs[i].Rate
}

// ---- sine ----

// Sine oscillates around Mean: Mean + Amplitude·sin(2πt/Period). Amplitude
// must not exceed Mean, so the rate never goes negative.
type Sine struct {
	Mean, Amplitude float64
	Period          time.Duration
}

// Rate implements Shape.
func (s Sine) Rate(e time.Duration) float64 {
	return s.Mean + s.Amplitude*math.Sin(2*math.Pi*secs(e)/secs(s.Period))
}

// Hits implements Shape.
func (s Sine) Hits(e time.Duration) float64 {
	if e <= 0 {
		return 0
	}
	return s.hits(secs(e))
}

func (s Sine) hits(t float64) float64 {
	P := secs(s.Period)
	w := 2 * math.Pi / P
	return s.Mean*t + s.Amplitude/w*(1-math.Cos(w*t))
}

func (s Sine) due(n float64) float64 {
	if s.Mean <= 0 {
		return math.Inf(1)
	}
	P := secs(s.Period)
	perPeriod := s.Mean * P
	k := math.Floor(n / perPeriod)
	r := n - k*perPeriod
	if r < 0 {
		r = 0
	}
	// Solve hits(t) = r on [0, P]: safeguarded Newton, bisection fallback.
	// hits is strictly increasing (the rate is 0 at most at isolated
	// points), so the root is unique; the iteration count is bounded.
	w := 2 * math.Pi / P
	lo, hi := 0.0, P
	t := r / s.Mean
	if t > P {
		t = P
	}
	for it := 0; it < 60; it++ {
		sin, cos := math.Sincos(w * t)
		f := s.Mean*t + s.Amplitude/w*(1-cos) - r
		if f > 0 {
			hi = t
		} else {
			lo = t
		}
		if f == 0 || hi-lo < 1e-10 {
			break
		}
		d := s.Mean + s.Amplitude*sin
		nt := t - f/d
		if d <= 0 || !(nt > lo && nt < hi) {
			nt = (lo + hi) / 2
		}
		step := math.Abs(nt - t)
		t = nt
		if step < 1e-10 { // a tenth of a nanosecond
			break
		}
	}
	return k*P + t
}

// ---- burst ----

// Burst sends at Peak for the first For of every Every, and at Base for the
// rest of it.
type Burst struct {
	Base, Peak float64
	Every, For time.Duration
}

// Rate implements Shape.
func (b Burst) Rate(e time.Duration) float64 {
	if e < 0 {
		e = 0
	}
	if e%b.Every < b.For {
		return b.Peak
	}
	return b.Base
}

// Hits implements Shape.
func (b Burst) Hits(e time.Duration) float64 {
	if e <= 0 {
		return 0
	}
	k := float64(e / b.Every)
	in := e % b.Every
	h := k * b.cycle()
	if in <= b.For {
		return h + b.Peak*secs(in)
	}
	return h + b.Peak*secs(b.For) + b.Base*secs(in-b.For)
}

func (b Burst) cycle() float64 {
	return b.Peak*secs(b.For) + b.Base*secs(b.Every-b.For)
}

func (b Burst) due(n float64) float64 {
	c := b.cycle()
	if c <= 0 {
		return math.Inf(1)
	}
	E, F := secs(b.Every), secs(b.For)
	k := math.Floor(n / c)
	r := n - k*c
	if r < 0 {
		r = 0
	}
	peakHits := b.Peak * F
	if r < peakHits {
		return k*E + r/b.Peak
	}
	if b.Base <= 0 {
		// Only reachable through rounding (r == c); the next burst.
		return (k + 1) * E
	}
	return k*E + F + (r-peakHits)/b.Base
}

// ---- from the experiment ----

// FromSpec builds the per-producer shape for s. rate is workload.rate, used
// only by the constant kind (the other kinds carry their own rates). Every
// rate is the total over all producers and is scaled by share, this
// producer's fraction of the traffic (1/instances), in (0, 1].
//
// A constant shape with rate 0 means "as fast as possible": FromSpec returns
// a nil Shape and no error; NewPacer(nil) is a pacer that never waits.
func FromSpec(s workloads.Shape, rate float64, share float64) (Shape, error) {
	if !(share > 0 && share <= 1) {
		return nil, fmt.Errorf("pace: share %v must be in (0, 1]", share)
	}
	bad := func(name string, v float64) error {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return fmt.Errorf("pace: %s shape: %s %v must be a finite number >= 0", s.Kind, name, v)
		}
		return nil
	}
	switch s.Kind {
	case "", "constant":
		if err := bad("rate", rate); err != nil {
			return nil, err
		}
		if rate == 0 {
			return nil, nil
		}
		return Constant{PerSec: rate * share}, nil
	case "ramp":
		if err := errors.Join(bad("from", s.From), bad("to", s.To)); err != nil {
			return nil, err
		}
		if s.Over <= 0 {
			return nil, fmt.Errorf("pace: ramp shape: over %v must be > 0", s.Over.D())
		}
		return Ramp{From: s.From * share, To: s.To * share, Over: s.Over.D()}, nil
	case "step":
		segs := make([]Segment, len(s.Steps))
		for i, st := range s.Steps {
			segs[i] = Segment{Rate: st.Rate * share, For: st.For.D()}
		}
		st, err := NewSteps(segs)
		if err != nil {
			return nil, err
		}
		return st, nil
	case "sine":
		if err := errors.Join(bad("mean", s.Mean), bad("amplitude", s.Amplitude)); err != nil {
			return nil, err
		}
		if s.Amplitude > s.Mean {
			return nil, fmt.Errorf("pace: sine shape: amplitude %v exceeds mean %v (the rate would go negative)", s.Amplitude, s.Mean)
		}
		if s.Period <= 0 {
			return nil, fmt.Errorf("pace: sine shape: period %v must be > 0", s.Period.D())
		}
		return Sine{Mean: s.Mean * share, Amplitude: s.Amplitude * share, Period: s.Period.D()}, nil
	case "burst":
		if err := errors.Join(bad("base", s.Base), bad("peak", s.Peak)); err != nil {
			return nil, err
		}
		if s.Every <= 0 {
			return nil, fmt.Errorf("pace: burst shape: every %v must be > 0", s.Every.D())
		}
		if s.For <= 0 || s.For > s.Every {
			return nil, fmt.Errorf("pace: burst shape: for %v must be in (0, every=%v]", s.For.D(), s.Every.D())
		}
		return Burst{Base: s.Base * share, Peak: s.Peak * share, Every: s.Every.D(), For: s.For.D()}, nil
	}
	return nil, fmt.Errorf("pace: unknown shape kind %q (want constant, ramp, step, sine or burst)", s.Kind)
}

// Peak is the highest rate s ever targets, in messages per second: 0 for a
// nil Shape (unpaced) and for shapes other than the built-in ones (unknown).
func Peak(s Shape) float64 {
	switch s := s.(type) {
	case Constant:
		return s.PerSec
	case Ramp:
		return max(s.From, s.To)
	case *Steps:
		peak := 0.0
		for _, g := range s.segs {
			peak = max(peak, g.Rate)
		}
		return peak
	case Sine:
		return s.Mean + s.Amplitude
	case Burst:
		return max(s.Base, s.Peak)
	}
	return 0
}

// ---- pacer ----

// Pacer schedules messages along a Shape. It is immutable and safe for
// concurrent use. The zero Pacer, like NewPacer(nil), never waits.
type Pacer struct {
	shape    Shape
	inv      inverter
	interval float64 // ns per message for a constant shape, else 0
	silent   bool    // constant with rate <= 0
}

// NewPacer returns a pacer for s; nil means unthrottled (Due is always 0).
func NewPacer(s Shape) *Pacer {
	p := &Pacer{shape: s}
	switch v := s.(type) {
	case nil:
	case Constant:
		if v.PerSec > 0 {
			p.interval = 1e9 / v.PerSec
		} else {
			p.silent = true
		}
	case inverter:
		p.inv = v
	}
	return p
}

// Shape returns the pacer's shape (nil when unthrottled).
func (p *Pacer) Shape() Shape { return p.shape }

// Due is the intended send offset, from the start of pacing, of message n
// (0-based): sup{t : Hits(t) <= n}; Never if that never comes. For a
// constant shape it is n/rate, O(1) and allocation-free; the other built-in
// shapes use closed forms (ramp, step, burst) or a bounded safeguarded
// Newton iteration (sine); a foreign Shape is inverted by bisection.
func (p *Pacer) Due(n uint64) time.Duration {
	if p.interval > 0 {
		ns := float64(n) * p.interval
		if ns >= float64(math.MaxInt64) {
			return Never
		}
		return time.Duration(ns)
	}
	if p.shape == nil {
		return 0
	}
	if p.silent {
		return Never
	}
	if p.inv != nil {
		return toDuration(p.inv.due(float64(n)))
	}
	return bisect(p.shape, float64(n))
}

// Pace returns how long to wait, at elapsed with sent messages already sent,
// before sending the next one (message number sent): 0 when it is already
// due (the generator is on time or behind), Never when it never will be.
func (p *Pacer) Pace(elapsed time.Duration, sent uint64) time.Duration {
	d := p.Due(sent)
	if d == Never {
		return Never
	}
	if d <= elapsed {
		return 0
	}
	return d - elapsed
}

// maxHorizon bounds the search for a foreign shape: beyond ~146 years the
// message is Never.
const maxHorizon = time.Duration(1 << 62)

// bisect finds sup{t : Hits(t) <= n} for an arbitrary Shape, to the
// nanosecond, in at most ~62+62 evaluations of Hits.
func bisect(s Shape, n float64) time.Duration {
	hi := time.Second
	for s.Hits(hi) <= n {
		if hi >= maxHorizon {
			return Never
		}
		hi *= 2
	}
	lo := time.Duration(0) // Hits(lo) <= n, Hits(hi) > n
	if s.Hits(0) > n {
		return 0
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		if s.Hits(mid) <= n {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo
}
