package traffic

import (
	"encoding/json"
	"math"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/workloads"
)

func mustNew(t testing.TB, tr workloads.Traffic, seed int64) *Generator {
	t.Helper()
	g, err := New(tr, seed)
	if err != nil {
		t.Fatal(err)
	}
	return g
}

func TestDefaultCatalog(t *testing.T) {
	g := mustNew(t, workloads.Traffic{}, 1)
	want := []string{"order-service", "user-service", "payment-service", "auth-service", "inventory-service"}
	if got := g.Services(); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Fatalf("services %v, want %v", got, want)
	}
	nodeRe := regexp.MustCompile(`^(order|user|payment|auth|inventory)-[0-9a-f]{4}-[0-3]$`)
	paths := map[string]map[string]bool{}
	nodes := map[string]bool{}
	var ev keying.Event
	for range 200000 {
		g.Next(&ev, 0)
		if !nodeRe.MatchString(ev.Node) || !strings.HasPrefix(ev.Node, strings.TrimSuffix(ev.Service, "-service")) {
			t.Fatalf("node %q of %s", ev.Node, ev.Service)
		}
		if ev.User < 1 || ev.User > DefaultUsers || ev.ID < 1 || ev.ID > IDRange {
			t.Fatalf("user %d id %d out of range", ev.User, ev.ID)
		}
		if ev.Segment != keying.FirstSegment(ev.Path) || ev.Segment == "" {
			t.Fatalf("segment %q of %q", ev.Segment, ev.Path)
		}
		if ev.Status < 200 || ev.Status > 599 || ev.LatencyUs == 0 {
			t.Fatalf("status %d latency %d", ev.Status, ev.LatencyUs)
		}
		if paths[ev.Service] == nil {
			paths[ev.Service] = map[string]bool{}
		}
		paths[ev.Service][ev.Method+" "+ev.Path] = true
		nodes[ev.Node] = true
	}
	for _, s := range want {
		if len(paths[s]) != DefaultPathsPerService {
			t.Errorf("%s: %d routes seen, want %d", s, len(paths[s]), DefaultPathsPerService)
		}
	}
	if len(nodes) != 5*DefaultNodesPerService {
		t.Errorf("%d nodes seen, want %d", len(nodes), 5*DefaultNodesPerService)
	}
	// path keys (first segments) are finer than services: several per service
	if segs := distinctSegments(paths["order-service"]); segs < 3 {
		t.Errorf("order-service has only %d first segments", segs)
	}
}

func distinctSegments(routes map[string]bool) int {
	m := map[string]bool{}
	for r := range routes {
		m[keying.FirstSegment(strings.SplitN(r, " ", 2)[1])] = true
	}
	return len(m)
}

func TestManyServicesAndPaths(t *testing.T) {
	g := mustNew(t, workloads.Traffic{Services: 40, PathsPerService: 12, NodesPerService: 2, Popularity: workloads.Popularity{Kind: "uniform"}}, 1)
	names := map[string]bool{}
	for _, s := range g.Services() {
		if names[s] {
			t.Fatalf("duplicate service %s", s)
		}
		names[s] = true
	}
	if !names["order-2-service"] || !names["order-3-service"] {
		t.Fatalf("repeated catalog names missing: %v", g.Services())
	}
	seen := map[string]bool{}
	var ev keying.Event
	for range 100000 {
		g.Next(&ev, 0)
		seen[ev.Service+" "+ev.Method+" "+ev.Path] = true
		if ev.Service == "order-2-service" && !strings.HasSuffix(ev.Segment, "-2") {
			t.Fatalf("order-2 segment %q", ev.Segment)
		}
	}
	if len(seen) != 40*12 {
		t.Fatalf("%d distinct routes, want %d", len(seen), 40*12)
	}
}

func TestDeterminism(t *testing.T) {
	tr := workloads.Traffic{Hot: &workloads.Hot{At: workloads.Duration(time.Second), For: workloads.Duration(time.Second), Key: "payment-service", Share: 0.5}}
	a, b, c := mustNew(t, tr, 42), mustNew(t, tr, 42), mustNew(t, tr, 43)
	var ea, eb, ec keying.Event
	differ := 0
	for i := range 10000 {
		at := time.Duration(i) * time.Millisecond / 3
		a.Next(&ea, at)
		b.Next(&eb, at)
		c.Next(&ec, at)
		if ea != eb {
			t.Fatalf("same seed, event %d differs: %+v vs %+v", i, ea, eb)
		}
		if ea != ec {
			differ++
		}
	}
	if differ < 9000 {
		t.Fatalf("different seeds agree on %d of 10000 events", 10000-differ)
	}
}

