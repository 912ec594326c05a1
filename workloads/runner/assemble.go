package runner

import (
	"context"
	"fmt"
	"time"

	"github.com/kbench/kbench/internal/clock"
	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/internal/driver"
	"github.com/kbench/kbench/internal/faultconn"
	"github.com/kbench/kbench/internal/wire"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
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
		p.an.TrackRemapFrom(exp.Topic.Partitions, rp, part)
	}
	p.runID = vr.runID
	p.log = vr.opt.Log
	if vr.opt.Observer != nil {
		p.liveCorr = recorder.NewHistogram()
	}
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
		PeakRate:    pace.Peak(shape),
		Acks:        exp.Producer.Acks,
		Compression: exp.Producer.Compression,
		OnAck:       p.onAck,
		Net:         vr.opt.Net,
		// A topic that grows: the client must learn the new partitions
		// soon (WaitPartitions).
		WatchPartitions: vr.growing(),
	}
	p.drv, err = driver.NewProducer(exp.Producer.Driver, cfg)
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
		Partitions:        vr.maxPartitions(),
		WatchPartitions:   vr.growing(),
		Commit:            g.cfg.Commit,
		Output:            g.out,
		SessionTimeout:    g.cfg.SessionTimeout.D(),
		HeartbeatInterval: g.cfg.HeartbeatInterval.D(),
		MaxPollInterval:   g.cfg.MaxPollInterval.D(),
		MaxPollRecords:    g.cfg.MaxPollRecords,
		Assignor:          g.cfg.Assignor,
		Net:               net,
	}
	c, err := driver.NewConsumer(vr.exp.Producer.Driver, cfg)
	if err != nil {
		return nil, err
	}
	return g.start(ctx, i, c, sw, vr.maxPartitions()), nil
}

// assemble turns every recorder into the variant's figures. drains is
// each group's drain outcome, nil when the run was cut short before it.
func (vr *variantRun) assemble(start, measureFrom, sendEnd time.Time, hwm []int64, hwmErr error, drains []groupDrain) report.Variant {
	v := report.Variant{
		Name:         vr.name,
		Params:       vr.params,
		Topic:        vr.topic,
		OutputTopics: vr.outTopics,
		Config:       vr.variantConfig(),
		Histograms:   map[string]string{},
		Gates:        []report.GateResult{},
	}
	if hwmErr != nil {
		hwm = nil
	}
	acked := vr.assembleProduce(&v, measureFrom, sendEnd)
	warm := vr.assemblePartitions(&v, vr.sinceStart(hwm))
	v.Repartitioned = vr.repartitioned(start)
	vr.assembleKeys(&v)
	vr.assembleGroups(&v, acked, hwm, warm, sendEnd, drains)
	faults, worst := vr.faultResults(start)
	v.Faults = faults
	for i := range v.Consume.Groups {
		v.Consume.Groups[i].FailoverMs = worst[v.Consume.Groups[i].Group]
	}
	if vr.shard.Sharded() {
		v.DeliveryState = vr.shardState(hwm, hwmErr, warm, drains != nil && allDone(drains))
	}
	vr.consumeOnlyFigures(&v)
	return v
}

func allDone(ds []groupDrain) bool {
	for _, d := range ds {
		if !d.done {
			return false
		}
	}
	return true
}

// variantConfig echoes the settings that shape the figures. A shard
// reports its share of the producers and of the rate, so that kbench
// merge's sums are the run's.
func (vr *variantRun) variantConfig() report.VariantConfig {
	exp := vr.exp
	c := report.VariantConfig{
		Strategy:    exp.Workload.Keying.Strategy,
		Partitioner: exp.Workload.Keying.Partitioner,
		Partitions:  exp.Topic.Partitions,
		Acks:        exp.Producer.Acks,
		BatchSize:   exp.Producer.BatchSize,
		Linger:      exp.Producer.Linger.D().String(),
		Compression: exp.Producer.Compression,
		Producers:   exp.Producer.Instances,
		MessageSize: int64(exp.Workload.Message.Size),
		Driver:      exp.Producer.Driver,
		Drain:       exp.Drain.D().String(),
	}
	share := vr.rateShare()
	if vr.shard.Sharded() {
		c.Producers = vr.shard.local(exp.Producer.Instances)
	}
	c.TargetRate = vr.targetRate(share)
	if c.TargetRate > 0 {
		c.Shape = exp.Workload.Shape.Kind
		if c.Shape == "" {
			c.Shape = "constant"
		}
	}
	if exp.ConsumeOnly() {
		c.Producers, c.TargetRate, c.Shape = 0, 0, "" // nothing is produced
	}
	return c
}

