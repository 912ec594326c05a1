package report

import (
	"errors"
	"fmt"
	"github.com/kbench/kbench/keying"
	"math"
	"sort"
	"strings"
)

// Merge combines the results of the shards of one sharded run (`kbench run
// --shard I/N` on N hosts) into one result, exactly where the data allows:
//
//   - histograms are decoded, merged losslessly and re-encoded, and every
//     latency summary is recomputed from the merged histogram (produce,
//     produce_corrected, send_delay, e2e, e2e:GROUP);
//   - counts are summed: messages, bytes, errors, per-partition messages and
//     bytes, consumed messages, lost / duplicated / reordered / foreign,
//     distinct keys and keys per partition (shards draw disjoint key spaces);
//   - throughput is recomputed as summed messages (bytes) over the longest
//     shard duration (shards share a start time); target rates are summed;
//   - skew and bytes skew are recomputed from the summed partition load;
//   - figures every shard observes of the same shared object take the
//     maximum: a partition's broker high watermark, group lag (max, final,
//     drain), rebalances (the group's generations), failover;
//   - hot-key shares are re-weighted by each shard's messages (top 10 kept),
//     ordering.preserved_share is message-weighted, max_spread the maximum;
//   - time series are aligned on t: sent/acked/consumed summed, lag and
//     p99 the maximum (an upper bound for p99).
//
// Gates are cleared (evaluate them again on the merged figures with
// EvaluateGates); Passed is true only if every shard passed. Shards must be
// of the same experiment with the same variant names; the same shard twice
// is an error.
func Merge(shards []*Result) (*Result, error) {
	if len(shards) == 0 {
		return nil, errors.New("merge: no results")
	}
	first := shards[0]
	seenShard := map[string]bool{}
	for i, s := range shards {
		if s.Schema != "" && s.Schema != Schema {
			return nil, fmt.Errorf("merge: result %d has schema %q, want %q", i+1, s.Schema, Schema)
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
	out := &Result{
		Schema:      Schema,
		Experiment:  first.Experiment,
		Description: first.Description,
		StartedAt:   first.StartedAt,
		Complete:    true,
		Broker:      first.Broker,
		Passed:      true,
	}
	var errs []string
	for _, s := range shards {
		if s.StartedAt.Before(out.StartedAt) {
			out.StartedAt = s.StartedAt
		}
		out.Complete = out.Complete && s.Complete
		out.Passed = out.Passed && s.Passed
		if s.Error != "" {
			errs = append(errs, s.Error)
		}
	}
	out.Error = strings.Join(errs, "; ")
	for _, base := range first.Variants {
		parts := make([]*Variant, len(shards))
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
	}
	return out, nil
}

func mergeVariant(parts []*Variant) (*Variant, error) {
	f := parts[0]
	v := &Variant{Name: f.Name, Params: f.Params, Config: f.Config}
	v.Config.TargetRate = 0
	v.Config.Producers = 0
	var preservedW float64
	topShares := map[string]float64{}
	partIdx := map[int]int{}
	groupIdx := map[string]int{}
	tsIdx := map[float64]int{}
	hists := map[string]*Histogram{}
	var histOrder []string
	for _, p := range parts {
		v.DurationS = math.Max(v.DurationS, p.DurationS)
		v.Config.TargetRate += p.Config.TargetRate
		v.Config.Producers += p.Config.Producers
		v.Produce.Messages += p.Produce.Messages
		v.Produce.Bytes += p.Produce.Bytes
		v.Produce.Errors += p.Produce.Errors
		v.Produce.Throughput.TargetMsgsPerS += p.Produce.Throughput.TargetMsgsPerS
		addDelivery(&v.Delivery, p.Delivery)
		v.Faults = append(v.Faults, p.Faults...)

		for _, pp := range p.Partitions {
			i, ok := partIdx[pp.Partition]
			if !ok {
				i = len(v.Partitions)
				partIdx[pp.Partition] = i
				v.Partitions = append(v.Partitions, Partition{Partition: pp.Partition, BrokerMessages: pp.BrokerMessages})
			}
			q := &v.Partitions[i]
			q.Messages += pp.Messages
			q.Bytes += pp.Bytes
			q.BrokerMessages = max(q.BrokerMessages, pp.BrokerMessages)
		}
		for _, g := range p.Consume.Groups {
			i, ok := groupIdx[g.Group]
			if !ok {
				i = len(v.Consume.Groups)
				groupIdx[g.Group] = i
				v.Consume.Groups = append(v.Consume.Groups, Group{Group: g.Group, Lag: Lag{DrainMs: g.Lag.DrainMs}})
			}
			q := &v.Consume.Groups[i]
			q.Messages += g.Messages
			q.Lag.Max = max(q.Lag.Max, g.Lag.Max)
			q.Lag.Final = max(q.Lag.Final, g.Lag.Final)
			if q.Lag.DrainMs >= 0 && (g.Lag.DrainMs < 0 || g.Lag.DrainMs > q.Lag.DrainMs) {
				q.Lag.DrainMs = g.Lag.DrainMs // -1 (never drained) dominates
			}
			q.Rebalances = max(q.Rebalances, g.Rebalances)
			q.FailoverMs = math.Max(q.FailoverMs, g.FailoverMs)
			addDelivery(&q.Delivery, g.Delivery)
			for j, l := range g.PartitionLag {
				for len(q.PartitionLag) <= j {
					q.PartitionLag = append(q.PartitionLag, 0)
				}
				q.PartitionLag[j] = max(q.PartitionLag[j], l)
			}
		}

		v.Keys.Distinct += p.Keys.Distinct
		for j, n := range p.Keys.PerPart {
			for len(v.Keys.PerPart) <= j {
				v.Keys.PerPart = append(v.Keys.PerPart, 0)
			}
			v.Keys.PerPart[j] += n
		}
		w := float64(p.Produce.Messages)
		for _, k := range p.Keys.Top {
			topShares[k.Key] += k.Share * w
		}
		preservedW += p.Keys.Ordering.PreservedShare * w
		v.Keys.Ordering.MaxSpread = max(v.Keys.Ordering.MaxSpread, p.Keys.Ordering.MaxSpread)

		for _, s := range p.Timeseries {
			i, ok := tsIdx[s.T]
			if !ok {
				i = len(v.Timeseries)
				tsIdx[s.T] = i
				v.Timeseries = append(v.Timeseries, Sample{T: s.T})
			}
			q := &v.Timeseries[i]
			q.Sent += s.Sent
			q.Acked += s.Acked
			q.Consumed += s.Consumed
			q.Lag = max(q.Lag, s.Lag)
			q.P99Ms = math.Max(q.P99Ms, s.P99Ms)
		}

		for name, enc := range p.Histograms {
			h, err := DecodeHistogram(enc)
			if err != nil {
				return nil, fmt.Errorf("histogram %s: %w", name, err)
			}
			if hists[name] == nil {
				hists[name] = NewHistogram()
				histOrder = append(histOrder, name)
			}
			hists[name].Merge(h)
		}
	}
	// A latency figure without its histogram cannot be merged exactly.
	for _, p := range parts {
		for name, l := range map[string]Latency{"produce": p.Produce.Latency, "produce_corrected": p.Produce.LatencyCorrected,
			"send_delay": p.Produce.SendDelay, "e2e": p.E2E.Latency} {
			if l.Count > 0 && p.Histograms[name] == "" {
				return nil, fmt.Errorf("a shard has %s latency figures but no %q histogram: cannot merge exactly", name, name)
			}
		}
		for _, g := range p.Consume.Groups {
			if g.Latency.Count > 0 && p.Histograms["e2e:"+g.Group] == "" {
				return nil, fmt.Errorf("a shard has group %s latency but no %q histogram: cannot merge exactly", g.Group, "e2e:"+g.Group)
			}
		}
	}
	sort.Slice(v.Partitions, func(i, j int) bool { return v.Partitions[i].Partition < v.Partitions[j].Partition })
	sort.SliceStable(v.Timeseries, func(i, j int) bool { return v.Timeseries[i].T < v.Timeseries[j].T })

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
		v.Keys.Ordering.PreservedShare = preservedW / float64(v.Produce.Messages)
		for k, s := range topShares {
			v.Keys.Top = append(v.Keys.Top, HotKey{Key: k, Share: s / float64(v.Produce.Messages)})
		}
		sort.Slice(v.Keys.Top, func(i, j int) bool {
			if v.Keys.Top[i].Share != v.Keys.Top[j].Share {
				return v.Keys.Top[i].Share > v.Keys.Top[j].Share
			}
			return v.Keys.Top[i].Key < v.Keys.Top[j].Key
		})
		if len(v.Keys.Top) > 10 {
			v.Keys.Top = v.Keys.Top[:10]
		}
	}

	if len(hists) > 0 {
		v.Histograms = map[string]string{}
	}
	for _, name := range histOrder {
		h := hists[name]
		enc, err := h.Encode()
		if err != nil {
			return nil, fmt.Errorf("histogram %s: %w", name, err)
		}
		v.Histograms[name] = enc
		sum := h.Summary()
		switch {
		case name == "produce":
			v.Produce.Latency = sum
		case name == "produce_corrected":
			v.Produce.LatencyCorrected = sum
		case name == "send_delay":
			v.Produce.SendDelay = sum
		case name == "e2e":
			v.E2E.Latency = sum
		case strings.HasPrefix(name, "e2e:"):
			if i, ok := groupIdx[strings.TrimPrefix(name, "e2e:")]; ok {
				v.Consume.Groups[i].Latency = sum
			}
		}
	}
	return v, nil
}

func addDelivery(d *Delivery, o Delivery) {
	d.Lost += o.Lost
	d.Duplicated += o.Duplicated
	d.Reordered += o.Reordered
	d.Foreign += o.Foreign
}
