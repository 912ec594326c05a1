package workloads

import (
	"fmt"
	"net"
	"strings"

	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/keysource"
	"github.com/kbench/kbench/keying"
)

// The allowed values of each enumerated field.
var (
	Strategies      = keying.StrategyNames()
	Partitioners    = keying.Names()
	AcksValues      = []string{"0", "1", "all"}
	Compressions    = []string{"none", "gzip", "snappy", "lz4", "zstd"}
	CommitModes     = []string{"auto", "after-process", "before-process", "transactional"}
	ShapeKinds      = []string{"constant", "ramp", "step", "sine", "burst"}
	FaultKinds      = []string{"consumer-crash", "consumer-leave", "consumer-join", "consumer-stall", "processing-spike", "produce-error", "produce-timeout", "produce-latency", "fetch-latency", "leader-move"}
	CompositeFields = []string{"service", "path", "node", "user", "status"}
	OrderByValues   = []string{"service", "path", "node", "user", "key"}
	Drivers         = driver.Names()
	Assignors       = driver.Assignors()
	MessageFormats  = []string{"bytes", "json"}
	PopularityKinds = []string{"uniform", "zipf"}
	SASLMechanisms  = []string{"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"}
)

// shapeParams lists, per shape kind, the keys it requires; the other shape
// keys are errors for that kind.
var shapeParams = map[string][]string{
	"constant": {},
	"ramp":     {"from", "to", "over"},
	"step":     {"steps"},
	"sine":     {"mean", "amplitude", "period"},
	"burst":    {"base", "peak", "every", "for"},
}

// IsBrokerFault reports whether a fault kind is injected by the embedded
// broker (and so cannot run against an external cluster).
func IsBrokerFault(kind string) bool {
	switch kind {
	case "produce-error", "produce-timeout", "produce-latency", "fetch-latency", "leader-move":
		return true
	}
	return false
}

// IsConsumerFault reports whether a fault kind acts on a consumer group.
func IsConsumerFault(kind string) bool {
	return strings.HasPrefix(kind, "consumer-") || kind == FaultProcessingSpike
}

// FaultProcessingSpike raises per-message processing time for a while.
const FaultProcessingSpike = "processing-spike"

// Validate checks an Experiment built in code (files are validated as they
// load); errors carry paths but no positions.
func (e *Experiment) Validate() error {
	l := &loader{}
	l.validate(e, map[string]Pos{})
	if len(l.errs) > 0 {
		return l.errs
	}
	return nil
}

type checker struct {
	l   *loader
	e   *Experiment
	pos map[string]Pos
}

func (c *checker) errf(path, format string, args ...any) {
	c.l.errs = append(c.l.errs, errorAt(c.l.file, c.pos, path, path+": "+fmt.Sprintf(format, args...)))
}

func (c *checker) has(path string) bool { _, ok := c.pos[path]; return ok }

func (c *checker) enum(path, v string, allowed []string) bool {
	for _, a := range allowed {
		if v == a {
			return true
		}
	}
	msg := fmt.Sprintf("invalid value %q; want one of %s", v, strings.Join(allowed, ", "))
	if s := closest(v, allowed); s != "" && len(v) > 2 {
		msg = fmt.Sprintf("invalid value %q (did you mean %q?); want one of %s", v, s, strings.Join(allowed, ", "))
	}
	c.errf(path, "%s", msg)
	return false
}

func (c *checker) positive(path string, v int64) {
	if v < 1 {
		c.errf(path, "must be at least 1, got %d", v)
	}
}

func (c *checker) nonNeg(path string, v float64) {
	if v < 0 {
		c.errf(path, "must not be negative, got %g", v)
	}
}

// validate checks every cross-field rule of e, positioned by pos.
func (l *loader) validate(e *Experiment, pos map[string]Pos) {
	c := &checker{l: l, e: e, pos: pos}
	if e.Version != SchemaVersion {
		c.errf("version", "unsupported version %d (this kbench reads version %d)", e.Version, SchemaVersion)
	}
	if e.Duration <= 0 {
		c.errf("duration", "must be positive")
	}
	if e.Warmup >= e.Duration && e.Warmup > 0 {
		c.errf("warmup", "warmup (%s) must be shorter than duration (%s)", e.Warmup, e.Duration)
	}
	if e.Repeat < 1 || e.Repeat > MaxRepeat {
		c.errf("repeat", "must be 1 to %d, got %d", MaxRepeat, e.Repeat)
	}
	c.cluster()
	c.topic()
	c.existingTopic()
	c.workload()
	c.producer()
	c.consumers()
	c.faults()
	c.gates()
	c.search()
}

