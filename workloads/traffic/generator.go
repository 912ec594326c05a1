// Package traffic is kbench's traffic model (SPEC §4): it draws API events
// {service, path, node, user, status, latency} from a catalog of
// microservices with uniform or Zipf popularity and an optional hot-key
// window, renders them as JSON access-log payloads, and — through Source —
// keys and places every message with package keying. The runner and
// `kbench keys` both use Source, so both see the same keys and partitions
// for the same seed.
//
// Everything is deterministic: the same Traffic and seed give the same
// events, whatever the machine. Generation allocates nothing per event.
package traffic

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"

	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/workloads"
)

// Defaults applied when a Traffic field is zero (the SPEC defaults; the
// loader normally fills them already).
const (
	DefaultServices        = 5
	DefaultPathsPerService = 8
	DefaultNodesPerService = 4
	DefaultUsers           = 100000
	DefaultZipfS           = 1.1
	// IDRange: path ids ({id}) are uniform in 1..IDRange.
	IDRange = 1_000_000
)

// Generator draws events. Not safe for concurrent use: one per producer.
type Generator struct {
	services []service
	pick     alias // over services
	users    uint64
	rng      *rand.PCG
	hot      *hotSpot
}

type service struct {
	name   string
	routes []route
	pick   alias // over routes
	nodes  []string
}

type route struct {
	method    string
	path      string
	segment   string
	latencyUs uint32
	status    *statusTable
}

// hotSpot forces Share of the events in [from, to) onto one service,
// route or node.
type hotSpot struct {
	from, to  time.Duration
	threshold uint64 // share * 2^64
	always    bool
	svc       int
	route     int // -1: drawn by popularity
	node      int // -1: drawn uniformly
}

// New builds a generator for t; seed makes it deterministic.
//
// Services: with t.List empty, the first t.Services services of the
// built-in catalog (order, user, payment, auth, inventory, catalog, cart,
// shipping, notification, search, recommendation, review, pricing, loyalty,
// fraud, media, gateway; beyond those the catalog repeats with a "-2", "-3"
// ... suffix on names and first path segments), each with its first
// t.PathsPerService routes (beyond the catalog's routes they repeat with a
// "/v2", "/v3" ... suffix). A t.List entry names a service
// ("payment-service" or "payment"); its paths are REST templates, optionally
// preceded by a method ("POST /payments/{id}/refund"), where "{name}",
// ":name", "<name>" and "*" segments are ids; without paths it gets the
// catalog's routes for its name, or generic CRUD routes. Weights, when any
// is > 0, set the services' shares (a weight of 0 then means no traffic);
// otherwise popularity applies in list order.
//
// Popularity: zipf (default, s = 1.1) or uniform, over services in catalog
// or list order and over each service's routes in order. Nodes
// ("payment-7f9c-2") and users (1..t.Users) are uniform; the status code
// and latency follow the route's method and typical latency.
//
// Hot: from hot.at for hot.for, hot.share of the events go to hot.key: a
// service name ("payment-service" or "payment"), a node ("payment-7f9c-2")
// or a route ("/payments/{id}", "/payments", "payments" for its first
// segment); an unknown key is an error.
func New(t workloads.Traffic, seed int64) (*Generator, error) {
	s := keying.DeriveSeed(seed, 0x74726166)
	g := &Generator{users: uint64(orDefault(t.Users, DefaultUsers)), rng: rand.NewPCG(s, s^0xda3e39cb94b95bdb)}
	if t.Users < 0 {
		return nil, fmt.Errorf("traffic: users must be positive, got %d", t.Users)
	}
	pop, err := popularity(t.Popularity)
	if err != nil {
		return nil, err
	}
	paths := orDefault(t.PathsPerService, DefaultPathsPerService)
	nodes := orDefault(t.NodesPerService, DefaultNodesPerService)
	if paths < 0 || nodes < 0 {
		return nil, fmt.Errorf("traffic: paths_per_service and nodes_per_service must be positive")
	}
	var weights []float64
	if len(t.List) == 0 {
		n := orDefault(t.Services, DefaultServices)
		if n < 0 {
			return nil, fmt.Errorf("traffic: services must be positive, got %d", n)
		}
		for i := range n {
			g.services = append(g.services, catalogFor(i, paths, nodes, pop))
		}
		weights = pop(n)
	} else {
		anyWeight := false
		for _, ls := range t.List {
			if ls.Weight < 0 || math.IsNaN(ls.Weight) || math.IsInf(ls.Weight, 0) {
				return nil, fmt.Errorf("traffic: service %q: weight must be >= 0", ls.Name)
			}
			anyWeight = anyWeight || ls.Weight > 0
		}
		for _, ls := range t.List {
			svc, err := listed(ls, paths, nodes, pop)
			if err != nil {
				return nil, err
			}
			g.services = append(g.services, svc)
			weights = append(weights, ls.Weight)
		}
		if !anyWeight {
			weights = pop(len(t.List))
		}
	}
	g.pick = newAlias(weights)
	if t.Hot != nil {
		if g.hot, err = g.resolveHot(t.Hot); err != nil {
			return nil, err
		}
	}
	return g, nil
}