// rateShare is this host's share of the producers (1 unless sharded).
func (vr *variantRun) rateShare() float64 {
	if !vr.shard.Sharded() {
		return 1
	}
	n := vr.exp.Producer.Instances
	return float64(vr.shard.local(n)) / float64(n)
}

// targetRate is the scheduled mean rate of the measured phase, whatever
// the shape (a ramp's or a sine's mean, not workload.rate); 0 unthrottled.
func (vr *variantRun) targetRate(share float64) float64 {
	exp := vr.exp
	shape, err := pace.FromSpec(exp.Workload.Shape, exp.Workload.Rate, share)
	d := exp.Duration.D()
	if err != nil || shape == nil || d <= 0 {
		return 0
	}
	from := exp.Warmup.D()
	return (shape.Hits(from+d) - shape.Hits(from)) / d.Seconds()
}

// assembleProduce fills the produce figures from the producers' recorders
// and returns every acknowledged sequence.
func (vr *variantRun) assembleProduce(v *report.Variant, measureFrom, sendEnd time.Time) *delivery.Acked {
	lat, corr, delay := recorder.NewHistogram(), recorder.NewHistogram(), recorder.NewHistogram()
	acked := delivery.NewAcked()
	var lastAck time.Time
	for _, p := range vr.producers {
		p.mu.Lock()
		lat.Merge(p.lat)
		corr.Merge(p.corr)
		v.Produce.Messages += p.measured
		v.Produce.Bytes += p.bytes
		v.Produce.Errors += p.errors
		v.Produce.Unsent += p.unsent
		v.Produce.Unacknowledged += p.unacked
		if p.firstErr != nil && v.Produce.FirstError == "" {
			v.Produce.FirstError = p.firstErr.Error()
		}
		acked.For(p.id).Merge(p.acked.Set())
		if t := clock.Time(p.lastAck); p.lastAck != 0 && t.After(lastAck) {
			lastAck = t
		}
		delay.Merge(p.sendDelay)
		p.mu.Unlock()
	}
	// The measured window runs from the end of warmup until the last
	// acknowledgement (or the end of sending, if later).
	endAt := sendEnd
	if lastAck.After(endAt) {
		endAt = lastAck
	}
	secs := max(endAt.Sub(measureFrom).Seconds(), 0)
	v.DurationS = round3(secs)
	if secs > 0 {
		v.Produce.Throughput.MsgsPerS = float64(v.Produce.Messages) / secs
		v.Produce.Throughput.MiBPerS = float64(v.Produce.Bytes) / secs / (1 << 20)
	}
	v.Produce.Throughput.TargetMsgsPerS = v.Config.TargetRate
	v.Produce.Latency = lat.Summary()
	v.Produce.LatencyCorrected = corr.Summary()
	v.Produce.SendDelay = delay.Summary()
	encode(v.Histograms, recorder.HistProduce, lat)
	encode(v.Histograms, recorder.HistProduceCorrected, corr)
	encode(v.Histograms, recorder.HistSendDelay, delay)
	return acked
}

