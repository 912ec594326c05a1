// Package merge combines results: the shards of a sharded run into one
// exact result (Merge), the runs of a repeated variant into medians with
// their samples (CombineRuns), and stored results into a history baseline.
package merge

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/kbench/kbench/internal/delivery"
	"github.com/kbench/kbench/keying"
	"github.com/kbench/kbench/report"
	"github.com/kbench/kbench/report/recorder"
	"github.com/kbench/kbench/report/verdict"
)

// Merge combines the results of the shards of one sharded run (`kbench run
// --shard I/N` on N hosts) into one result, exactly where the data allows:
//
//   - histograms are decoded, merged losslessly and re-encoded, and every
//     latency summary is recomputed from the merged histogram (produce,
//     produce_corrected, send_delay, e2e, e2e:GROUP);
//   - counts are summed: messages, bytes, errors, per-partition messages and
//     bytes, consumed messages, duplicated / reordered / foreign (each
//     shard's members check order on their own: reordered is the sum of
//     per-member order checks);
//   - delivery, when the shards carry a delivery_state (results of `kbench
//     run --shard I/N`): per group, lost = |acknowledged offsets of all
//     shards \ offsets processed by the group's members on any shard|, per
//     partition, so a message one shard produced and another consumed is
//     not lost; duplicated adds to the shards' own duplicates every offset
//     processed on more than one shard (Σ|C_i| - |∪C_i| per partition). A
//     copy written twice by a produce retry and processed on two different
//     shards is not seen as a duplicate (it has two offsets). Without a
//     delivery_state (older results) the shards' figures are summed;
//   - distinct keys and keys per partition: every producer draws keys from
//     the whole traffic model, so shards see the same keys; the merge takes
//     the maximum (a lower bound; exact when every shard saw every key, the
//     usual case for path/service/node keys), and the sum for the random
//     strategy (a fresh key per message);
//   - throughput is recomputed as summed messages (bytes) over the longest
//     shard duration (shards share a start time); target rates are summed
//     (a shard reports its share);
//   - skew and bytes skew are recomputed from the summed partition load;
//   - a partition's broker_messages is its high watermark (the same on
//     every shard, the maximum taken) less every shard's warmup messages;
//   - figures every shard observes of the same shared object take the
//     maximum: group lag (max, final, drain), rebalances (the group's
//     generations), failover;
//   - hot-key shares are re-weighted by each shard's messages (top 10 kept),
//     ordering.preserved_share is message-weighted, max_spread the maximum;
//   - time series are aligned on t (to the second): sent/acked/consumed summed, lag and
//     p99 the maximum (an upper bound for p99).
//
// Gates are cleared (evaluate them again on the merged figures with
// EvaluateGates), except the experiment's own gates that sharded runs defer
// to the merge (delivery_state.gates): those are evaluated on the merged
// figures. Passed is true only if every shard passed and those gates pass.
// Shards must be of the same experiment with the same variant names; the
// same shard twice is an error, and so is a set of `I/N` shards with one
// missing (cross-shard figures would be wrong).
func Merge(shards []*report.Result) (*report.Result, error) {
	if len(shards) == 0 {
		return nil, errors.New("merge: no results")
	}
	first := shards[0]
	seenShard := map[string]bool{}
	for i, s := range shards {
		if s.Schema != "" && s.Schema != report.Schema {
			return nil, fmt.Errorf("merge: result %d has schema %q, want %q", i+1, s.Schema, report.Schema)
		}
		if s.Experiment != first.Experiment {
			return nil, fmt.Errorf("merge: result %d is experiment %q, result 1 is %q", i+1, s.Experiment, first.Experiment)
		}
		if s.Shard != "" {
			if seenShard[s.Shard] {
				return nil, fmt.Errorf("merge: shard %s given twice", s.Shard)
			}
			seenShard[s.Shard] = true
		}
		if len(s.Variants) != len(first.Variants) {
			return nil, fmt.Errorf("merge: result %d has %d variants, result 1 has %d", i+1, len(s.Variants), len(first.Variants))
		}
	}
	if err := checkCoverage(shards); err != nil {
		return nil, err
	}
	out := &report.Result{
		Schema:      report.Schema,
		Experiment:  first.Experiment,
		Description: first.Description,
		StartedAt:   first.StartedAt,
		Complete:    true,
		Broker:      first.Broker,
		Passed:      true,
	}
	var errs []string
	deferred := verdict.Checks{PerVariant: map[string][]string{}}
	for _, s := range shards {
		if s.StartedAt.Before(out.StartedAt) {
			out.StartedAt = s.StartedAt
		}
		out.Complete = out.Complete && s.Complete
		if s.Error != "" {
			errs = append(errs, s.Error)
		}
	}
	out.Error = strings.Join(errs, "; ")
	for _, base := range first.Variants {
		parts := make([]*report.Variant, len(shards))
		for i, s := range shards {
			for j := range s.Variants {
				if s.Variants[j].Name == base.Name {
					parts[i] = &s.Variants[j]
				}
			}
			if parts[i] == nil {
				return nil, fmt.Errorf("merge: result %d has no variant %q", i+1, base.Name)
			}
		}
		v, err := mergeVariant(parts)
		if err != nil {
			return nil, fmt.Errorf("merge: variant %s: %w", base.Name, err)
		}
		out.Variants = append(out.Variants, *v)
		if st := parts[0].DeliveryState; st != nil && len(st.Gates) > 0 {
			deferred.PerVariant[base.Name] = st.Gates
		}
	}
	if _, err := verdict.Decide(out, deferred); err != nil {
		return nil, fmt.Errorf("merge: %w", err)
	}
	return out, nil
}

