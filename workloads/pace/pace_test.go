package pace

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/workloads"
)

const s = time.Second
const ms = time.Millisecond

type point struct {
	at   time.Duration
	rate float64
	hits float64
}

type due struct {
	n  uint64
	at time.Duration
}

func mustSteps(t *testing.T, segs ...Segment) *Steps {
	t.Helper()
	st, err := NewSteps(segs)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

// closeDur allows 1µs of float rounding.
func closeDur(a, b time.Duration) bool {
	if a == Never || b == Never {
		return a == b
	}
	d := a - b
	return d >= -time.Microsecond && d <= time.Microsecond
}

func TestShapes(t *testing.T) {
	cases := []struct {
		name   string
		shape  Shape
		points []point
		dues   []due
	}{
		{
			name:  "constant",
			shape: Constant{PerSec: 100},
			points: []point{
				{0, 100, 0}, {10 * ms, 100, 1}, {s, 100, 100}, {90 * s, 100, 9000},
			},
			dues: []due{{0, 0}, {1, 10 * ms}, {99, 990 * ms}, {100, s}, {1_000_000, 10_000 * s}},
		},
		{
			name:  "constant zero is silent",
			shape: Constant{PerSec: 0},
			points: []point{
				{0, 0, 0}, {s, 0, 0},
			},
			dues: []due{{0, Never}, {5, Never}},
		},
		{
			name:  "ramp up from 0",
			shape: Ramp{From: 0, To: 100, Over: 10 * s},
			points: []point{
				{0, 0, 0}, {5 * s, 50, 125}, {10 * s, 100, 500}, {12 * s, 100, 700},
			},
			// t = sqrt(2·10·n/100) on the ramp; 500 + 100(t-10) after it.
			dues: []due{
				{0, 0}, {5, time.Duration(math.Sqrt(1) * 1e9)}, {125, 5 * s},
				{500, 10 * s}, {700, 12 * s},
			},
		},
		{
			name:  "ramp down to 0 then silent",
			shape: Ramp{From: 100, To: 0, Over: 10 * s},
			points: []point{
				{0, 100, 0}, {5 * s, 50, 375}, {10 * s, 0, 500}, {20 * s, 0, 500},
			},
			dues: []due{{0, 0}, {100, time.Duration((10 - math.Sqrt(80)) * 1e9)}, {375, 5 * s}, {499, time.Duration((10 - math.Sqrt(0.2)) * 1e9)}, {500, Never}},
		},
		{
			name:  "ramp flat",
			shape: Ramp{From: 40, To: 40, Over: s},
			points: []point{
				{500 * ms, 40, 20}, {2 * s, 40, 80},
			},
			dues: []due{{1, 25 * ms}, {20, 500 * ms}, {80, 2 * s}},
		},
		{
			name:  "step holds last",
			shape: mustSteps(t, Segment{10, 2 * s}, Segment{100, s}, Segment{50, s}),
			points: []point{
				{0, 10, 0}, {s, 10, 10}, {2 * s, 100, 20}, {2500 * ms, 100, 70},
				{3 * s, 50, 120}, {10 * s, 50, 470},
			},
			dues: []due{{0, 0}, {10, s}, {19, 1900 * ms}, {20, 2 * s}, {21, 2010 * ms}, {120, 3 * s}, {470, 10 * s}},
		},
		{
			name:  "step starting silent",
			shape: mustSteps(t, Segment{0, 10 * s}, Segment{100, s}, Segment{0, s}, Segment{10, 0}),
			points: []point{
				{5 * s, 0, 0}, {10 * s, 100, 0}, {10500 * ms, 100, 50}, {11500 * ms, 0, 100},
				{13 * s, 10, 110},
			},
			// message 0 waits out the silence; message 100 waits out the
			// second silence.
			dues: []due{{0, 10 * s}, {1, 10010 * ms}, {99, 10990 * ms}, {100, 12 * s}, {101, 12100 * ms}},
		},
		{
			name:  "step ending silent",
			shape: mustSteps(t, Segment{10, s}, Segment{0, s}),
			points: []point{
				{s, 0, 10}, {100 * s, 0, 10},
			},
			dues: []due{{9, 900 * ms}, {10, Never}, {11, Never}},
		},
		{
			name:  "sine",
			shape: Sine{Mean: 100, Amplitude: 50, Period: 4 * s},
			points: []point{
				// hits = 100t + 50·4/2π·(1-cos(2πt/4))
				{0, 100, 0}, {s, 150, 100 + 100/math.Pi}, {2 * s, 100, 200 + 200/math.Pi},
				{3 * s, 50, 300 + 100/math.Pi}, {4 * s, 100, 400}, {8 * s, 100, 800},
			},
			dues: []due{{0, 0}, {400, 4 * s}, {800, 8 * s}, {4_000_000, 40_000 * s}},
		},
		{
			name:  "sine touching zero",
			shape: Sine{Mean: 10, Amplitude: 10, Period: 2 * s},
			points: []point{
				{500 * ms, 20, 5 + 20/(2*math.Pi)}, {1500 * ms, 0, 15 + 20/(2*math.Pi)}, {2 * s, 10, 20},
			},
			dues: []due{{20, 2 * s}, {40, 4 * s}},
		},
		{
			name:  "burst",
			shape: Burst{Base: 10, Peak: 100, Every: 10 * s, For: 2 * s},
			points: []point{
				{0, 100, 0}, {s, 100, 100}, {2 * s, 10, 200}, {10 * s, 100, 280},
				{11 * s, 100, 380}, {13 * s, 10, 490},
			},
			dues: []due{{0, 0}, {100, s}, {200, 2 * s}, {201, 2100 * ms}, {279, 9900 * ms}, {280, 10 * s}, {480, 12 * s}},
		},
		{
			name:  "burst with base 0",
			shape: Burst{Base: 0, Peak: 100, Every: 10 * s, For: s},
			points: []point{
				{500 * ms, 100, 50}, {5 * s, 0, 100}, {10500 * ms, 100, 150},
			},
			dues: []due{{0, 0}, {99, 990 * ms}, {100, 10 * s}, {150, 10500 * ms}, {200, 20 * s}},
		},
		{
			name:  "burst with peak 0",
			shape: Burst{Base: 10, Peak: 0, Every: 2 * s, For: s},
			points: []point{
				{500 * ms, 0, 0}, {1500 * ms, 10, 5}, {2500 * ms, 0, 10},
			},
			dues: []due{{0, s}, {9, 1900 * ms}, {10, 3 * s}},
		},
		{
			name:  "burst all zero",
			shape: Burst{Base: 0, Peak: 0, Every: 2 * s, For: s},
			dues:  []due{{0, Never}},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, p := range c.points {
				if got := c.shape.Rate(p.at); !near(got, p.rate, 1e-9) {
					t.Errorf("Rate(%v) = %v, want %v", p.at, got, p.rate)
				}
				if got := c.shape.Hits(p.at); !near(got, p.hits, 1e-6) {
					t.Errorf("Hits(%v) = %v, want %v", p.at, got, p.hits)
				}
			}
			pc := NewPacer(c.shape)
			for _, d := range c.dues {
				if got := pc.Due(d.n); !closeDur(got, d.at) {
					t.Errorf("Due(%d) = %v, want %v", d.n, got, d.at)
				}
			}
			// The generic bisection agrees with the closed forms.
			for _, d := range c.dues {
				if got := bisect(c.shape, float64(d.n)); !closeDur(got, d.at) {
					t.Errorf("bisect(%d) = %v, want %v", d.n, got, d.at)
				}
			}
		})
	}
}