func orDefault(v, d int) int {
	if v == 0 {
		return d
	}
	return v
}

// popularity returns the weights of n items in rank order.
func popularity(p workloads.Popularity) (func(n int) []float64, error) {
	switch p.Kind {
	case "uniform":
		return func(n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = 1
			}
			return w
		}, nil
	case "", "zipf":
		s := p.S
		if s == 0 {
			s = DefaultZipfS
		}
		if s < 0 || math.IsNaN(s) || math.IsInf(s, 0) {
			return nil, fmt.Errorf("traffic: zipf s must be positive, got %v", p.S)
		}
		return func(n int) []float64 {
			w := make([]float64, n)
			for i := range w {
				w[i] = math.Pow(float64(i+1), -s)
			}
			return w
		}, nil
	}
	return nil, fmt.Errorf("traffic: unknown popularity %q (want uniform or zipf)", p.Kind)
}

// catalogFor builds the i-th generated service.
func catalogFor(i, paths, nodes int, pop func(int) []float64) service {
	c := builtin[i%len(builtin)]
	round := i / len(builtin)
	base := c.base
	suffix := ""
	if round > 0 {
		suffix = "-" + strconv.Itoa(round+1)
		base += suffix
	}
	routes := make([]route, paths)
	for k := range routes {
		cr := c.routes[k%len(c.routes)]
		p := cr.path
		if suffix != "" {
			seg := keying.FirstSegment(p)
			p = "/" + seg + suffix + p[1+len(seg):]
		}
		if v := k / len(c.routes); v > 0 {
			p += "/v" + strconv.Itoa(v+1)
		}
		routes[k] = newRoute(cr.method, p, cr.latencyMs)
	}
	return newService(base+"-service", base, routes, nodes, pop)
}

// listed builds an explicit service.
func listed(ls workloads.Service, paths, nodes int, pop func(int) []float64) (service, error) {
	name := strings.TrimSpace(ls.Name)
	if name == "" {
		return service{}, fmt.Errorf("traffic: a listed service has no name")
	}
	base := strings.TrimSuffix(strings.TrimSuffix(name, "-service"), "-svc")
	if ls.Nodes < 0 {
		return service{}, fmt.Errorf("traffic: service %q: nodes must be positive", name)
	}
	var routes []route
	for _, p := range ls.Paths {
		r, err := parseRoute(p)
		if err != nil {
			return service{}, fmt.Errorf("traffic: service %q: %w", name, err)
		}
		routes = append(routes, r)
	}
	if len(routes) == 0 {
		src := genericRoutes
		generic := true
		if c := findCatalog(base); c != nil {
			src, generic = c.routes, false
		}
		for k := range paths {
			cr := src[k%len(src)]
			p := cr.path
			if generic {
				p = fmt.Sprintf(p, base)
			}
			if v := k / len(src); v > 0 {
				p += "/v" + strconv.Itoa(v+1)
			}
			routes = append(routes, newRoute(cr.method, p, cr.latencyMs))
		}
	}
	return newService(name, base, routes, orDefault(ls.Nodes, nodes), pop), nil
}