// checkCoverage: results naming their shard as I/N (0-based, as `kbench
// run --shard` writes them) must be all N shards of one run.
func checkCoverage(shards []*report.Result) error {
	n := -1
	have := map[int]bool{}
	for _, s := range shards {
		i, c, ok := parseShard(s.Shard)
		if !ok {
			return nil // not (all) written by --shard: nothing to check
		}
		if n >= 0 && c != n {
			return fmt.Errorf("merge: shard %s is of %d shards, another of %d", s.Shard, c, n)
		}
		n = c
		have[i] = true
	}
	var missing []string
	for i := 0; i < n; i++ {
		if !have[i] {
			missing = append(missing, fmt.Sprintf("%d/%d", i, n))
		}
	}
	if len(missing) > 0 {
		return fmt.Errorf("merge: shard %s missing (every shard is needed: lost and duplicates are computed across shards)", strings.Join(missing, ", "))
	}
	return nil
}

func parseShard(s string) (i, n int, ok bool) {
	a, b, found := strings.Cut(s, "/")
	if !found {
		return 0, 0, false
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || i < 0 || n < 1 || i >= n {
		return 0, 0, false
	}
	return i, n, true
}

func mergeVariant(parts []*report.Variant) (*report.Variant, error) {
	f := parts[0]
	m := &variantMerge{
		v:        &report.Variant{Name: f.Name, Params: f.Params, Config: f.Config, Topic: f.Topic, OutputTopics: f.OutputTopics},
		top:      newTopMerge(len(parts)),
		partIdx:  map[int]int{},
		groupIdx: map[string]int{},
		tsIdx:    map[float64]int{},
		hists:    map[string]*recorder.Histogram{},
	}
	m.v.Config.TargetRate = 0
	m.v.Config.Producers = 0
	for _, p := range parts {
		m.addProduce(p)
		m.addPartitions(p)
		m.addGroups(p)
		m.addKeys(p)
		m.addSeries(p)
		if err := m.addHistograms(p); err != nil {
			return nil, err
		}
	}
	if err := checkHistograms(parts); err != nil {
		return nil, err
	}
	v := m.v
	sort.Slice(v.Partitions, func(i, j int) bool { return v.Partitions[i].Partition < v.Partitions[j].Partition })
	if err := mergeDeliveryState(v, parts); err != nil {
		return nil, err
	}
	sort.SliceStable(v.Timeseries, func(i, j int) bool { return v.Timeseries[i].T < v.Timeseries[j].T })
	m.finishFigures()
	if err := m.finishHistograms(); err != nil {
		return nil, err
	}
	return v, nil
}

// variantMerge accumulates one variant over the shards.
type variantMerge struct {
	v          *report.Variant
	preservedW float64
	remap      remapMerge
	top        *topMerge
	partIdx    map[int]int
	groupIdx   map[string]int
	tsIdx      map[float64]int
	hists      map[string]*recorder.Histogram
	histOrder  []string
}

// addProduce sums the produce figures, the shares of rate and producers,
// delivery and faults.
func (m *variantMerge) addProduce(p *report.Variant) {
	v := m.v
	v.DurationS = math.Max(v.DurationS, p.DurationS)
	v.Config.TargetRate += p.Config.TargetRate
	v.Config.Producers += p.Config.Producers
	v.Produce.Messages += p.Produce.Messages
	v.Produce.Bytes += p.Produce.Bytes
	v.Produce.Errors += p.Produce.Errors
	v.Produce.Unsent += p.Produce.Unsent
	v.Produce.Unacknowledged += p.Produce.Unacknowledged
	v.Produce.Throughput.TargetMsgsPerS += p.Produce.Throughput.TargetMsgsPerS
	v.E2E.SameClockOnly = v.E2E.SameClockOnly || p.E2E.SameClockOnly
	if p.Delivery != nil {
		if v.Delivery == nil {
			v.Delivery = &report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)}
		}
		addDelivery(v.Delivery, *p.Delivery)
	}
	v.Faults = append(v.Faults, p.Faults...)
}