// Zipf(s) over services: share of rank i is i^-s / H(n, s).
func TestZipfPopularity(t *testing.T) {
	for _, s := range []float64{0.8, 1.1, 2} {
		g := mustNew(t, workloads.Traffic{Services: 8, Popularity: workloads.Popularity{Kind: "zipf", S: s}}, 7)
		counts := map[string]int{}
		const n = 800000
		var ev keying.Event
		for range n {
			g.Next(&ev, 0)
			counts[ev.Service]++
		}
		var h float64
		for i := 1; i <= 8; i++ {
			h += math.Pow(float64(i), -s)
		}
		for i, name := range g.Services() {
			want := math.Pow(float64(i+1), -s) / h
			got := float64(counts[name]) / n
			if math.Abs(got-want) > 0.004 {
				t.Errorf("s=%v %s: share %.4f, want %.4f", s, name, got, want)
			}
		}
	}
	g := mustNew(t, workloads.Traffic{Services: 4, Popularity: workloads.Popularity{Kind: "uniform"}}, 7)
	counts := map[string]int{}
	var ev keying.Event
	for range 400000 {
		g.Next(&ev, 0)
		counts[ev.Service]++
	}
	for name, c := range counts {
		if math.Abs(float64(c)/400000-0.25) > 0.004 {
			t.Errorf("uniform %s: %d", name, c)
		}
	}
}

func TestExplicitList(t *testing.T) {
	tr := workloads.Traffic{
		NodesPerService: 3,
		List: []workloads.Service{
			{Name: "checkout-svc", Weight: 3, Paths: []string{"POST /checkout/:cartId/pay", "/checkout/{id}", "GET /checkout/<id>/items/*"}, Nodes: 2},
			{Name: "payment-service", Weight: 1},
			{Name: "ledger", Weight: 0}, // weighted list: no traffic
		},
	}
	g := mustNew(t, tr, 1)
	counts := map[string]int{}
	routes := map[string]bool{}
	nodes := map[string]bool{}
	var ev keying.Event
	const n = 200000
	for range n {
		g.Next(&ev, 0)
		counts[ev.Service]++
		routes[ev.Method+" "+ev.Path] = true
		nodes[ev.Node] = true
	}
	if math.Abs(float64(counts["checkout-svc"])/n-0.75) > 0.005 || counts["ledger"] != 0 {
		t.Fatalf("weights not honoured: %v", counts)
	}
	for _, r := range []string{"POST /checkout/{id}/pay", "GET /checkout/{id}", "GET /checkout/{id}/items/{id}", "POST /payments", "GET /payments/{id}"} {
		if !routes[r] {
			t.Errorf("route %q missing from %v", r, routes)
		}
	}
	if len(nodes) != 2+3 {
		t.Errorf("nodes %v", nodes)
	}
	// unweighted list: popularity in list order; unknown names get generic routes
	g = mustNew(t, workloads.Traffic{List: []workloads.Service{{Name: "ledger"}}, PathsPerService: 3}, 1)
	g.Next(&ev, 0)
	if ev.Service != "ledger" || ev.Segment != "ledger" {
		t.Fatalf("generic routes: %+v", ev)
	}
	if _, err := New(workloads.Traffic{List: []workloads.Service{{Name: "x", Paths: []string{"nope"}}}}, 1); err == nil {
		t.Fatal("path without / accepted")
	}
}

