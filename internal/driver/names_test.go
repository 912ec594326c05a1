package driver

import (
	"strings"
	"testing"
)

// An unknown driver is the same error everywhere, never silently kafka-go.
func TestUnknownDriver(t *testing.T) {
	if _, err := NewProducer("sarama", ProducerConfig{}); err == nil || !strings.Contains(err.Error(), `"sarama"`) {
		t.Fatalf("producer: %v", err)
	}
	if _, err := NewConsumer("sarama", ConsumerConfig{}); err == nil || !strings.Contains(err.Error(), "kafka-go, franz-go") {
		t.Fatalf("consumer: %v", err)
	}
}