func (c *checker) cluster() {
	cl := c.e.Cluster
	if cl == nil {
		return
	}
	if len(cl.Brokers) == 0 {
		c.errf("cluster.brokers", "at least one broker (host:port) is required; omit cluster: for the embedded broker")
	}
	for i, b := range cl.Brokers {
		if _, port, err := net.SplitHostPort(b); err != nil || port == "" {
			c.errf(fmt.Sprintf("cluster.brokers.%d", i), "%q is not host:port", b)
		}
	}
	if s := cl.SASL; s != nil {
		if c.enum("cluster.sasl.mechanism", strings.ToUpper(s.Mechanism), SASLMechanisms) {
			s.Mechanism = strings.ToUpper(s.Mechanism)
		}
		if s.Username == "" {
			c.errf("cluster.sasl.username", "is required")
		}
	}
	if t := cl.TLS; t != nil && (t.Cert == "") != (t.Key == "") {
		c.errf("cluster.tls", "cert and key go together")
	}
}

func (c *checker) topic() {
	t := c.e.Topic
	c.positive("topic.partitions", int64(t.Partitions))
	c.positive("topic.replication", int64(t.Replication))
	if t.Repartition != 0 && t.Repartition <= t.Partitions {
		c.errf("topic.repartition", "%d: must be more than topic.partitions (%d), or 0 for off", t.Repartition, t.Partitions)
	}
	c.repartitionAt()
	if len(t.Name) > 249 {
		c.errf("topic.name", "longer than Kafka's 249 characters")
	}
	if topicSafe(t.Name) != t.Name || strings.Contains(t.Name, ",") {
		c.errf("topic.name", "%q: a topic name may only hold a-z, A-Z, 0-9, '.', '_' and '-'", t.Name)
	}
}

func (c *checker) workload() {
	w := &c.e.Workload
	c.nonNeg("workload.rate", w.Rate)
	if w.Messages < 0 {
		c.errf("workload.messages", "must not be negative")
	}
	c.shape()
	if c.enum("workload.message.format", w.Message.Format, MessageFormats) && w.Message.Size < 1 {
		c.errf("workload.message.size", "must be at least 1 byte")
	}
	if w.Message.Size > c.e.Producer.BatchBytes {
		c.errf("workload.message.size", "%s does not fit in producer.batch_bytes (%s)", w.Message.Size, c.e.Producer.BatchBytes)
	}

	tr := &w.Traffic
	if len(tr.List) == 0 {
		c.positive("workload.traffic.services", int64(tr.Services))
	} else if c.has("workload.traffic.services") {
		c.errf("workload.traffic.services", "give services or list, not both")
	}
	names := map[string]int{}
	for i, s := range tr.List {
		p := fmt.Sprintf("workload.traffic.list.%d", i)
		if s.Name == "" {
			c.errf(p+".name", "is required")
		} else if j, dup := names[s.Name]; dup {
			c.errf(p+".name", "duplicate service %q (also list entry %d)", s.Name, j)
		}
		names[s.Name] = i
		c.nonNeg(p+".weight", s.Weight)
		if s.Nodes < 0 {
			c.errf(p+".nodes", "must not be negative")
		}
		for j, path := range s.Paths {
			if !strings.HasPrefix(path, "/") {
				c.errf(fmt.Sprintf("%s.paths.%d", p, j), "%q: a path starts with /", path)
			}
		}
	}
	c.positive("workload.traffic.paths_per_service", int64(tr.PathsPerService))
	c.positive("workload.traffic.nodes_per_service", int64(tr.NodesPerService))
	c.positive("workload.traffic.users", int64(tr.Users))
	if c.enum("workload.traffic.popularity.kind", tr.Popularity.Kind, PopularityKinds) && tr.Popularity.Kind == "zipf" && tr.Popularity.S <= 0 {
		c.errf("workload.traffic.popularity.s", "must be positive for zipf")
	}
	if h := tr.Hot; h != nil {
		if h.Key == "" {
			c.errf("workload.traffic.hot.key", "is required")
		}
		if h.Share <= 0 || h.Share > 1 {
			c.errf("workload.traffic.hot.share", "must be in (0, 1], got %g", h.Share)
		}
		if h.For <= 0 {
			c.errf("workload.traffic.hot.for", "must be positive")
		}
		if h.At >= c.e.Warmup+c.e.Duration {
			c.errf("workload.traffic.hot.at", "%s is after the run ends (warmup + duration = %s)", h.At, c.e.Warmup+c.e.Duration)
		}
	}

	c.replay()

	k := &w.Keying
	c.enum("workload.keying.strategy", k.Strategy, Strategies)
	if k.Strategy == "composite" {
		if len(k.Fields) == 0 {
			c.errf("workload.keying.fields", "composite needs at least one field (%s)", strings.Join(CompositeFields, ", "))
		}
		seen := map[string]bool{}
		for i, f := range k.Fields {
			p := fmt.Sprintf("workload.keying.fields.%d", i)
			if c.enum(p, f, CompositeFields) && seen[f] {
				c.errf(p, "duplicate field %q", f)
			}
			seen[f] = true
		}
	}
	c.positive("workload.keying.salts", int64(k.Salts))
	c.enum("workload.keying.partitioner", k.Partitioner, Partitioners)
	c.enum("workload.keying.order_by", k.OrderBy, OrderByValues)
}

