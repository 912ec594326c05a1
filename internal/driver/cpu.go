package driver

import (
	"fmt"
	"math"
	"sort"
	"time"
)

// cpuPoint is one measured cost: CPU per message of the whole process
// (the clients and the embedded broker) at a number of partitions.
type cpuPoint struct {
	partitions int
	perMessage time.Duration
}

// cpuCurves are the costs scripts/scale.sh measured on the embedded broker
// (random keys, 512-byte messages, one producer, one group of four with
// after-process commits, 20,000 msg/s; docs/scale.md). kafka-go's grows
// with the partitions because it sends a Produce request per partition
// batch and fetches each partition on its own; franz-go's slowly, one
// request per broker carrying every partition.
var cpuCurves = map[string][]cpuPoint{
	KafkaGo: {{6, 24 * time.Microsecond}, {100, 43 * time.Microsecond}, {1000, 96 * time.Microsecond}},
	FranzGo: {{6, 17 * time.Microsecond}, {100, 29 * time.Microsecond}, {1000, 43 * time.Microsecond}, {5000, 63 * time.Microsecond}},
}

// CPUPerMessage is the measured CPU one message costs the named driver and
// the embedded broker on a topic of the given partitions, interpolated
// over the logarithm of the partitions (extrapolated past the last point
// along the last segment). 0 for an unknown driver.
func CPUPerMessage(name string, partitions int) time.Duration {
	if name == "" {
		name = KafkaGo
	}
	c := cpuCurves[name]
	if len(c) == 0 {
		return 0
	}
	x := math.Log(float64(max(partitions, c[0].partitions)))
	i := sort.Search(len(c), func(i int) bool { return c[i].partitions >= partitions })
	i = min(max(i, 1), len(c)-1)
	a, b := c[i-1], c[i]
	xa, xb := math.Log(float64(a.partitions)), math.Log(float64(b.partitions))
	y := float64(a.perMessage) + (x-xa)/(xb-xa)*float64(b.perMessage-a.perMessage)
	return time.Duration(y)
}

// CPUWarning is a warning, before any load, when a paced run with
// consumer groups on the embedded broker would need more of this host's
// cores than it has, at the measured cost per message: the generator
// would fall behind (send delay, unsent messages) and measure the host,
// not the keying. It names the cheaper driver when there is one. "" when
// the run fits (within 90% of the cores), is unpaced or has no group (the
// curves were measured with one).
func CPUWarning(name string, s Scale, cores int) string {
	if name == "" {
		name = KafkaGo
	}
	rate := s.PeakRate * float64(max(s.Producers, 1))
	if !(rate > 0) || math.IsInf(rate, 0) || s.Groups < 1 || cores < 1 {
		return ""
	}
	per := CPUPerMessage(name, s.Partitions)
	need := rate * per.Seconds()
	if need <= 0.9*float64(cores) {
		return ""
	}
	msg := fmt.Sprintf("about %.1f of this host's %d cores at %.0f msg/s: %s on %d partitions costs about %d µs a message here (clients and the embedded broker, docs/scale.md); expect send delay and unsent messages",
		need, cores, rate, name, s.Partitions, per.Microseconds())
	for _, other := range Names() {
		if o := CPUPerMessage(other, s.Partitions); other != name && o > 0 && o < per {
			msg += fmt.Sprintf(" (%s: about %d µs)", other, o.Microseconds())
		}
	}
	return msg
}
