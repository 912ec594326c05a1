package driver

import (
	"fmt"
	"strings"
)

// Driver names, as producer.driver spells them. The driver drives both the
// producers and the consumer groups of a variant.
const (
	// KafkaGo is segmentio/kafka-go, the default.
	KafkaGo = "kafka-go"
	// FranzGo is twmb/franz-go.
	FranzGo = "franz-go"
)

// Names lists every driver, the default first.
func Names() []string { return []string{KafkaGo, FranzGo} }

// unknown is the one error for a driver name that is not in Names.
func unknown(name string) error {
	return fmt.Errorf("unknown producer.driver %q (want one of %s)", name, strings.Join(Names(), ", "))
}

// NewProducer returns the named driver's producer ("" is KafkaGo).
func NewProducer(name string, c ProducerConfig) (Producer, error) {
	switch name {
	case "", KafkaGo:
		return NewKafkaGoProducer(c)
	case FranzGo:
		return NewFranzGoProducer(c)
	}
	return nil, unknown(name)
}

// NewConsumer returns the named driver's group member ("" is KafkaGo).
func NewConsumer(name string, c ConsumerConfig) (Consumer, error) {
	if err := CheckAssignor(name, c.Assignor); err != nil {
		return nil, err
	}
	if c.MaxPollInterval > 0 && c.onPoll == nil {
		return newPollLimited(c, func(c ConsumerConfig) (Consumer, error) { return NewConsumer(name, c) })
	}
	switch name {
	case "", KafkaGo:
		return NewKafkaGoConsumer(c)
	case FranzGo:
		return NewFranzGoConsumer(c)
	}
	return nil, unknown(name)
}
