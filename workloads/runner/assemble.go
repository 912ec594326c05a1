package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/faultconn"
	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/workloads/pace"
	"github.com/kbench/kbench/workloads/traffic"
)

// initProducer wires producer i of n: its share of the rate, its traffic
// source (seeded per producer), and its client.
func (vr *variantRun) initProducer(p *producer, i, n int, start, measureFrom, end time.Time) error {
	exp := vr.exp
	share := 1 / float64(n)
	shape, err := pace.FromSpec(exp.Workload.Shape, exp.Workload.Rate, share)
	if err != nil {
		return fmt.Errorf("workload.shape: %w", err)
	}
	p.pacer = pace.NewPacer(shape)
	p.src, err = traffic.NewSource(exp, i, n)
	if err != nil {
		return err
	}
	if rp := exp.Topic.Repartition; rp > 0 {
		part, err := keying.NewPartitioner(exp.Workload.Keying.Partitioner, keying.PartitionerOptions{BatchSize: exp.Producer.BatchSize})
		if err != nil {
			return err
		}
		p.an.TrackRemap(rp, part)
	}
	p.runID = vr.runID
	p.log = vr.opt.Log
	p.start, p.measureFrom, p.end = start, measureFrom, end
	p.maxInFlight = int64(max(exp.Producer.MaxInFlight, chunk))
	if m := exp.Workload.Messages; m > 0 {
		p.limit = uint64(m / int64(n))
		if int64(i) < m%int64(n) {
			p.limit++
		}
	}
	size := int(exp.Workload.Message.Size)
	p.size = size
	p.jsonFmt = exp.Workload.Message.Format == "json"
	if !p.jsonFmt {
		// The kbench header rides in a record header; the value fills the
		// rest of the configured size.
		fill := max(size-wire.Size-len(wire.HeaderKey), 0)
		p.filler = make([]byte, fill)
		for j := range p.filler {
			p.filler[j] = byte('a' + j%26)
		}
	}
	cfg := driver.ProducerConfig{
		Brokers:     vr.brokers,
		Topic:       vr.topic,
		ClientID:    fmt.Sprintf("kbench-producer-%d", i),
		BatchSize:   exp.Producer.BatchSize,
		BatchBytes:  int64(exp.Producer.BatchBytes),
		Linger:      exp.Producer.Linger.D(),
		Acks:        exp.Producer.Acks,
		Compression: exp.Producer.Compression,
		OnAck:       p.onAck,
		Net:         vr.opt.Net,
	}
	switch exp.Producer.Driver {
	case "", "kafka-go":
		p.drv, err = driver.NewKafkaGoProducer(cfg)
	case "franz-go":
		p.drv, err = driver.NewFranzGoProducer(cfg)
	default:
		return fmt.Errorf("producer.driver %q is not available", exp.Producer.Driver)
	}
	return err
}

// addMember starts consumer instance i of g, dialling through its own
// fault switch.
func (vr *variantRun) addMember(ctx context.Context, g *group, i int) (*member, error) {
	sw := &faultconn.Switch{}
	net := vr.opt.Net
	net.Dial = sw.DialFunc
	cfg := driver.ConsumerConfig{
		Brokers:           vr.brokers,
		Topic:             vr.topic,
		Group:             g.id,
		Instance:          i,
		Commit:            g.cfg.Commit,
		Output:            g.out,
		SessionTimeout:    g.cfg.SessionTimeout.D(),
		HeartbeatInterval: g.cfg.HeartbeatInterval.D(),
		Net:               net,
	}
	newConsumer := driver.NewKafkaGoConsumer
	if vr.exp.Producer.Driver == "franz-go" {
		newConsumer = driver.NewFranzGoConsumer
	}
	c, err := newConsumer(cfg)
	if err != nil {
		return nil, err
	}
	return g.start(ctx, i, c, sw, vr.exp.Topic.Partitions), nil
}