// parseRoute reads "[METHOD ]/path/with/{ids}".
func parseRoute(s string) (route, error) {
	s = strings.TrimSpace(s)
	method := "GET"
	if i := strings.IndexByte(s, ' '); i > 0 {
		method, s = strings.ToUpper(s[:i]), strings.TrimSpace(s[i+1:])
	}
	if !strings.HasPrefix(s, "/") {
		return route{}, fmt.Errorf("path %q must start with /", s)
	}
	segs := strings.Split(s, "/")
	for i, seg := range segs {
		if seg == "*" || strings.HasPrefix(seg, ":") ||
			(strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}")) ||
			(strings.HasPrefix(seg, "<") && strings.HasSuffix(seg, ">")) {
			segs[i] = "{id}"
		}
	}
	lat := uint32(20)
	if method != "GET" {
		lat = 40
	}
	return newRoute(method, strings.Join(segs, "/"), lat), nil
}

func newRoute(method, path string, latencyMs uint32) route {
	return route{
		method:    method,
		path:      path,
		segment:   keying.FirstSegment(path),
		latencyUs: latencyMs * 1000,
		status:    statusFor(method),
	}
}

func newService(name, base string, routes []route, nodes int, pop func(int) []float64) service {
	svc := service{name: name, routes: routes, pick: newAlias(pop(len(routes)))}
	tag := keying.FNV1a32([]byte(name)) & 0xffff
	for i := range nodes {
		svc.nodes = append(svc.nodes, fmt.Sprintf("%s-%04x-%d", base, tag, i))
	}
	return svc
}

func (g *Generator) resolveHot(h *workloads.Hot) (*hotSpot, error) {
	if h.Share <= 0 || h.Share > 1 || math.IsNaN(h.Share) {
		return nil, fmt.Errorf("traffic: hot share must be in (0, 1], got %v", h.Share)
	}
	hs := &hotSpot{from: h.At.D(), to: h.At.D() + h.For.D(), svc: -1, route: -1, node: -1}
	if h.Share >= 1 {
		hs.always = true
	} else {
		hs.threshold = uint64(h.Share * (1 << 63) * 2)
	}
	key := strings.TrimSpace(h.Key)
	for i := range g.services {
		s := &g.services[i]
		if s.name == key || strings.TrimSuffix(s.name, "-service") == key {
			hs.svc = i
			return hs, nil
		}
	}
	for i := range g.services {
		for j, n := range g.services[i].nodes {
			if n == key {
				hs.svc, hs.node = i, j
				return hs, nil
			}
		}
	}
	for i := range g.services {
		for j, r := range g.services[i].routes {
			if r.path == key || r.segment == strings.TrimPrefix(key, "/") {
				hs.svc, hs.route = i, j
				return hs, nil
			}
		}
	}
	var names []string
	for _, s := range g.services {
		names = append(names, s.name)
	}
	return nil, fmt.Errorf("traffic: hot key %q names no service, node or path of the workload (services: %s)", h.Key, strings.Join(names, ", "))
}

// Services lists the service names in catalog/list order.
func (g *Generator) Services() []string {
	out := make([]string, len(g.services))
	for i, s := range g.services {
		out[i] = s.name
	}
	return out
}

// Next fills ev with the next event, intended at offset at since the start
// of the run (which decides whether the hot window applies).
func (g *Generator) Next(ev *keying.Event, at time.Duration) {
	si, ri, ni := -1, -1, -1
	if h := g.hot; h != nil && at >= h.from && at < h.to && (h.always || g.rng.Uint64() < h.threshold) {
		si, ri, ni = h.svc, h.route, h.node
	}
	if si < 0 {
		si = g.pick.sample(g.rng.Uint64())
	}
	svc := &g.services[si]
	if ri < 0 {
		ri = svc.pick.sample(g.rng.Uint64())
	}
	r := &svc.routes[ri]
	x := g.rng.Uint64()
	if ni < 0 {
		ni = int(mulHi32(uint32(x), uint32(len(svc.nodes))))
	}
	user := 1 + mulHi32(uint32(x>>32), uint32(g.users))
	y := g.rng.Uint64()
	status := r.status.pick(uint16(y))
	lat := r.latencyUs/2 + uint32(uint64(r.latencyUs)*uint64(uint16(y>>16))>>16)
	if uint8(y>>32) < 3 { // ~1.2% tail: 4..11x slower
		lat *= 4 + uint32(x>>8)&7
	}
	if status >= 500 {
		lat *= 5
	}
	ev.Service = svc.name
	ev.Method = r.method
	ev.Path = r.path
	ev.Segment = r.segment
	ev.ID = 1 + uint32((y>>40)*IDRange>>24)
	ev.Node = svc.nodes[ni]
	ev.User = user
	ev.Status = status
	ev.LatencyUs = lat
}

