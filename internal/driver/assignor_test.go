package driver

import (
	"strings"
	"testing"
)

func TestCheckAssignor(t *testing.T) {
	for _, a := range Assignors() {
		if err := CheckAssignor(FranzGo, a); err != nil {
			t.Errorf("franz-go %s: %v", a, err)
		}
	}
	for _, a := range []string{"", AssignRange, AssignRoundRobin} {
		if err := CheckAssignor(KafkaGo, a); err != nil {
			t.Errorf("kafka-go %q: %v", a, err)
		}
	}
	for _, a := range []string{AssignSticky, AssignCooperativeSticky} {
		err := CheckAssignor("", a)
		if err == nil || !strings.Contains(err.Error(), "kafka-go driver cannot use assignor "+a) {
			t.Errorf("kafka-go %s: %v, want an error naming what the driver cannot do", a, err)
		}
		if _, err := NewConsumer(KafkaGo, ConsumerConfig{Brokers: []string{"127.0.0.1:1"}, Topic: "t", Group: "g", Assignor: a}); err == nil {
			t.Errorf("NewConsumer(kafka-go, %s) accepted the assignor", a)
		}
	}
}