// assemble turns every recorder into the variant's figures.
func (vr *variantRun) assemble(start, measureFrom, sendEnd time.Time, hwm []int64, hwmErr error, drainMs float64, drained bool) report.Variant {
	exp := vr.exp
	P := exp.Topic.Partitions
	v := report.Variant{
		Name:   vr.name,
		Params: vr.params,
		Config: report.VariantConfig{
			Strategy:    exp.Workload.Keying.Strategy,
			Partitioner: exp.Workload.Keying.Partitioner,
			Partitions:  P,
			Acks:        exp.Producer.Acks,
			BatchSize:   exp.Producer.BatchSize,
			Linger:      exp.Producer.Linger.D().String(),
			Compression: exp.Producer.Compression,
			Producers:   exp.Producer.Instances,
			MessageSize: int64(exp.Workload.Message.Size),
			TargetRate:  exp.Workload.Rate,
			Driver:      exp.Producer.Driver,
		},
		Histograms: map[string]string{},
		Gates:      []report.GateResult{},
	}
	lat, corr, delay := report.NewHistogram(), report.NewHistogram(), report.NewHistogram()
	partMsgs := make([]int64, P)
	partBytes := make([]int64, P)
	an := keying.NewAnalyzer(P)
	if rp := exp.Topic.Repartition; rp > 0 {
		part, _ := keying.NewPartitioner(exp.Workload.Keying.Partitioner, keying.PartitionerOptions{BatchSize: exp.Producer.BatchSize})
		an.TrackRemap(rp, part)
	}
	acked := delivery.NewAcked()
	var lastAck time.Time
	for _, p := range vr.producers {
		p.mu.Lock()
		lat.Merge(p.lat)
		corr.Merge(p.corr)
		v.Produce.Messages += p.measured
		v.Produce.Bytes += p.bytes
		v.Produce.Errors += p.errors
		if p.firstErr != nil && v.Produce.FirstError == "" {
			v.Produce.FirstError = p.firstErr.Error()
		}
		for i := range partMsgs {
			partMsgs[i] += p.partMsgs[i]
			partBytes[i] += p.partBytes[i]
		}
		acked.For(p.id).Merge(p.acked.Set())
		if p.lastAck.After(lastAck) {
			lastAck = p.lastAck
		}
		p.mu.Unlock()
		delay.Merge(p.sendDelay)
		an.Merge(p.an)
	}
	// The measured window runs from the end of warmup until the last
	// acknowledgement (or the end of sending, if later).
	endAt := sendEnd
	if lastAck.After(endAt) {
		endAt = lastAck
	}
	secs := endAt.Sub(measureFrom).Seconds()
	if secs < 0 {
		secs = 0
	}
	v.DurationS = round3(secs)
	if secs > 0 {
		v.Produce.Throughput.MsgsPerS = float64(v.Produce.Messages) / secs
		v.Produce.Throughput.MiBPerS = float64(v.Produce.Bytes) / secs / (1 << 20)
	}
	// A shard reports its share of the producers and of the rate, so that
	// kbench merge's sums are the run's.
	share := 1.0
	if vr.shard.Sharded() {
		local := vr.shard.local(exp.Producer.Instances)
		share = float64(local) / float64(exp.Producer.Instances)
		v.Config.Producers = local
		v.Config.TargetRate = exp.Workload.Rate * share
	}
	if exp.Workload.Rate > 0 {
		if shape, err := pace.FromSpec(exp.Workload.Shape, exp.Workload.Rate, share); err == nil && shape != nil {
			d := exp.Duration.D()
			from := exp.Warmup.D()
			if d > 0 {
				v.Produce.Throughput.TargetMsgsPerS = (shape.Hits(from+d) - shape.Hits(from)) / d.Seconds()
			}
		}
	}
	v.Produce.Latency = lat.Summary()
	v.Produce.LatencyCorrected = corr.Summary()
	v.Produce.SendDelay = delay.Summary()
	encode(v.Histograms, "produce", lat)
	encode(v.Histograms, "produce_corrected", corr)
	encode(v.Histograms, "send_delay", delay)

	warm := make([]int64, P)
	for _, p := range vr.producers {
		p.mu.Lock()
		for i := range warm {
			warm[i] += p.warmParts[i]
		}
		p.mu.Unlock()
	}
	for i := 0; i < P; i++ {
		// The broker's count for the measured phase: its high watermark
		// less the warmup messages acknowledged on the partition.
		bm := int64(-1)
		if hwmErr == nil && i < len(hwm) {
			bm = hwm[i] - warm[i]
		}
		v.Partitions = append(v.Partitions, report.Partition{Partition: i, Messages: partMsgs[i], Bytes: partBytes[i], BrokerMessages: bm})
	}
	v.Skew = keying.ComputeSkew(partMsgs)
	v.BytesSkew = keying.ComputeSkew(partBytes)

	a := an.Result()
	v.Keys.Distinct = a.Distinct
	v.Keys.PerPart = a.KeysPerPartition
	for _, k := range a.Top {
		v.Keys.Top = append(v.Keys.Top, report.HotKey{Key: k.Key, Share: k.Share})
	}
	v.Keys.Ordering = report.Ordering{PreservedShare: a.Ordering.PreservedShare, MaxSpread: a.Ordering.MaxSpread}
	if a.Remap != nil {
		v.Keys.RemapShare = &report.RemapShare{From: a.Remap.From, To: a.Remap.To, Keys: a.Remap.Keys, Traffic: a.Remap.Traffic}
	}

	e2eAll := report.NewHistogram()
	s := vr.sampler
	s.mu.Lock()
	defer s.mu.Unlock()
	for gi, g := range vr.groups {
		g.mu.Lock()
		e2e := g.e2e
		g.mu.Unlock()
		e2eAll.Merge(e2e)
		// A transactional group's delivery is what downstream sees: its
		// committed output, read by the verifier (verifier.go).
		tracker := g.tracker
		if g.ver != nil {
			tracker = g.ver.tracker
		}
		lost, dup, reord, foreign := tracker.Result(acked)
		if !drained || vr.shard.Sharded() {
			// Cut short before the drain: what is still in flight is not
			// lost, it is unknown. A shard cannot tell either: other
			// shards' members consume some of its messages (kbench merge
			// computes lost from the delivery_state).
			lost = -1
		}
		d := report.Delivery{Lost: lost, Duplicated: dup, Reordered: reord, Foreign: foreign}
		rb := g.rebalances()
		gr := report.Group{
			Group:        g.cfg.Group,
			Messages:     g.consumed.Load(),
			Latency:      e2e.Summary(),
			Lag:          report.Lag{Max: s.groupMax[gi], Final: s.groupFinal[gi], DrainMs: drainMs},
			Rebalances:   int(rb),
			Delivery:     d,
			PartitionLag: append([]int64(nil), s.partMax[gi]...),
		}
		v.Consume.Groups = append(v.Consume.Groups, gr)
		if d.Lost < 0 || v.Delivery.Lost < 0 {
			v.Delivery.Lost = -1
		} else {
			v.Delivery.Lost += d.Lost
		}
		v.Delivery.Duplicated += d.Duplicated
		v.Delivery.Reordered += d.Reordered
		v.Delivery.Foreign += d.Foreign
		encode(v.Histograms, "e2e:"+g.cfg.Group, e2e)
	}
	faults, worst := vr.faultResults(start)
	v.Faults = faults
	for i := range v.Consume.Groups {
		v.Consume.Groups[i].FailoverMs = worst[v.Consume.Groups[i].Group]
	}
	v.E2E.Latency = e2eAll.Summary()
	encode(v.Histograms, "e2e", e2eAll)
	v.Timeseries = append([]report.Sample(nil), s.series...)
	if vr.shard.Sharded() {
		v.DeliveryState = vr.shardState(hwm, hwmErr, warm, drained)
	}
	return v
}

func encode(m map[string]string, name string, h *report.Histogram) {
	if h.Count() == 0 {
		return
	}
	if s, err := h.Encode(); err == nil {
		m[name] = s
	}
}