func mulHi32(a, n uint32) uint32 { return uint32(uint64(a) * uint64(n) >> 32) }

// alias is Vose's alias method: O(1) sampling from a discrete
// distribution with one 64-bit random number.
type alias struct {
	prob  []uint64 // acceptance threshold, 1.0 = 1<<32
	alias []int32
}

func newAlias(weights []float64) alias {
	n := len(weights)
	a := alias{prob: make([]uint64, n), alias: make([]int32, n)}
	var sum float64
	for _, w := range weights {
		sum += w
	}
	if n == 0 {
		return a
	}
	if sum <= 0 { // nothing weighted: uniform
		for i := range weights {
			a.prob[i] = 1 << 32
		}
		return a
	}
	scaled := make([]float64, n)
	var small, large []int
	for i, w := range weights {
		scaled[i] = w * float64(n) / sum
		if scaled[i] < 1 {
			small = append(small, i)
		} else {
			large = append(large, i)
		}
	}
	for len(small) > 0 && len(large) > 0 {
		s, l := small[len(small)-1], large[len(large)-1]
		small = small[:len(small)-1]
		a.prob[s] = uint64(scaled[s] * (1 << 32))
		a.alias[s] = int32(l)
		scaled[l] -= 1 - scaled[s]
		if scaled[l] < 1 {
			large = large[:len(large)-1]
			small = append(small, l)
		}
	}
	for _, i := range large {
		a.prob[i] = 1 << 32
	}
	for _, i := range small { // rounding leftovers
		a.prob[i] = 1 << 32
	}
	return a
}

func (a *alias) sample(r uint64) int {
	i := int((r >> 32) * uint64(len(a.prob)) >> 32)
	if r&0xffffffff < a.prob[i] {
		return i
	}
	return int(a.alias[i])
}

// statusTable draws an HTTP status with 16-bit thresholds.
type statusTable struct {
	codes [6]uint16
	upto  [6]uint32 // cumulative, out of 65536
}

func (t *statusTable) pick(u uint16) uint16 {
	for i, c := range t.upto {
		if uint32(u) < c {
			return t.codes[i]
		}
	}
	return t.codes[0]
}

func mkStatus(pairs ...float64) *statusTable {
	t := &statusTable{}
	var acc float64
	for i := 0; i < len(pairs); i += 2 {
		acc += pairs[i+1]
		t.codes[i/2] = uint16(pairs[i])
		t.upto[i/2] = uint32(acc * 65536)
	}
	t.upto[len(pairs)/2-1] = 65536
	for i := len(pairs) / 2; i < len(t.upto); i++ {
		t.codes[i], t.upto[i] = t.codes[0], 65536
	}
	return t
}

var (
	statusGet    = mkStatus(200, 0.945, 304, 0.02, 404, 0.025, 500, 0.007, 503, 0.003)
	statusPost   = mkStatus(201, 0.90, 200, 0.03, 400, 0.04, 409, 0.015, 500, 0.01, 503, 0.005)
	statusPut    = mkStatus(200, 0.94, 204, 0.02, 400, 0.02, 404, 0.01, 500, 0.01)
	statusDelete = mkStatus(204, 0.95, 404, 0.04, 500, 0.01)
)

func statusFor(method string) *statusTable {
	switch method {
	case "POST":
		return statusPost
	case "PUT", "PATCH":
		return statusPut
	case "DELETE":
		return statusDelete
	}
	return statusGet
}