// assemblePartitions fills the per-partition load, cross-checked against
// the broker's high watermarks (nil when they could not be read), and the
// skew; it returns the acknowledged warmup messages per partition.
func (vr *variantRun) assemblePartitions(v *report.Variant, hwm []int64) []int64 {
	P := vr.partitions()
	partMsgs := make([]int64, P)
	partBytes := make([]int64, P)
	warm := make([]int64, P)
	for _, p := range vr.producers {
		p.mu.Lock()
		for i := range partMsgs {
			partMsgs[i] += p.partMsgs[i]
			partBytes[i] += p.partBytes[i]
			warm[i] += p.warmParts[i]
		}
		p.mu.Unlock()
	}
	for i := 0; i < P; i++ {
		part := report.Partition{Partition: i, Messages: partMsgs[i], Bytes: partBytes[i]}
		if i < len(hwm) {
			// The broker's count for the measured phase: its high
			// watermark less the warmup messages acknowledged on it.
			part.BrokerMessages = report.Int(hwm[i] - warm[i])
		}
		v.Partitions = append(v.Partitions, part)
	}
	v.Skew = keying.ComputeSkew(partMsgs)
	v.BytesSkew = keying.ComputeSkew(partBytes)
	return warm
}

// assembleKeys merges the producers' key analyses.
func (vr *variantRun) assembleKeys(v *report.Variant) {
	exp := vr.exp
	an := keying.NewAnalyzer(vr.maxPartitions())
	if rp := exp.Topic.Repartition; rp > 0 {
		part, err := keying.NewPartitioner(exp.Workload.Keying.Partitioner, keying.PartitionerOptions{BatchSize: exp.Producer.BatchSize})
		if err == nil { // validated before the run
			an.TrackRemapFrom(exp.Topic.Partitions, rp, part)
		}
	}
	for _, p := range vr.producers {
		an.Merge(p.an)
	}
	a := an.Result()
	v.Keys.Distinct = a.Distinct
	v.Keys.PerPart = a.KeysPerPartition
	v.Keys.TopError = a.TopError
	// Measured: an empty list when no key stands out, not null.
	v.Keys.Top = make([]report.HotKey, 0, len(a.Top))
	for _, k := range a.Top {
		v.Keys.Top = append(v.Keys.Top, report.HotKey{Key: k.Key, Share: k.Share, Count: k.Count, Error: k.Error})
	}
	v.Keys.Ordering = report.Ordering{PreservedShare: a.Ordering.PreservedShare, MaxSpread: a.Ordering.MaxSpread}
	if a.Remap != nil {
		v.Keys.RemapShare = &report.RemapShare{From: a.Remap.From, To: a.Remap.To, Keys: a.Remap.Keys, Traffic: a.Remap.Traffic}
	}
}

// assembleGroups fills each group's figures and the variant's delivery.
func (vr *variantRun) assembleGroups(v *report.Variant, acked *delivery.Acked, hwm, warm []int64, sendEnd time.Time, drains []groupDrain) {
	committed, _ := vr.sampler.lastOffsets()
	unacked := vr.unackedWritten(v, vr.sinceStart(hwm), warm)
	e2eAll := recorder.NewHistogram()
	s := vr.sampler
	for gi, g := range vr.groups {
		g.mu.Lock()
		e2e := g.e2e
		g.mu.Unlock()
		e2eAll.Merge(e2e)
		var cm []int64
		if gi < len(committed) {
			cm = committed[gi]
		}
		var d groupDrain
		if drains != nil {
			d = drains[gi]
		}
		gr := report.Group{
			Group:      g.cfg.Group,
			ID:         g.id,
			Messages:   g.consumed.Load(),
			MsgsPerS:   g.rate(),
			Latency:    e2e.Summary(),
			Rebalances: int(g.rebalances()),
			Delivery:   vr.groupDelivery(g, acked, cm, hwm, unacked, drains != nil, d.done),
		}
		g.assembleRebalances(&gr)
		s.mu.Lock()
		gr.Lag = report.Lag{Max: s.groupMax[gi], Final: s.groupFinal[gi]}
		gr.PartitionLag = append([]int64(nil), s.partMax[gi][:min(vr.partitions(), len(s.partMax[gi]))]...)
		s.mu.Unlock()
		if drains != nil {
			gr.Drained = report.Bool(d.done)
			if d.done {
				gr.Lag.DrainMs = report.Float(msSince(sendEnd, d.at))
			}
		}
		v.Consume.Groups = append(v.Consume.Groups, gr)
		if v.Delivery == nil {
			v.Delivery = &report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)}
		}
		addDelivery(v.Delivery, gr.Delivery)
		encode(v.Histograms, recorder.HistE2EGroup(g.cfg.Group), e2e)
	}
	v.E2E.Latency = e2eAll.Summary()
	v.E2E.SameClockOnly = vr.shard.Sharded()
	encode(v.Histograms, recorder.HistE2E, e2eAll)
	s.mu.Lock()
	v.Timeseries = append([]report.Sample(nil), s.series...)
	s.mu.Unlock()
	lagGrowth(v, vr.exp.Warmup.D(), vr.exp.Warmup.D()+vr.exp.Duration.D())
}

