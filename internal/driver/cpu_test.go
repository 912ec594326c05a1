package driver

import (
	"strings"
	"testing"
	"time"
)

// The cost model passes through its measured points, grows between them,
// and warns only when the paced rate needs more cores than the host has.
func TestCPUModel(t *testing.T) {
	for _, c := range []struct {
		d    string
		p    int
		want time.Duration
	}{{KafkaGo, 6, 24 * time.Microsecond}, {KafkaGo, 1000, 96 * time.Microsecond}, {FranzGo, 5000, 63 * time.Microsecond}, {KafkaGo, 1, 24 * time.Microsecond}} {
		if got := CPUPerMessage(c.d, c.p); got != c.want {
			t.Errorf("%s at %d partitions: %v, want %v", c.d, c.p, got, c.want)
		}
	}
	if a, b := CPUPerMessage(KafkaGo, 300), CPUPerMessage(KafkaGo, 600); !(a > 43*time.Microsecond && a < b && b < 96*time.Microsecond) {
		t.Errorf("kafka-go at 300 and 600 partitions: %v, %v", a, b)
	}
	if x := CPUPerMessage(KafkaGo, 5000); x <= 96*time.Microsecond {
		t.Errorf("kafka-go at 5,000 partitions: %v, want beyond the 1,000-partition cost", x)
	}
	wide := Scale{Partitions: 1000, Groups: 1, Producers: 1, PeakRate: 20000}
	w := CPUWarning(KafkaGo, wide, 2)
	if !strings.Contains(w, "1.9 of this host's 2 cores") || !strings.Contains(w, "franz-go: about 43 µs") {
		t.Errorf("kafka-go, 1,000 partitions, 20,000 msg/s, 2 cores: %q", w)
	}
	if w := CPUWarning(KafkaGo, wide, 4); w != "" {
		t.Errorf("4 cores: %q", w)
	}
	if w := CPUWarning(FranzGo, wide, 2); w != "" {
		t.Errorf("franz-go at 0.9 cores: %q", w)
	}
	noGroup := wide
	noGroup.Groups = 0
	unpaced := wide
	unpaced.PeakRate = 0
	if CPUWarning(KafkaGo, noGroup, 2) != "" || CPUWarning(KafkaGo, unpaced, 2) != "" {
		t.Error("warned without a group or without a rate")
	}
	split := Scale{Partitions: 1000, Groups: 1, Producers: 4, PeakRate: 5000}
	if CPUWarning(KafkaGo, split, 2) == "" {
		t.Error("four producers at 5,000 msg/s each: no warning")
	}
}