func TestHotWindow(t *testing.T) {
	at, dur := 10*time.Second, 5*time.Second
	base := workloads.Traffic{Popularity: workloads.Popularity{Kind: "uniform"}, Services: 5}
	cases := []struct {
		key   string
		match func(*keying.Event) bool
	}{
		{"payment-service", func(e *keying.Event) bool { return e.Service == "payment-service" }},
		{"auth", func(e *keying.Event) bool { return e.Service == "auth-service" }},
		{"/orders/{id}", func(e *keying.Event) bool { return e.Path == "/orders/{id}" }},
		{"wallets", func(e *keying.Event) bool { return e.Segment == "wallets" }},
	}
	for _, c := range cases {
		tr := base
		tr.Hot = &workloads.Hot{At: workloads.Duration(at), For: workloads.Duration(dur), Key: c.key, Share: 0.6}
		g := mustNew(t, tr, 3)
		share := func(from time.Duration) float64 {
			var ev keying.Event
			hit := 0
			for i := range 100000 {
				g.Next(&ev, from+time.Duration(i)*dur/100000)
				if c.match(&ev) {
					hit++
				}
			}
			return float64(hit) / 100000
		}
		before, during, after := share(0), share(at), share(at+dur)
		if during < 0.6 || during-before < 0.4 || math.Abs(after-before) > 0.01 {
			t.Errorf("hot %q: share before %.3f during %.3f after %.3f", c.key, before, during, after)
		}
	}
	// a node key
	g := mustNew(t, base, 3)
	var ev keying.Event
	g.Next(&ev, 0)
	tr := base
	tr.Hot = &workloads.Hot{At: 0, For: workloads.Duration(time.Hour), Key: ev.Node, Share: 1}
	g = mustNew(t, tr, 3)
	for range 1000 {
		var e keying.Event
		g.Next(&e, time.Minute)
		if e.Node != ev.Node {
			t.Fatalf("share 1 hot node: got %s, want %s", e.Node, ev.Node)
		}
	}
	tr.Hot.Key = "billing-service"
	if _, err := New(tr, 1); err == nil || !strings.Contains(err.Error(), "billing-service") {
		t.Fatalf("unknown hot key: %v", err)
	}
}

func TestAppendJSON(t *testing.T) {
	g := mustNew(t, workloads.Traffic{}, 1)
	var ev keying.Event
	buf := make([]byte, 0, 2048)
	for i := range 2000 {
		g.Next(&ev, 0)
		size := 150 + i%900
		buf = AppendJSON(buf[:0], &ev, size)
		var rec struct {
			Service   string `json:"service"`
			Method    string `json:"method"`
			Path      string `json:"path"`
			Status    int    `json:"status"`
			LatencyUs int    `json:"latency_us"`
			Node      string `json:"node"`
			User      int    `json:"user"`
		}
		if err := json.Unmarshal(buf, &rec); err != nil {
			t.Fatalf("invalid JSON %q: %v", buf, err)
		}
		if len(buf) != size {
			t.Fatalf("size %d, want %d: %s", len(buf), size, buf)
		}
		if rec.Service != ev.Service || rec.Method != ev.Method || rec.Path != string(ev.AppendPath(nil)) ||
			rec.Status != int(ev.Status) || rec.LatencyUs != int(ev.LatencyUs) || rec.Node != ev.Node || rec.User != int(ev.User) {
			t.Fatalf("record %+v from %+v", rec, ev)
		}
	}
	// too small: the whole record, still valid; escaping of odd names
	ev.Service = "we\"ird\\svc\n"
	out := AppendJSON([]byte("prefix"), &ev, 10)
	var m map[string]any
	if err := json.Unmarshal(out[len("prefix"):], &m); err != nil || m["service"] != ev.Service {
		t.Fatalf("%q: %v %v", out, err, m)
	}
}

