package resources

import (
	"bufio"
	"bytes"
	"fmt"
	"math"
	"os"
	"strconv"
	"strings"

	"github.com/kbench/kbench/workloads"
)

// MaxMessageBytes is Kafka's default message.max.bytes: the largest
// record batch a broker accepts. The embedded broker enforces it.
const MaxMessageBytes = 1048588

// maxPartitions: partition ids are 32-bit on the wire.
const maxPartitions = math.MaxInt32

// Machine is the memory this process may use.
type Machine struct {
	// Available bytes; 0 when unknown (the check is then skipped).
	Available int64
	// Source says where Available was read.
	Source string
}

// Probe reads what the machine has: the smaller of the kernel's
// MemAvailable and what the cgroup limit leaves (a container's limit).
func Probe() Machine {
	var m Machine
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		if kb, ok := meminfo(b, "MemAvailable"); ok {
			m = Machine{Available: kb << 10, Source: "available memory"}
		}
	}
	for _, c := range []struct{ limit, usage string }{
		{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory.current"},
		{"/sys/fs/cgroup/memory/memory.limit_in_bytes", "/sys/fs/cgroup/memory/memory.usage_in_bytes"},
	} {
		limit, ok1 := readInt(c.limit)
		usage, ok2 := readInt(c.usage)
		if !ok1 || !ok2 || limit <= 0 || limit >= 1<<60 {
			continue
		}
		if left := max(limit-usage, 0); m.Available == 0 || left < m.Available {
			m = Machine{Available: left, Source: "left under the container's memory limit"}
		}
		break
	}
	return m
}

// meminfo finds key's value (kB) in /proc/meminfo's text.
func meminfo(b []byte, key string) (int64, bool) {
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok || k != key {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			return 0, false
		}
		n, err := strconv.ParseInt(f[0], 10, 64)
		return n, err == nil && n >= 0
	}
	return 0, false
}

func readInt(path string) (int64, bool) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	return n, err == nil
}

// Check returns what stops variant v from running: Kafka's own limits
// (enforced by the embedded broker, and by any cluster left at its
// defaults), and an estimate beyond what the machine has. Each error is
// positioned at the field that causes it.
func Check(v *workloads.Variant, embedded bool, m Machine) workloads.Errors {
	exp := v.Exp
	var errs workloads.Errors
	if exp.Topic.Partitions > maxPartitions {
		errs = append(errs, v.ErrorAt("topic.partitions", "topic.partitions: %s is more than Kafka's %s (partition ids are 32-bit)", count(int64(exp.Topic.Partitions)), count(maxPartitions)))
	}
	if embedded {
		if rec := int64(exp.Workload.Message.Size) + recordOverhead; rec > MaxMessageBytes {
			errs = append(errs, v.ErrorAt("workload.message.size", "workload.message.size: %s messages are larger than Kafka's message.max.bytes (%s bytes), which the embedded broker enforces", exp.Workload.Message.Size, count(MaxMessageBytes)))
		}
	}
	if len(errs) > 0 || m.Available <= 0 {
		return errs
	}
	e := For(v.Name, exp, embedded)
	if total := e.Total(); total > m.Available {
		path := e.Largest().Path
		errs = append(errs, v.ErrorAt(path, "%s: %s need ~%s (%s); this machine has %s %s",
			path, cause(path, exp), Bytes(total), e.breakdown(3), Bytes(m.Available), m.Source))
	}
	return errs
}

// cause names what the field at path asks for.
func cause(path string, exp *workloads.Experiment) string {
	if strings.HasPrefix(path, "consumers.") {
		path = "consumers"
	}
	switch path {
	case "topic.partitions":
		return count(int64(exp.Topic.Partitions)) + " partitions"
	case "producer.instances":
		return count(int64(exp.Producer.Instances)) + " producer instances"
	case "producer.max_in_flight":
		return fmt.Sprintf("%s producer instances with up to %s messages in flight each", count(int64(exp.Producer.Instances)), count(int64(exp.Producer.MaxInFlight)))
	case "consumers":
		n := 0
		for _, g := range exp.Consumers {
			n += g.Instances
		}
		return count(int64(n)) + " consumer instances"
	case "workload.rate":
		return fmt.Sprintf("%g msg/s for %s", exp.Workload.Rate, exp.Warmup.D()+exp.Duration.D())
	}
	return "this run's settings"
}

// CheckPlan is Check for every variant of plan, each error once (variants
// share most fields, so they share most errors).
func CheckPlan(plan *workloads.Plan, embedded func(*workloads.Experiment) bool, m Machine) workloads.Errors {
	var out workloads.Errors
	seen := map[string]bool{}
	for i := range plan.Variants {
		v := &plan.Variants[i]
		for _, e := range Check(v, embedded(v.Exp), m) {
			if !seen[e.Error()] {
				seen[e.Error()] = true
				out = append(out, e)
			}
		}
	}
	return out
}

// Describe is the estimate of a plan for `kbench validate`: the largest
// variant's memory, what the machine has, and the plan's wall time.
func Describe(plan *workloads.Plan, embedded func(*workloads.Experiment) bool, m Machine) string {
	var worst Estimate
	var total int64
	for _, v := range plan.Variants {
		e := For(v.Name, v.Exp, embedded(v.Exp))
		if e.Total() >= worst.Total() {
			worst = e
		}
		total += int64(e.Time)
	}
	s := "memory " + worst.Summary()
	if len(plan.Variants) > 1 {
		s += " for the largest variant (" + worst.Variant + ")"
	}
	if m.Available > 0 {
		s += fmt.Sprintf("; this machine has %s %s", Bytes(m.Available), m.Source)
	}
	s += fmt.Sprintf("; time up to %s", fmtDuration(total))
	return s
}

func fmtDuration(ns int64) string {
	d := float64(ns) / 1e9
	switch {
	case d >= 3600:
		return fmt.Sprintf("%.1fh", d/3600)
	case d >= 60:
		return fmt.Sprintf("%.0fm%02.0fs", math.Floor(d/60), math.Mod(d, 60))
	}
	return fmt.Sprintf("%.0fs", d)
}