// addPartitions sums the partition load; the broker's count is shared.
func (m *variantMerge) addPartitions(p *report.Variant) {
	v := m.v
	for _, pp := range p.Partitions {
		i, ok := m.partIdx[pp.Partition]
		if !ok {
			i = len(v.Partitions)
			m.partIdx[pp.Partition] = i
			v.Partitions = append(v.Partitions, report.Partition{Partition: pp.Partition, BrokerMessages: pp.BrokerMessages})
		}
		q := &v.Partitions[i]
		q.Messages += pp.Messages
		q.Bytes += pp.Bytes
		q.BrokerMessages = maxKnown(q.BrokerMessages, pp.BrokerMessages)
	}
}

// addGroups sums what the shards' members consumed and takes the maximum
// of what every shard observes of the shared group (lag, rebalances).
func (m *variantMerge) addGroups(p *report.Variant) {
	v := m.v
	for _, g := range p.Consume.Groups {
		i, ok := m.groupIdx[g.Group]
		if !ok {
			i = len(v.Consume.Groups)
			m.groupIdx[g.Group] = i
			v.Consume.Groups = append(v.Consume.Groups, report.Group{Group: g.Group, ID: g.ID,
				Lag: report.Lag{DrainMs: g.Lag.DrainMs}, Drained: g.Drained, FailoverMs: g.FailoverMs,
				Delivery: report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)}})
		}
		q := &v.Consume.Groups[i]
		q.Messages += g.Messages
		q.Lag.Max = max(q.Lag.Max, g.Lag.Max)
		q.Lag.Final = max(q.Lag.Final, g.Lag.Final)
		// Not drained (null) on any shard dominates.
		q.Lag.DrainMs = maxAll(q.Lag.DrainMs, g.Lag.DrainMs)
		if q.Drained == nil || g.Drained == nil {
			q.Drained = nil
		} else {
			q.Drained = report.Bool(*q.Drained && *g.Drained)
		}
		q.Rebalances = max(q.Rebalances, g.Rebalances)
		q.MaxPollEvictions += g.MaxPollEvictions
		q.FailoverMs = maxKnown(q.FailoverMs, g.FailoverMs)
		addDelivery(&q.Delivery, g.Delivery)
		for j, l := range g.PartitionLag {
			for len(q.PartitionLag) <= j {
				q.PartitionLag = append(q.PartitionLag, 0)
			}
			q.PartitionLag[j] = max(q.PartitionLag[j], l)
		}
	}
}

// addKeys: shards draw from the same key space, so the largest distinct
// count is the best (lower) bound, except for random keys (one per
// message); hot keys merge from their counts.
func (m *variantMerge) addKeys(p *report.Variant) {
	v := m.v
	random := p.Config.Strategy == "random"
	if random {
		v.Keys.Distinct += p.Keys.Distinct
	} else {
		v.Keys.Distinct = max(v.Keys.Distinct, p.Keys.Distinct)
	}
	for j, n := range p.Keys.PerPart {
		for len(v.Keys.PerPart) <= j {
			v.Keys.PerPart = append(v.Keys.PerPart, 0)
		}
		if random {
			v.Keys.PerPart[j] += n
		} else {
			v.Keys.PerPart[j] = max(v.Keys.PerPart[j], n)
		}
	}
	m.top.add(p)
	m.remap.add(p)
	m.preservedW += p.Keys.Ordering.PreservedShare * float64(p.Produce.Messages)
	v.Keys.Ordering.MaxSpread = max(v.Keys.Ordering.MaxSpread, p.Keys.Ordering.MaxSpread)
}

