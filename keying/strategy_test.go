package keying

import (
	"strings"
	"testing"
)

func sampleEvent() *Event {
	return &Event{
		Service: "payment-service", Method: "POST", Path: "/payments/{id}/refund", Segment: "payments",
		ID: 4711, Node: "payment-7f9c-2", User: 42, Status: 201, LatencyUs: 1500,
	}
}

func TestStrategies(t *testing.T) {
	ev := sampleEvent()
	cases := []struct {
		cfg  StrategyConfig
		want string
	}{
		{StrategyConfig{Name: "none"}, ""},
		{StrategyConfig{Name: "path"}, "payments"},
		{StrategyConfig{}, "payments"}, // default path
		{StrategyConfig{Name: "service"}, "payment-service"},
		{StrategyConfig{Name: "node"}, "payment-7f9c-2"},
		{StrategyConfig{Name: "composite"}, "payment-service|payment-7f9c-2"},
		{StrategyConfig{Name: "composite", Fields: []string{"user", "path", "status", "method", "route"}}, "42|payments|201|POST|/payments/{id}/refund"},
	}
	dst := make([]byte, 0, 8)
	for _, c := range cases {
		s, err := NewStrategy(c.cfg, 1)
		if err != nil {
			t.Fatal(err)
		}
		dst = s.AppendKey(dst, ev)
		if string(dst) != c.want {
			t.Errorf("%+v: key %q, want %q", c.cfg, dst, c.want)
		}
	}
	for _, bad := range []StrategyConfig{{Name: "hash"}, {Name: "composite", Fields: []string{"pod"}}, {Name: "salted", Salts: -1}, {Name: "salted", Base: "x"}} {
		if _, err := NewStrategy(bad, 1); err == nil {
			t.Errorf("%+v accepted", bad)
		}
	}
}

func TestSaltedAndRandom(t *testing.T) {
	ev := sampleEvent()
	s, _ := NewStrategy(StrategyConfig{Name: "salted", Salts: 4}, 7)
	s2, _ := NewStrategy(StrategyConfig{Name: "salted", Salts: 4}, 7)
	counts := map[string]int{}
	var k, k2 []byte
	for range 40000 {
		k = s.AppendKey(k, ev)
		k2 = s2.AppendKey(k2, ev)
		if string(k) != string(k2) {
			t.Fatal("salted not deterministic per seed")
		}
		counts[string(k)]++
	}
	if len(counts) != 4 {
		t.Fatalf("salted keys %v", counts)
	}
	for i := range 4 {
		key := "payment-service#" + string(rune('0'+i))
		if c := counts[key]; c < 9000 || c > 11000 {
			t.Fatalf("%s: %d of 40000", key, c)
		}
	}
	nb, _ := NewStrategy(StrategyConfig{Name: "salted", Salts: 3, Base: "path"}, 7)
	if k := nb.AppendKey(nil, ev); !strings.HasPrefix(string(k), "payments#") {
		t.Fatalf("salted with base path: %q", k)
	}

	r, _ := NewStrategy(StrategyConfig{Name: "random"}, 1)
	r2, _ := NewStrategy(StrategyConfig{Name: "random"}, 1)
	r3, _ := NewStrategy(StrategyConfig{Name: "random"}, 2)
	seen := map[string]bool{}
	for range 10000 {
		k = r.AppendKey(k, ev)
		if len(k) != 16 || seen[string(k)] {
			t.Fatalf("random key %q repeated or malformed", k)
		}
		seen[string(k)] = true
		if string(r2.AppendKey(nil, ev)) != string(k) {
			t.Fatal("random not deterministic per seed")
		}
		if string(r3.AppendKey(nil, ev)) == string(k) {
			t.Fatal("different seeds give the same random key")
		}
	}
}

func TestEntities(t *testing.T) {
	ev := sampleEvent()
	key := []byte("k#1")
	want := map[string]string{"": "payment-service", "service": "payment-service", "path": "payments", "node": "payment-7f9c-2", "user": "42", "key": "k#1"}
	for ob, w := range want {
		f, err := NewEntity(ob)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(f(nil, ev, key)); got != w {
			t.Errorf("order_by %q: %q, want %q", ob, got, w)
		}
		if got := string(AppendEntity(nil, ob, ev, key)); got != w {
			t.Errorf("AppendEntity %q: %q, want %q", ob, got, w)
		}
	}
	if _, err := NewEntity("tenant"); err == nil {
		t.Fatal("unknown order_by accepted")
	}
}

func TestPathHelpers(t *testing.T) {
	ev := sampleEvent()
	if got := string(ev.AppendPath(nil)); got != "/payments/4711/refund" {
		t.Fatalf("AppendPath %q", got)
	}
	ev.Path = "/users/{id}/orders/{id}"
	if got := string(ev.AppendPath([]byte("x"))); got != "x/users/4711/orders/4711" {
		t.Fatalf("AppendPath %q", got)
	}
	for in, want := range map[string]string{"/order/123": "order", "order": "order", "/": "", "//a/b": "a", "/search?q=1": "search"} {
		if got := FirstSegment(in); got != want {
			t.Errorf("FirstSegment(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestStrategyZeroAlloc(t *testing.T) {
	ev := sampleEvent()
	for _, name := range StrategyNames() {
		s, _ := NewStrategy(StrategyConfig{Name: name, Fields: []string{"service", "user", "node"}}, 1)
		dst := make([]byte, 0, 64)
		ent, _ := NewEntity("user")
		edst := make([]byte, 0, 64)
		n := testing.AllocsPerRun(1000, func() {
			dst = s.AppendKey(dst, ev)
			edst = ent(edst, ev, dst)
		})
		if n != 0 {
			t.Errorf("%s: %.1f allocs", name, n)
		}
	}
}
