package metrics

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/kbench/kbench/internal/broker"
)

// The embedded broker's families (kbench broker --metrics-listen).
var (
	dBrokerRequests = bdesc("broker_requests_total", "Requests the embedded broker received, by API.", "api")
	dBrokerProduce  = bdesc("broker_produce_requests_total", "Produce requests that carried records for the partition.", "topic", "partition")
	dBrokerRecords  = bdesc("broker_records_total", "Records received for the partition (appended or refused).", "topic", "partition")
	dBrokerBytes    = bdesc("broker_bytes_total", "Record-batch bytes received for the partition, as sent (compressed).", "topic", "partition")
)

// brokerFamilies names the broker collector's families.
var brokerFamilies []string

func bdesc(name, help string, labels ...string) *prometheus.Desc {
	brokerFamilies = append(brokerFamilies, "kbench_"+name)
	return prometheus.NewDesc("kbench_"+name, help, labels, nil)
}

// BrokerFamilies names every family BrokerCollector exposes.
func BrokerFamilies() []string { return append([]string(nil), brokerFamilies...) }

// BrokerCollector exposes an embedded broker's request counters.
type BrokerCollector struct{ s *broker.Stats }

// NewBrokerCollector reads s at every scrape.
func NewBrokerCollector(s *broker.Stats) *BrokerCollector { return &BrokerCollector{s: s} }

// Describe implements prometheus.Collector (unchecked: topics come and go).
func (b *BrokerCollector) Describe(chan<- *prometheus.Desc) {}

// Collect implements prometheus.Collector.
func (b *BrokerCollector) Collect(ch chan<- prometheus.Metric) {
	for api, n := range b.s.Requests() {
		ch <- prometheus.MustNewConstMetric(dBrokerRequests, prometheus.CounterValue, float64(n), api)
	}
	for _, p := range b.s.Partitions() {
		part := strconv.Itoa(int(p.Partition))
		ch <- prometheus.MustNewConstMetric(dBrokerProduce, prometheus.CounterValue, float64(p.Requests), p.Topic, part)
		ch <- prometheus.MustNewConstMetric(dBrokerRecords, prometheus.CounterValue, float64(p.Records), p.Topic, part)
		ch <- prometheus.MustNewConstMetric(dBrokerBytes, prometheus.CounterValue, float64(p.Bytes), p.Topic, part)
	}
}
