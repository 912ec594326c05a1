package runner

import "time"

// inflightWindow is how much acknowledgement time an unthrottled producer
// may hold in flight: enough to keep the client's pipeline full, little
// enough that the bounded flush at the end (10s) empties it.
const inflightWindow = 2 * time.Second

// minInFlight is the least an unthrottled producer may hold in flight
// whatever its acknowledgement rate (a few chunks: the client must be
// able to form batches).
const minInFlight = 4 * chunk

// inflightBudget bounds an unthrottled producer's in-flight messages by
// time as well as count: to what its client acknowledged over the last
// inflightWindow, measured as a moving rate. By Little's law that keeps
// the queue in the client about inflightWindow long: when the broker
// slows down the bound shrinks with it, when it speeds up the bound grows
// (geometrically, as long as acknowledgements come faster than the
// window).
type inflightBudget struct {
	at    time.Time // last rate update
	acked int64     // acknowledged count then
	rate  float64   // acknowledged per second, smoothed; <0 before one
	init  bool
}

// rateEvery is how often the rate is updated.
const rateEvery = 100 * time.Millisecond

// limit returns the in-flight bound at now, given the producer's running
// count of acknowledged messages and its count bound.
func (b *inflightBudget) limit(now time.Time, acked, maxInFlight int64) int64 {
	if !b.init {
		b.at, b.acked, b.init = now, acked, true
		return min(maxInFlight, minInFlight)
	}
	if dt := now.Sub(b.at); dt >= rateEvery {
		r := float64(acked-b.acked) / dt.Seconds()
		if b.rate <= 0 {
			b.rate = r
		} else {
			// Smoothed over about a second.
			w := min(dt.Seconds(), 1)
			b.rate = b.rate*(1-w) + r*w
		}
		b.at, b.acked = now, acked
	}
	n := int64(b.rate * inflightWindow.Seconds())
	return min(maxInFlight, max(n, minInFlight))
}
