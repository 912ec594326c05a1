package report

import "encoding/json"

// MarshalJSON writes a summary without samples with null percentiles: they
// were not measured, and 0 would read as a latency.
func (l Latency) MarshalJSON() ([]byte, error) {
	type plain Latency
	if l.Count > 0 {
		return json.Marshal(plain(l))
	}
	return []byte(`{"count":0,"p50":null,"p90":null,"p99":null,"p999":null,"max":null,"mean":null}`), nil
}

// UnmarshalJSON reads null percentiles as zero; Count 0 says they were not
// measured.
func (l *Latency) UnmarshalJSON(b []byte) error {
	type opt struct {
		Count                          int64
		P50, P90, P99, P999, Max, Mean *float64
	}
	var o opt
	if err := json.Unmarshal(b, &o); err != nil {
		return err
	}
	val := func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	}
	*l = Latency{Count: o.Count, P50: val(o.P50), P90: val(o.P90), P99: val(o.P99),
		P999: val(o.P999), Max: val(o.Max), Mean: val(o.Mean)}
	return nil
}

// normalize gives a result written before "not measured" was null the
// same meaning: -1 (lost, failover_ms, drain_ms, broker_messages) becomes
// null, and a group's failover of 0 without any consumer fault on it (the
// old spelling of "no fault") becomes null. Figures read with their old
// meaning are otherwise unchanged.
func (r *Result) normalize() {
	for i := range r.Variants {
		v := &r.Variants[i]
		negNil := func(p **int64) {
			if *p != nil && **p < 0 {
				*p = nil
			}
		}
		negNilF := func(p **float64) {
			if *p != nil && **p < 0 {
				*p = nil
			}
		}
		if v.Delivery != nil {
			negNil(&v.Delivery.Lost)
			negNil(&v.Delivery.Unconsumed)
		}
		for j := range v.Partitions {
			negNil(&v.Partitions[j].BrokerMessages)
		}
		for j := range v.Faults {
			negNilF(&v.Faults[j].FailoverMs)
		}
		faulted := map[string]bool{}
		for _, f := range v.Faults {
			if f.Group != "" {
				faulted[f.Group] = true
			}
		}
		for j := range v.Consume.Groups {
			g := &v.Consume.Groups[j]
			negNil(&g.Delivery.Lost)
			negNil(&g.Delivery.Unconsumed)
			negNilF(&g.Lag.DrainMs)
			negNilF(&g.FailoverMs)
			if g.FailoverMs != nil && *g.FailoverMs == 0 && !faulted[g.Group] {
				g.FailoverMs = nil
			}
		}
		if len(v.Consume.Groups) == 0 && v.Delivery != nil && v.Delivery.Lost != nil &&
			*v.Delivery.Lost == 0 && v.Delivery.Duplicated == 0 && v.Delivery.Reordered == 0 {
			v.Delivery = nil // no group verified anything
		}
	}
}