// foreign hides the built-in inverse, forcing the bisection path.
type foreign struct{ Shape }

func TestDueProperties(t *testing.T) {
	shapes := map[string]Shape{
		"constant":  Constant{PerSec: 1234.5},
		"ramp up":   Ramp{From: 10, To: 5000, Over: 3 * s},
		"ramp down": Ramp{From: 5000, To: 10, Over: 3 * s},
		"step": mustSteps(t, Segment{1000, 500 * ms}, Segment{0, 700 * ms},
			Segment{3000, 200 * ms}, Segment{200, 0}),
		"sine":       Sine{Mean: 2000, Amplitude: 1500, Period: 1300 * ms},
		"sine zero":  Sine{Mean: 2000, Amplitude: 2000, Period: 700 * ms},
		"burst":      Burst{Base: 100, Peak: 5000, Every: 900 * ms, For: 150 * ms},
		"burst zero": Burst{Base: 0, Peak: 5000, Every: 900 * ms, For: 150 * ms},
		"foreign":    foreign{Sine{Mean: 2000, Amplitude: 1000, Period: s}},
	}
	for name, sh := range shapes {
		t.Run(name, func(t *testing.T) {
			p := NewPacer(sh)
			var prev time.Duration
			for n := uint64(0); n < 20000; n += 7 {
				d := p.Due(n)
				if d == Never {
					t.Fatalf("Due(%d) = Never", n)
				}
				if d < prev {
					t.Fatalf("Due not monotonic: Due(%d) = %v < %v", n, d, prev)
				}
				prev = d
				// Hits(Due(n)) == n: n messages were expected by then,
				// and more right after.
				if h := sh.Hits(d); !near(h, float64(n), 0.01) {
					t.Fatalf("Hits(Due(%d)=%v) = %v, want %d", n, d, h, n)
				}
				if h := sh.Hits(d + 10*time.Microsecond); h <= float64(n) {
					t.Fatalf("Hits(Due(%d)+10µs) = %v, want > %d", n, h, n)
				}
			}
		})
	}
}