// replay checks workload.traffic.keys: the file is read now, so a bad line
// is reported (FILE:LINE) before any load is sent.
func (c *checker) replay() {
	tr := &c.e.Workload.Traffic
	if tr.Keys == nil {
		return
	}
	if tr.Keys.From == "" {
		c.errf("workload.traffic.keys.from", "is required (a key file, e.g. from kbench keys --save-keys)")
		return
	}
	if c.has("workload.keying.strategy") {
		c.errf("workload.keying.strategy", "workload.traffic.keys replays real keys in place of a strategy; give one or the other")
	}
	if tr.Hot != nil {
		c.errf("workload.traffic.hot", "a hot-key window shapes generated keys; replayed keys (workload.traffic.keys) have their own frequencies")
	}
	if _, err := keysource.LoadDistribution(tr.Keys.From); err != nil {
		c.errf("workload.traffic.keys.from", "%v", err)
	}
}

func (c *checker) shape() {
	s := &c.e.Workload.Shape
	if !c.enum("workload.shape.kind", s.Kind, ShapeKinds) {
		return
	}
	need := shapeParams[s.Kind]
	for _, key := range fieldsOf(typeOfShape).keys {
		if key == "kind" {
			continue
		}
		p := "workload.shape." + key
		required := contains(need, key)
		switch {
		case required && !c.has(p):
			c.errf("workload.shape", "a %s shape needs %s (%s)", s.Kind, key, strings.Join(need, ", "))
		case !required && c.has(p):
			c.errf(p, "does not apply to a %s shape", s.Kind)
		}
	}
	switch s.Kind {
	case "ramp":
		c.nonNeg("workload.shape.from", s.From)
		c.nonNeg("workload.shape.to", s.To)
		if c.has("workload.shape.over") && s.Over <= 0 {
			c.errf("workload.shape.over", "must be positive")
		}
	case "step":
		if c.has("workload.shape.steps") && len(s.Steps) == 0 {
			c.errf("workload.shape.steps", "needs at least one step")
		}
		for i, st := range s.Steps {
			c.nonNeg(fmt.Sprintf("workload.shape.steps.%d.rate", i), st.Rate)
			if st.For <= 0 {
				c.errf(fmt.Sprintf("workload.shape.steps.%d.for", i), "must be positive")
			}
		}
	case "sine":
		if c.has("workload.shape.mean") && s.Mean <= 0 {
			c.errf("workload.shape.mean", "must be positive")
		}
		c.nonNeg("workload.shape.amplitude", s.Amplitude)
		if s.Amplitude > s.Mean {
			c.errf("workload.shape.amplitude", "%g exceeds mean %g (the rate would go negative)", s.Amplitude, s.Mean)
		}
		if c.has("workload.shape.period") && s.Period <= 0 {
			c.errf("workload.shape.period", "must be positive")
		}
	case "burst":
		c.nonNeg("workload.shape.base", s.Base)
		if s.Peak < s.Base {
			c.errf("workload.shape.peak", "%g is below base %g", s.Peak, s.Base)
		}
		if c.has("workload.shape.every") && s.Every <= 0 {
			c.errf("workload.shape.every", "must be positive")
		}
		if c.has("workload.shape.for") && (s.For <= 0 || s.For > s.Every) {
			c.errf("workload.shape.for", "must be positive and at most every (%s)", s.Every)
		}
	}
}

var typeOfShape = typeOf[Shape]()

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (c *checker) producer() {
	p := &c.e.Producer
	c.enum("producer.driver", p.Driver, Drivers)
	c.positive("producer.instances", int64(p.Instances))
	c.positive("producer.batch_size", int64(p.BatchSize))
	c.positive("producer.batch_bytes", int64(p.BatchBytes))
	if p.Acks == "-1" {
		p.Acks = "all"
	}
	c.enum("producer.acks", p.Acks, AcksValues)
	c.enum("producer.compression", p.Compression, Compressions)
	c.positive("producer.max_in_flight", int64(p.MaxInFlight))
}