// addSeries aligns the shards' time series on the second (they sample once
// a second from the common start, a few ms apart).
func (m *variantMerge) addSeries(p *report.Variant) {
	v := m.v
	for _, s := range p.Timeseries {
		t := math.Round(s.T)
		i, ok := m.tsIdx[t]
		if !ok {
			i = len(v.Timeseries)
			m.tsIdx[t] = i
			v.Timeseries = append(v.Timeseries, report.Sample{T: t})
		}
		q := &v.Timeseries[i]
		q.Sent += s.Sent
		q.Acked += s.Acked
		q.Consumed += s.Consumed
		q.Lag = max(q.Lag, s.Lag)
		q.P99Ms = math.Max(q.P99Ms, s.P99Ms)
	}
}

// addHistograms merges the shard's histograms, name by name.
func (m *variantMerge) addHistograms(p *report.Variant) error {
	for name, enc := range p.Histograms {
		h, err := recorder.DecodeHistogram(enc)
		if err != nil {
			return fmt.Errorf("histogram %s: %w", name, err)
		}
		if m.hists[name] == nil {
			m.hists[name] = recorder.NewHistogram()
			m.histOrder = append(m.histOrder, name)
		}
		m.hists[name].Merge(h)
	}
	return nil
}

// checkHistograms: a latency figure without its histogram cannot be merged
// exactly.
func checkHistograms(parts []*report.Variant) error {
	for _, p := range parts {
		for name, l := range map[string]report.Latency{recorder.HistProduce: p.Produce.Latency, recorder.HistProduceCorrected: p.Produce.LatencyCorrected,
			recorder.HistSendDelay: p.Produce.SendDelay, recorder.HistE2E: p.E2E.Latency} {
			if l.Count > 0 && p.Histograms[name] == "" {
				return fmt.Errorf("a shard has %s latency figures but no %q histogram: cannot merge exactly", name, name)
			}
		}
		for _, g := range p.Consume.Groups {
			if name := recorder.HistE2EGroup(g.Group); g.Latency.Count > 0 && p.Histograms[name] == "" {
				return fmt.Errorf("a shard has group %s latency but no %q histogram: cannot merge exactly", g.Group, name)
			}
		}
	}
	return nil
}

// finishFigures recomputes what is not a sum: throughput over the longest
// shard, skew of the summed load, ordering and hot keys weighted.
func (m *variantMerge) finishFigures() {
	v := m.v
	if v.DurationS > 0 {
		v.Produce.Throughput.MsgsPerS = float64(v.Produce.Messages) / v.DurationS
		v.Produce.Throughput.MiBPerS = float64(v.Produce.Bytes) / v.DurationS / (1 << 20)
	}
	load := make([]int64, len(v.Partitions))
	bytesLoad := make([]int64, len(v.Partitions))
	for i, p := range v.Partitions {
		load[i], bytesLoad[i] = p.Messages, p.Bytes
	}
	v.Skew, v.BytesSkew = keying.ComputeSkew(load), keying.ComputeSkew(bytesLoad)
	if v.Produce.Messages > 0 {
		v.Keys.Ordering.PreservedShare = m.preservedW / float64(v.Produce.Messages)
	}
	v.Keys.Top, v.Keys.TopError = m.top.result(v.Produce.Messages)
	v.Keys.RemapShare = m.remap.result()
}

// finishHistograms encodes the merged histograms and recomputes every
// latency summary from them.
func (m *variantMerge) finishHistograms() error {
	v := m.v
	if len(m.hists) > 0 {
		v.Histograms = map[string]string{}
	}
	for _, name := range m.histOrder {
		h := m.hists[name]
		enc, err := h.Encode()
		if err != nil {
			return fmt.Errorf("histogram %s: %w", name, err)
		}
		v.Histograms[name] = enc
		sum := h.Summary()
		switch {
		case name == recorder.HistProduce:
			v.Produce.Latency = sum
		case name == recorder.HistProduceCorrected:
			v.Produce.LatencyCorrected = sum
		case name == recorder.HistSendDelay:
			v.Produce.SendDelay = sum
		case name == recorder.HistE2E:
			v.E2E.Latency = sum
		case strings.HasPrefix(name, recorder.HistE2E+":"):
			if i, ok := m.groupIdx[strings.TrimPrefix(name, recorder.HistE2E+":")]; ok {
				v.Consume.Groups[i].Latency = sum
			}
		}
	}
	return nil
}

