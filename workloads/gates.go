package workloads

import (
	"fmt"
	"strings"

	"github.com/kbench/kbench/report/verdict"
)

// checkGate validates one gate expression before any load is sent: its
// grammar and path against the result model (verdict.ParseGate), and the
// consumer group it names against the experiment's groups. The error names
// the gate.
func checkGate(expr string, exp *Experiment) error {
	g, err := verdict.ParseGate(expr)
	if err != nil {
		return err
	}
	name, ok := g.Group()
	if !ok {
		return nil
	}
	var names []string
	for _, c := range exp.Consumers {
		if c.Group == name {
			return nil
		}
		names = append(names, c.Group)
	}
	return fmt.Errorf("gate %q: no consumer group %q in this experiment (groups: %s)", expr, name, strings.Join(names, ", "))
}