// unackedWritten is, per partition, how many records the broker holds
// that no producer saw acknowledged (ambiguous writes); nil when the high
// watermarks are unknown.
func (vr *variantRun) unackedWritten(v *report.Variant, hwm, warm []int64) []int64 {
	if hwm == nil {
		return nil
	}
	out := make([]int64, len(hwm))
	for p := range out {
		if p < len(v.Partitions) && p < len(warm) {
			out[p] = max(hwm[p]-warm[p]-v.Partitions[p].Messages, 0)
		}
	}
	return out
}

// groupDelivery is a group's delivery figures. What the group has not
// processed of the acknowledged messages is lost, or unconsumed when it is
// still in the topic at or above the group's committed offset (a backlog:
// the drain ended before the group caught up). A transactional group's
// delivery is what downstream sees: its committed output, read by the
// verifier (verifier.go).
func (vr *variantRun) groupDelivery(g *group, acked *delivery.Acked, committed, hwm, unacked []int64, drainRan, drained bool) report.Delivery {
	tracker := g.tracker
	if g.ver != nil {
		tracker = g.ver.tracker
	}
	_, dup, reord, foreign := tracker.Result(nil)
	d := report.Delivery{Duplicated: dup, Reordered: reord, Foreign: foreign}
	if !drainRan || vr.shard.Sharded() || vr.exp.ConsumeOnly() {
		// Cut short before the drain: what is still in flight is not
		// lost, it is unknown. A shard cannot tell either: other shards'
		// members consume some of its messages (kbench merge computes
		// lost from the delivery_state). A consume-only run has no
		// acknowledged messages to miss.
		return d
	}
	missing := tracker.Missing(acked)
	if drained {
		d.Lost, d.Unconsumed = report.Int(missing), report.Int(0)
		return d
	}
	if committed == nil || hwm == nil {
		return d // cannot tell a backlog from a loss
	}
	var backlog int64
	for p := range hwm {
		var u int64
		if p < len(unacked) {
			// The records the broker holds beyond the acknowledged ones
			// include foreign records; those the group processed are
			// not in its backlog window's unknowns.
			u = max(unacked[p]-g.tracker.ForeignOn(int32(p)), 0)
		}
		c := int64(-1)
		if p < len(committed) {
			c = committed[p]
		}
		backlog += delivery.Backlog(g.tracker.Offsets(int32(p)), c, hwm[p], u)
	}
	backlog = min(backlog, missing)
	d.Lost, d.Unconsumed = report.Int(missing-backlog), report.Int(backlog)
	return d
}

// addDelivery adds a group's figures to the variant's; one not measured
// makes the sum not measured.
func addDelivery(sum *report.Delivery, d report.Delivery) {
	if sum.Lost != nil && d.Lost != nil {
		*sum.Lost += *d.Lost
	} else {
		sum.Lost = nil
	}
	if sum.Unconsumed != nil && d.Unconsumed != nil {
		*sum.Unconsumed += *d.Unconsumed
	} else {
		sum.Unconsumed = nil
	}
	sum.Duplicated += d.Duplicated
	sum.Reordered += d.Reordered
	sum.Foreign += d.Foreign
}

func encode(m map[string]string, name string, h *recorder.Histogram) {
	if h.Count() == 0 {
		return
	}
	if s, err := h.Encode(); err == nil {
		m[name] = s
	}
}