// addDelivery adds o to d; a figure not measured in either stays so.
func addDelivery(d *report.Delivery, o report.Delivery) {
	d.Lost = sumKnown(d.Lost, o.Lost)
	d.Unconsumed = sumKnown(d.Unconsumed, o.Unconsumed)
	d.Duplicated += o.Duplicated
	d.Reordered += o.Reordered
	d.Foreign += o.Foreign
}

// mergeDeliveryState computes the cross-shard figures exactly from the
// shards' delivery states (see Merge): broker_messages per partition, and
// per group lost and duplicated. Without states it leaves the summed
// figures alone.
func mergeDeliveryState(v *report.Variant, parts []*report.Variant) error {
	with := 0
	for _, p := range parts {
		if p.DeliveryState != nil {
			with++
		}
	}
	if with == 0 {
		return nil
	}
	if with != len(parts) {
		return errors.New("some shards carry a delivery_state and others do not: merge results of one sharded run")
	}
	P := len(v.Partitions)
	hwms := stateHighWatermarks(parts, P)
	for q := range v.Partitions {
		var warm int64
		for _, p := range parts {
			if st := p.DeliveryState; q < len(st.WarmupAcked) {
				warm += st.WarmupAcked[q]
			}
		}
		// The broker's count for the measured phase.
		v.Partitions[q].BrokerMessages = nil
		if hwms[q] >= 0 {
			v.Partitions[q].BrokerMessages = report.Int(hwms[q] - warm)
		}
	}
	known, drained := true, true
	acked := emptySets(P)
	for _, p := range parts {
		st := p.DeliveryState
		known = known && st.OffsetsKnown
		drained = drained && st.Drained
		a, err := decodeSets(st.Acked, "acked", P)
		if err != nil {
			return err
		}
		for q := range acked {
			acked[q].Merge(a[q])
		}
	}
	v.Delivery = &report.Delivery{Lost: report.Int(0), Unconsumed: report.Int(0)}
	for gi := range v.Consume.Groups {
		g := &v.Consume.Groups[gi]
		if err := mergeGroupState(g, parts, acked, hwms, known, drained); err != nil {
			return err
		}
		v.Delivery.Lost = sumKnown(v.Delivery.Lost, g.Delivery.Lost)
		v.Delivery.Unconsumed = sumKnown(v.Delivery.Unconsumed, g.Delivery.Unconsumed)
		v.Delivery.Duplicated += g.Delivery.Duplicated
		v.Delivery.Reordered += g.Delivery.Reordered
		v.Delivery.Foreign += g.Delivery.Foreign
	}
	return nil
}

// stateHighWatermarks is each partition's end offset as the shards read it
// (the largest; -1 unread).
func stateHighWatermarks(parts []*report.Variant, P int) []int64 {
	hwms := make([]int64, P)
	for q := range hwms {
		hwms[q] = -1
		for _, p := range parts {
			if st := p.DeliveryState; q < len(st.HighWatermarks) {
				hwms[q] = max(hwms[q], st.HighWatermarks[q])
			}
		}
	}
	return hwms
}

func emptySets(P int) []*delivery.IntervalSet {
	out := make([]*delivery.IntervalSet, P)
	for q := range out {
		out[q] = &delivery.IntervalSet{}
	}
	return out
}

// decodeSets decodes one offset set per partition.
func decodeSets(enc []string, what string, P int) ([]*delivery.IntervalSet, error) {
	if len(enc) > P {
		return nil, fmt.Errorf("delivery_state: %d %s partitions, the variant has %d", len(enc), what, P)
	}
	out := emptySets(P)
	for q := range enc {
		s, err := delivery.DecodeIntervalSet(enc[q])
		if err != nil {
			return nil, fmt.Errorf("delivery_state %s partition %d: %w", what, q, err)
		}
		out[q] = s
	}
	return out, nil
}