func TestPace(t *testing.T) {
	p := NewPacer(Constant{PerSec: 10})
	cases := []struct {
		elapsed time.Duration
		sent    uint64
		want    time.Duration
	}{
		{0, 0, 0},              // message 0 is due at once
		{0, 1, 100 * ms},       // message 1 at 100ms
		{30 * ms, 1, 70 * ms},  // partly waited
		{100 * ms, 1, 0},       // exactly due
		{5 * s, 10, 0},         // behind schedule: no wait
		{5 * s, 60, 1 * s},     // ahead: wait
		{time.Hour, 36_000, 0}, // long run, on time
		{time.Hour, 36_001, 100 * ms},
	}
	for _, c := range cases {
		if got := p.Pace(c.elapsed, c.sent); got != c.want {
			t.Errorf("Pace(%v, %d) = %v, want %v", c.elapsed, c.sent, got, c.want)
		}
	}
	silent := NewPacer(mustSteps(t, Segment{10, s}, Segment{0, s}))
	if got := silent.Pace(0, 10); got != Never {
		t.Errorf("silent Pace = %v, want Never", got)
	}
	for _, un := range []*Pacer{NewPacer(nil), {}} {
		if got := un.Pace(0, 1<<40); got != 0 {
			t.Errorf("unthrottled Pace = %v, want 0", got)
		}
		if got := un.Due(1 << 40); got != 0 {
			t.Errorf("unthrottled Due = %v, want 0", got)
		}
	}
}

// A generator that cannot keep up: Pace keeps answering 0 and the backlog
// Due(n) - elapsed grows (what produce.send_delay reports).
func TestPaceFallingBehind(t *testing.T) {
	p := NewPacer(Constant{PerSec: 1000})
	var elapsed time.Duration
	var lastDelay time.Duration
	for n := uint64(0); n < 100; n++ {
		if w := p.Pace(elapsed, n); w != 0 {
			t.Fatalf("Pace(%v, %d) = %v, want 0 (behind)", elapsed, n, w)
		}
		delay := elapsed - p.Due(n)
		if delay < lastDelay {
			t.Fatalf("send delay shrank at %d", n)
		}
		lastDelay = delay
		elapsed += 2 * ms // the producer manages only 500/s
	}
	if lastDelay != 99*ms {
		t.Fatalf("final send delay %v, want 99ms", lastDelay)
	}
}

func TestFromSpec(t *testing.T) {
	D := func(d time.Duration) workloads.Duration { return workloads.Duration(d) }
	ok := []struct {
		spec  workloads.Shape
		rate  float64
		share float64
		want  Shape
	}{
		{workloads.Shape{}, 1000, 0.5, Constant{PerSec: 500}},
		{workloads.Shape{Kind: "constant"}, 1000, 1, Constant{PerSec: 1000}},
		{workloads.Shape{Kind: "ramp", From: 10, To: 100, Over: D(s)}, 0, 0.5, Ramp{From: 5, To: 50, Over: s}},
		{workloads.Shape{Kind: "sine", Mean: 100, Amplitude: 100, Period: D(s)}, 5, 0.25, Sine{Mean: 25, Amplitude: 25, Period: s}},
		{workloads.Shape{Kind: "burst", Base: 0, Peak: 100, Every: D(s), For: D(s)}, 0, 1, Burst{Peak: 100, Every: s, For: s}},
	}
	for _, c := range ok {
		got, err := FromSpec(c.spec, c.rate, c.share)
		if err != nil {
			t.Errorf("FromSpec(%+v): %v", c.spec, err)
			continue
		}
		if got != c.want {
			t.Errorf("FromSpec(%+v) = %#v, want %#v", c.spec, got, c.want)
		}
	}

	st, err := FromSpec(workloads.Shape{Kind: "step", Steps: []workloads.Step{{Rate: 100, For: D(s)}, {Rate: 0, For: D(s)}}}, 0, 0.5)
	if err != nil {
		t.Fatal(err)
	}
	if st.Rate(0) != 50 || st.Hits(10*s) != 50 {
		t.Errorf("step scaled wrongly: rate %v hits %v", st.Rate(0), st.Hits(10*s))
	}

	un, err := FromSpec(workloads.Shape{Kind: "constant"}, 0, 1)
	if err != nil || un != nil {
		t.Errorf("rate 0 constant = %v, %v; want nil (unthrottled)", un, err)
	}

	bad := []struct {
		spec  workloads.Shape
		rate  float64
		share float64
		msg   string
	}{
		{workloads.Shape{}, 100, 0, "share"},
		{workloads.Shape{}, 100, 1.5, "share"},
		{workloads.Shape{}, -1, 1, "rate"},
		{workloads.Shape{Kind: "square"}, 100, 1, "unknown shape kind"},
		{workloads.Shape{Kind: "ramp", From: 1, To: 2}, 0, 1, "over"},
		{workloads.Shape{Kind: "ramp", From: -1, To: 2, Over: D(s)}, 0, 1, "from"},
		{workloads.Shape{Kind: "step"}, 0, 1, "at least one step"},
		{workloads.Shape{Kind: "step", Steps: []workloads.Step{{Rate: 1}, {Rate: 2, For: D(s)}}}, 0, 1, "step 0: for"},
		{workloads.Shape{Kind: "step", Steps: []workloads.Step{{Rate: -1, For: D(s)}}}, 0, 1, "step 0: rate"},
		{workloads.Shape{Kind: "sine", Mean: 10, Amplitude: 20, Period: D(s)}, 0, 1, "amplitude"},
		{workloads.Shape{Kind: "sine", Mean: 10, Amplitude: 5}, 0, 1, "period"},
		{workloads.Shape{Kind: "burst", Base: 1, Peak: 2, For: D(s)}, 0, 1, "every"},
		{workloads.Shape{Kind: "burst", Base: 1, Peak: 2, Every: D(s), For: D(2 * s)}, 0, 1, "for"},
		{workloads.Shape{Kind: "burst", Base: 1, Peak: math.Inf(1), Every: D(s), For: D(s)}, 0, 1, "peak"},
	}
	for _, c := range bad {
		_, err := FromSpec(c.spec, c.rate, c.share)
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("FromSpec(%+v, %v, %v) error = %v, want it to mention %q", c.spec, c.rate, c.share, err, c.msg)
		}
	}
}

