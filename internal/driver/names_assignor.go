package driver

import (
	"fmt"
	"slices"
	"strings"
)

// Assignor names, as consumers[].assignor spells them.
const (
	AssignRange             = "range"
	AssignRoundRobin        = "round-robin"
	AssignSticky            = "sticky"
	AssignCooperativeSticky = "cooperative-sticky"
)

// Assignors lists every assignor kbench knows.
func Assignors() []string {
	return []string{AssignRange, AssignRoundRobin, AssignSticky, AssignCooperativeSticky}
}

// DriverAssignors lists the assignors the named driver supports. kafka-go
// implements only the eager range and round-robin group balancers.
func DriverAssignors(name string) []string {
	if name == FranzGo {
		return Assignors()
	}
	return []string{AssignRange, AssignRoundRobin}
}

// CheckAssignor reports an error naming what the driver cannot do when it
// does not support the assignor ("" is always supported: the driver's
// default).
func CheckAssignor(driverName, assignor string) error {
	if assignor == "" {
		return nil
	}
	if !slices.Contains(Assignors(), assignor) {
		return fmt.Errorf("unknown assignor %q (want one of %s)", assignor, strings.Join(Assignors(), ", "))
	}
	if d := DriverAssignors(driverName); !slices.Contains(d, assignor) {
		if driverName == "" {
			driverName = KafkaGo
		}
		return fmt.Errorf("the %s driver cannot use assignor %s (it supports %s; franz-go supports all four)", driverName, assignor, strings.Join(d, ", "))
	}
	return nil
}