// mergeGroupState computes a group's lost, unconsumed and cross-shard
// duplicates from the union of what every shard's members processed.
func mergeGroupState(g *report.Group, parts []*report.Variant, acked []*delivery.IntervalSet, hwms []int64, known, drained bool) error {
	P := len(acked)
	union := emptySets(P)
	var sum uint64
	committed := make([]int64, P)
	for q := range committed {
		committed[q] = -2 // unknown
	}
	for _, p := range parts {
		for _, gs := range p.DeliveryState.Groups {
			if gs.Group != g.Group {
				continue
			}
			for q, c := range gs.Committed {
				if q < P {
					committed[q] = max(committed[q], c)
				}
			}
			c, err := decodeSets(gs.Consumed, "group "+gs.Group, P)
			if err != nil {
				return err
			}
			for q := range union {
				sum += c[q].Len()
				union[q].Merge(c[q])
			}
		}
	}
	var distinct, missing uint64
	var unconsumed int64
	committedKnown := true
	for q := range union {
		distinct += union[q].Len()
		missing += acked[q].CountNotIn(union[q])
		if committed[q] == -2 || hwms[q] < 0 {
			committedKnown = false
			continue
		}
		unconsumed += delivery.BacklogOf(acked[q], union[q], committed[q], hwms[q])
	}
	// g.Delivery holds the sums of the shards' own figures (their
	// lost being null each); replace lost and unconsumed, add
	// cross-shard duplicates. What is missing is lost unless it is
	// still in the topic above the committed offset.
	g.Delivery.Duplicated += int64(sum - distinct)
	g.Delivery.Lost, g.Delivery.Unconsumed = nil, nil
	switch {
	case !known:
	case drained:
		g.Delivery.Lost, g.Delivery.Unconsumed = report.Int(int64(missing)), report.Int(0)
	case committedKnown:
		g.Delivery.Lost = report.Int(max(int64(missing)-unconsumed, 0))
		g.Delivery.Unconsumed = report.Int(unconsumed)
	}
	return nil
}

// sumKnown adds two figures; not measured in either is not measured.
func sumKnown(a, b *int64) *int64 {
	if a == nil || b == nil {
		return nil
	}
	return report.Int(*a + *b)
}

// maxAll is the larger of two figures; not measured in either dominates
// (a group that did not drain on one shard did not drain).
func maxAll(a, b *float64) *float64 {
	if a == nil || b == nil {
		return nil
	}
	return report.Float(math.Max(*a, *b))
}

// maxKnown is the larger of the measured figures, nil when neither is.
func maxKnown[T int64 | float64](a, b *T) *T {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case *b > *a:
		return b
	}
	return a
}

// topMerge merges shards' hot keys from their guaranteed counts: a key's
// merged count is the sum of its counts where listed (a lower bound) and
// its error the sum of its errors plus, for each shard that did not list
// it, that shard's error bound (the most it can have occurred there). A
// key is kept only when its guaranteed count exceeds the merged bound.
type topMerge struct {
	counts, errs map[string]int64
	seenIn       map[string]int
	bound        int64
	shards       int
}

func newTopMerge(shards int) *topMerge {
	return &topMerge{counts: map[string]int64{}, errs: map[string]int64{}, seenIn: map[string]int{}, shards: shards}
}

func (m *topMerge) add(p *report.Variant) {
	m.bound += p.Keys.TopError
	for _, k := range p.Keys.Top {
		c := k.Count
		if c == 0 { // results before counts were recorded
			c = int64(math.Round(k.Share * float64(p.Produce.Messages)))
		}
		m.counts[k.Key] += c
		m.errs[k.Key] += k.Error - p.Keys.TopError
		m.seenIn[k.Key]++
	}
}

func (m *topMerge) result(total int64) ([]report.HotKey, int64) {
	out := []report.HotKey{}
	for k, c := range m.counts {
		// errs holds Σ(err - bound) over listing shards; adding the
		// total bound gives Σ err (listing) + Σ bound (not listing).
		e := m.errs[k] + m.bound
		if c <= m.bound {
			continue
		}
		hk := report.HotKey{Key: k, Count: c, Error: e}
		if total > 0 {
			hk.Share = float64(c) / float64(total)
		}
		out = append(out, hk)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Key < out[j].Key
	})
	if len(out) > keying.TopN {
		out = out[:keying.TopN]
	}
	return out, m.bound
}

// remapMerge weights the shards' remap shares by their messages.
type remapMerge struct {
	from, to   int
	keys, msgs float64
	w          float64
	seen       bool
}

func (m *remapMerge) add(p *report.Variant) {
	r := p.Keys.RemapShare
	if r == nil {
		return
	}
	w := float64(p.Produce.Messages)
	m.from, m.to, m.seen = r.From, r.To, true
	m.keys += r.Keys * w
	m.msgs += r.Traffic * w
	m.w += w
}

func (m *remapMerge) result() *report.RemapShare {
	if !m.seen || m.w == 0 {
		return nil
	}
	return &report.RemapShare{From: m.from, To: m.to, Keys: m.keys / m.w, Traffic: m.msgs / m.w}
}