func TestDueConstantAllocFree(t *testing.T) {
	p := NewPacer(Constant{PerSec: 50000})
	var n uint64
	if a := testing.AllocsPerRun(1000, func() { _ = p.Due(n); n++ }); a != 0 {
		t.Fatalf("constant Due allocates %v per call", a)
	}
	for _, sh := range []Shape{
		Ramp{From: 1, To: 100, Over: s},
		Sine{Mean: 100, Amplitude: 50, Period: s},
		Burst{Base: 1, Peak: 100, Every: s, For: 100 * ms},
		mustSteps(t, Segment{10, s}, Segment{100, s}),
	} {
		p := NewPacer(sh)
		if a := testing.AllocsPerRun(1000, func() { _ = p.Due(n); n++ }); a != 0 {
			t.Errorf("%T Due allocates %v per call", sh, a)
		}
	}
}

func benchDue(b *testing.B, sh Shape) {
	p := NewPacer(sh)
	b.ReportAllocs()
	var sink time.Duration
	for i := 0; b.Loop(); i++ {
		sink += p.Due(uint64(i))
	}
	_ = sink
}

func BenchmarkDueConstant(b *testing.B) { benchDue(b, Constant{PerSec: 50000}) }
func BenchmarkDueRamp(b *testing.B)     { benchDue(b, Ramp{From: 10, To: 50000, Over: 10 * s}) }
func BenchmarkDueSine(b *testing.B) {
	benchDue(b, Sine{Mean: 50000, Amplitude: 30000, Period: 10 * s})
}
func BenchmarkDueBurst(b *testing.B) {
	benchDue(b, Burst{Base: 100, Peak: 50000, Every: 10 * s, For: s})
}
func BenchmarkDueStep(b *testing.B) {
	st, _ := NewSteps([]Segment{{100, s}, {0, s}, {50000, 10 * s}, {1000, s}})
	benchDue(b, st)
}

// Peak is the highest rate each shape reaches over a long sampled window.
func TestPeak(t *testing.T) {
	steps, err := NewSteps([]Segment{{Rate: 10, For: s}, {Rate: 70, For: s}, {Rate: 30}})
	if err != nil {
		t.Fatal(err)
	}
	for _, sh := range []Shape{
		Constant{PerSec: 500},
		Ramp{From: 100, To: 10, Over: s},
		Ramp{From: 10, To: 100, Over: s},
		steps,
		Sine{Mean: 50, Amplitude: 20, Period: s},
		Burst{Base: 5, Peak: 90, Every: s, For: s / 10},
	} {
		sampled := 0.0
		for e := time.Duration(0); e <= 5*s; e += s / 1000 {
			sampled = max(sampled, sh.Rate(e))
		}
		if got := Peak(sh); got < sampled || got > sampled*1.001 {
			t.Errorf("Peak(%#v) = %v, highest sampled rate %v", sh, got, sampled)
		}
	}
	if Peak(nil) != 0 {
		t.Errorf("unpaced peak %v, want 0 (unknown)", Peak(nil))
	}
}
