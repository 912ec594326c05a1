package report

// Search is the answer of a capacity search and the probes it rests on.
type Search struct {
	// MaxSustainableMsgsPerS is the highest probed rate that passed (and
	// was confirmed by a repeat probe); null when no probe passed.
	MaxSustainableMsgsPerS *float64 `json:"max_sustainable_msgs_per_s"`
	// LimitedBy says what stopped the search above the answer: the first
	// reason of the lowest failing probe ("objective: produce.latency_ms.p99
	// < 50", "lag growing: group g", "client-limited: ..."), "search.max"
	// when every probe up to the bound passed, "max_time" when the time
	// ran out, "interrupted" when stopped.
	LimitedBy string `json:"limited_by"`
	// ClientLimited is true when the lowest failing probe failed because
	// the generator could not reach its target: the setup's limit is then
	// not known, only that it is at least the answer.
	ClientLimited bool `json:"client_limited,omitempty"`
	// Confirmed is true when a repeat probe at the answer passed again.
	Confirmed bool    `json:"confirmed"`
	Probes    []Probe `json:"probes"`
}

// Probe is one fixed-rate run of a search.
type Probe struct {
	// Rate is the probe's target in msg/s.
	Rate   float64 `json:"rate"`
	Passed bool    `json:"passed"`
	// Reason: why it failed (every reason, "; "-joined); empty when it
	// passed.
	Reason string `json:"reason,omitempty"`
	// ClientLimited: the generator did not reach the target (achieved
	// below 99%, messages left unsent, or send delay beyond its bound), so
	// the probe says nothing about the setup.
	ClientLimited bool `json:"client_limited,omitempty"`
	// Confirm marks the repeat probe at the answer.
	Confirm bool `json:"confirm,omitempty"`
	// AchievedMsgsPerS: acknowledged messages per second.
	AchievedMsgsPerS float64 `json:"achieved_msgs_per_s"`
	// LatencyP99Ms: produce latency p99; SendDelayP99Ms: send delay p99;
	// E2EP99Ms: end-to-end p99 over every group. Null without samples.
	LatencyP99Ms   *float64 `json:"latency_p99_ms"`
	SendDelayP99Ms *float64 `json:"send_delay_p99_ms"`
	E2EP99Ms       *float64 `json:"e2e_p99_ms"`
	// LagGrowthPerS: the fastest-growing group's lag slope (msg/s) and
	// the half-width of its 95% confidence interval; null without groups.
	LagGrowthPerS *float64 `json:"lag_growth_per_s"`
	LagGrowthCI   *float64 `json:"lag_growth_ci"`
	// Lag: the largest group lag each second of the probe.
	Lag []int64 `json:"lag,omitempty"`
	// DurationS: seconds the probe measured.
	DurationS float64 `json:"duration_s"`
}