func TestSourceAndSimulate(t *testing.T) {
	exp := workloads.Defaults()
	exp.Workload.Keying.Strategy = "composite"
	exp.Workload.Keying.OrderBy = "user"
	a, _ := NewSource(&exp, 0, 2)
	b, _ := NewSource(&exp, 0, 2)
	c, _ := NewSource(&exp, 1, 2)
	same := 0
	for i := range 1000 {
		evA, kA, pA := a.Next(time.Duration(i))
		_, kB, pB := b.Next(time.Duration(i))
		_, kC, _ := c.Next(time.Duration(i))
		if string(kA) != string(kB) || pA != pB {
			t.Fatal("same producer not deterministic")
		}
		if string(kA) == string(kC) {
			same++
		}
		if string(kA) != evA.Service+"|"+evA.Node || pA != keying.Murmur2Partition(kA, 6) {
			t.Fatalf("key %q partition %d for %+v", kA, pA, evA)
		}
		if string(a.Entity()) != string(keying.AppendEntity(nil, "user", evA, kA)) {
			t.Fatal("entity")
		}
	}
	if same > 500 {
		t.Fatalf("producers 0 and 1 agree on %d of 1000 keys", same)
	}
	if _, err := NewSource(&exp, 2, 2); err == nil {
		t.Fatal("producer index out of range accepted")
	}
	bad := exp
	bad.Workload.Keying.Partitioner = "modulo"
	if _, err := NewSource(&bad, 0, 1); err == nil {
		t.Fatal("bad partitioner accepted")
	}

	// Simulate = driving the sources by hand with the runner's split.
	exp.Producer.Instances = 3
	exp.Workload.Rate = 3000
	exp.Workload.Keying.Strategy = "path"
	res, err := Simulate(&exp, 10000, 12)
	if err != nil {
		t.Fatal(err)
	}
	load := make([]int64, 6)
	for i := range 3 {
		src, _ := NewSource(&exp, i, 3)
		limit := 10000 / 3
		if i < 10000%3 {
			limit++
		}
		for m := range limit {
			_, _, p := src.Next(time.Duration(m) * time.Second / 1000) // rate 1000 per producer
			load[p]++
		}
	}
	for i := range load {
		if load[i] != res.Load[i] {
			t.Fatalf("Simulate load %v, by hand %v", res.Load, load)
		}
	}
	if res.Messages != 10000 || res.Remap == nil || res.Remap.To != 12 || res.Distinct < 10 {
		t.Fatalf("result %+v", res)
	}
	wantBytes := int64(0)
	_ = wantBytes
	if res.Bytes <= 10000*int64(exp.Workload.Message.Size) {
		t.Fatalf("bytes %d: key lengths not counted", res.Bytes)
	}
	// warmup messages are generated but not counted
	exp.Warmup = workloads.Duration(time.Second)
	res2, _ := Simulate(&exp, 10000, 0)
	if res2.Messages != 10000-3000 {
		t.Fatalf("with 1s warmup at 3000/s counted %d", res2.Messages)
	}
}

func TestZeroAlloc(t *testing.T) {
	exp := workloads.Defaults()
	for _, strat := range keying.StrategyNames() {
		for _, part := range keying.Names() {
			exp.Workload.Keying.Strategy, exp.Workload.Keying.Partitioner = strat, part
			src, err := NewSource(&exp, 0, 1)
			if err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 0, 1024)
			i := 0
			n := testing.AllocsPerRun(2000, func() {
				ev, _, _ := src.Next(time.Duration(i))
				src.Entity()
				buf = AppendJSON(buf[:0], ev, 512)
				i++
			})
			if n != 0 {
				t.Errorf("%s/%s: %.2f allocs per message", strat, part, n)
			}
		}
	}
}

// BenchmarkSourceNext: event generation + keying + placement, per event.
func BenchmarkSourceNext(b *testing.B) {
	for _, c := range []struct{ strategy, partitioner string }{
		{"path", "murmur2"}, {"service", "murmur2"}, {"composite", "murmur2"}, {"random", "murmur2"},
		{"salted", "crc32"}, {"node", "fnv1a"}, {"path", "jump"}, {"none", "sticky"},
	} {
		exp := workloads.Defaults()
		exp.Workload.Keying.Strategy, exp.Workload.Keying.Partitioner = c.strategy, c.partitioner
		exp.Workload.Traffic.Hot = &workloads.Hot{At: workloads.Duration(time.Second), For: workloads.Duration(time.Second), Key: "payment-service", Share: 0.5}
		src, err := NewSource(&exp, 0, 1)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(c.strategy+"/"+c.partitioner, func(b *testing.B) {
			b.ReportAllocs()
			var at time.Duration
			sink := 0
			for b.Loop() {
				_, _, p := src.Next(at)
				sink += p
				at += time.Microsecond
			}
			if sink < 0 {
				b.Fatal(sink)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mevents/s")
		})
	}
}

func BenchmarkAppendJSON(b *testing.B) {
	g := mustNew(b, workloads.Traffic{}, 1)
	var ev keying.Event
	g.Next(&ev, 0)
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendJSON(buf[:0], &ev, 512)
	}
}
