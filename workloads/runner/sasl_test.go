package runner_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/workloads/runner"
)

// TestSASLCluster runs against a broker that demands SCRAM-SHA-512, with the
// password taken from the environment: it works, a wrong password fails
// fast, and the password appears nowhere in the result.
func TestSASLCluster(t *testing.T) {
	const secret = "s3cr3t-Pa55"
	b, err := broker.Start(broker.Options{Users: []broker.User{{Mechanism: "SCRAM-SHA-512", Name: "bench", Password: secret}}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	yaml := `
name: sasl
duration: 1s
cluster:
  brokers: [` + b.Addrs()[0] + `]
  sasl: {mechanism: SCRAM-SHA-512, username: bench, password: ${KBENCH_TEST_PASSWORD}}
workload: {rate: 500}
consumers:
  - {group: g, session_timeout: 2s, heartbeat_interval: 300ms}
`
	t.Setenv("KBENCH_TEST_PASSWORD", secret)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := runner.Run(ctx, plan(t, yaml), runner.Options{})
	if err != nil {
		t.Fatal(err)
	}
	v := res.Variants[0]
	if res.Broker.Kind != "external" || v.Produce.Messages == 0 || v.Consume.Groups[0].Messages != v.Produce.Messages {
		t.Fatalf("broker %s, produced %d, consumed %d", res.Broker.Kind, v.Produce.Messages, v.Consume.Groups[0].Messages)
	}
	js, _ := json.Marshal(res)
	if strings.Contains(string(js), secret) {
		t.Fatal("the SASL password is in the result")
	}

	t.Setenv("KBENCH_TEST_PASSWORD", "wrong")
	start := time.Now()
	_, err = runner.Run(ctx, plan(t, yaml), runner.Options{ConnectTimeout: 5 * time.Second})
	if err == nil {
		t.Fatal("a wrong password was accepted")
	}
	if time.Since(start) > 15*time.Second {
		t.Fatalf("took %s to fail", time.Since(start))
	}
	if strings.Contains(err.Error(), secret) || strings.Contains(err.Error(), "wrong") {
		t.Fatalf("error leaks the password: %v", err)
	}
	t.Logf("wrong password: %v", err)
}
