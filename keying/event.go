// Package keying maps API events to Kafka record keys (strategies), keys to
// partitions exactly as the real clients do (partitioners), and measures what
// that costs: partition skew, distinct and hot keys, per-entity ordering and
// remapping when partitions grow (SPEC §4-§5).
//
// The package is pure: no I/O, no goroutines, no dependency on the experiment
// model. Everything on the per-message path (Strategy.AppendKey,
// Partitioner.Partition, EntityFunc, Analyzer.Observe) is allocation-free
// once warmed up, so the runner can call it for every message it sends.
//
// None of the stateful values here (partitioners with keyless state, random
// and salted strategies, Analyzer) is safe for concurrent use: give each
// producer its own, and Merge analyzers at the end.
package keying

import "strconv"

// Event is one API request as the traffic model generates it. Every string
// points into an immutable catalog built once, so filling an Event allocates
// nothing; the only per-request variable part of a path, its id, is kept as a
// number (ID) and rendered on demand by AppendPath.
type Event struct {
	// Service name, e.g. "payment-service".
	Service string
	// Method is the HTTP method, e.g. "GET".
	Method string
	// Path is the route template, e.g. "/payments/{id}/refund". Every "{id}"
	// stands for ID.
	Path string
	// Segment is Path's first segment, precomputed ("payments"); the `path`
	// strategy keys by it (SPEC §4: /order/123 -> order).
	Segment string
	// ID substituted for each "{id}" of Path.
	ID uint32
	// Node is the pod that served the request, e.g. "payment-7f9c-2".
	Node string
	// User id, 1..users.
	User uint32
	// Status is the HTTP status code.
	Status uint16
	// LatencyUs is the server-side latency in microseconds.
	LatencyUs uint32
}

// AppendPath appends the concrete request path: Path with every "{id}"
// replaced by ID in decimal ("/payments/{id}" -> "/payments/4711").
func (ev *Event) AppendPath(dst []byte) []byte {
	p := ev.Path
	for {
		i := indexID(p)
		if i < 0 {
			return append(dst, p...)
		}
		dst = append(dst, p[:i]...)
		dst = strconv.AppendUint(dst, uint64(ev.ID), 10)
		p = p[i+len(idPlaceholder):]
	}
}

// idPlaceholder marks where a path carries the request's id.
const idPlaceholder = "{id}"

func indexID(s string) int {
	for i := 0; i+len(idPlaceholder) <= len(s); i++ {
		if s[i] == '{' && s[i:i+len(idPlaceholder)] == idPlaceholder {
			return i
		}
	}
	return -1
}

// FirstSegment returns the first non-empty segment of a path
// ("/order/123" -> "order", "/" -> "").
func FirstSegment(path string) string {
	for len(path) > 0 && path[0] == '/' {
		path = path[1:]
	}
	for i := 0; i < len(path); i++ {
		if path[i] == '/' || path[i] == '?' {
			return path[:i]
		}
	}
	return path
}