func (c *checker) consumers() {
	seen := map[string]int{}
	for i, g := range c.e.Consumers {
		p := fmt.Sprintf("consumers.%d", i)
		if g.Group == "" {
			c.errf(p+".group", "a consumer group needs a group id")
		} else if j, dup := seen[g.Group]; dup {
			at := ""
			if pp, ok := c.pos[fmt.Sprintf("consumers.%d.group", j)]; ok && pp.Line > 0 {
				at = fmt.Sprintf(" (first at line %d)", pp.Line)
			}
			c.errf(p+".group", "duplicate group %q%s", g.Group, at)
		} else {
			seen[g.Group] = i
		}
		c.positive(p+".instances", int64(g.Instances))
		c.pollAndAssignor(p, g)
		if c.enum(p+".commit", g.Commit, CommitModes) && g.Commit == "transactional" && c.e.Producer.Acks != "all" {
			c.errf(p+".commit", "transactional needs producer.acks: all (got %s)", c.e.Producer.Acks)
		}
		if g.SessionTimeout <= 0 {
			c.errf(p+".session_timeout", "must be positive")
		}
		if g.HeartbeatInterval <= 0 {
			c.errf(p+".heartbeat_interval", "must be positive")
		} else if g.HeartbeatInterval >= g.SessionTimeout {
			c.errf(p+".heartbeat_interval", "heartbeat_interval (%s) must be shorter than session_timeout (%s)", g.HeartbeatInterval, g.SessionTimeout)
		}
	}
}

func (c *checker) faults() {
	groups := map[string]ConsumerGroup{}
	var names []string
	for _, g := range c.e.Consumers {
		groups[g.Group] = g
		names = append(names, g.Group)
	}
	end := c.e.Warmup + c.e.Duration
	for i := range c.e.Faults {
		f := &c.e.Faults[i]
		p := fmt.Sprintf("faults.%d", i)
		if !c.has(p + ".kind") {
			c.errf(p, "a fault needs a kind (%s)", strings.Join(FaultKinds, ", "))
			continue
		}
		if !c.enum(p+".kind", f.Kind, FaultKinds) {
			continue
		}
		if f.At >= end {
			c.errf(p+".at", "%s is after the run ends (warmup + duration = %s)", f.At, end)
		}
		if f.Rate <= 0 || f.Rate > 1 {
			c.errf(p+".rate", "must be in (0, 1], got %g", f.Rate)
		}
		if IsConsumerFault(f.Kind) {
			switch {
			case f.Group == "" && len(names) == 1:
				f.Group = names[0]
			case f.Group == "":
				c.errf(p, "%s needs group (one of: %s)", f.Kind, strings.Join(names, ", "))
			}
			if g, ok := groups[f.Group]; f.Group != "" && !ok {
				msg := fmt.Sprintf("no consumer group %q (groups: %s)", f.Group, strings.Join(names, ", "))
				if len(names) == 0 {
					msg = fmt.Sprintf("no consumer group %q (the experiment has no consumers)", f.Group)
				}
				if s := closest(f.Group, names); s != "" {
					msg = fmt.Sprintf("no consumer group %q; did you mean %q?", f.Group, s)
				}
				c.errf(p+".group", "%s", msg)
			} else if ok && f.Kind != "consumer-join" && f.Instance >= g.Instances {
				c.errf(p+".instance", "group %s has %d instance(s); instance is 0-based", f.Group, g.Instances)
			}
			if f.Instance < 0 {
				c.errf(p+".instance", "must not be negative")
			}
			if f.Kind == "consumer-stall" && f.For <= 0 {
				c.errf(p+".for", "consumer-stall needs for (how long the consumer stalls)")
			}
			c.spike(p, f)
			for _, k := range []string{"rate", "latency"} {
				if c.has(p + "." + k) {
					c.errf(p+"."+k, "does not apply to %s", f.Kind)
				}
			}
			continue
		}
		// broker faults
		if c.e.Cluster != nil {
			c.errf(p+".kind", "%s needs the embedded broker (remove cluster: or this fault)", f.Kind)
		}
		for _, k := range []string{"group", "instance"} {
			if c.has(p + "." + k) {
				c.errf(p+"."+k, "does not apply to %s", f.Kind)
			}
		}
		if strings.HasSuffix(f.Kind, "-latency") && f.Latency <= 0 {
			c.errf(p+".latency", "%s needs latency (e.g. 50ms)", f.Kind)
		} else if !strings.HasSuffix(f.Kind, "-latency") && c.has(p+".latency") {
			c.errf(p+".latency", "does not apply to %s", f.Kind)
		}
	}
}

func (c *checker) gates() {
	for i, g := range c.e.Gates {
		p := fmt.Sprintf("gates.%d", i)
		if g == badGate {
			continue // already reported as not a string
		}
		if strings.TrimSpace(g) == "" {
			c.errf(p, "empty gate")
			continue
		}
		if err := checkGate(g, c.e); err != nil {
			// The error names the gate itself.
			c.l.errs = append(c.l.errs, errorAt(c.l.file, c.pos, p, err.Error()))
		}
	}
}
