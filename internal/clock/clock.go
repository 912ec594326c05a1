// Package clock gives kbench one time base for every latency it records.
//
// Why: latencies are differences of two readings. Wall-clock readings
// (time.Time.UnixNano) jump when the system clock is stepped (NTP, a VM
// resumed), and a step between a send and its acknowledgement corrupts
// the latency. Go's time.Time carries a monotonic reading besides the wall
// clock, but only inside the process; kbench's record header crosses
// processes (the consumer reads the send time from it).
//
// How: the process reads the wall clock once, at Origin, and from then on
// every timestamp is Origin's wall time plus the monotonic time elapsed
// since Origin. Within a process, differences of these stamps are
// monotonic differences, immune to clock steps; across processes (a
// sharded run's hosts) they are as good as the hosts' clocks were agreed
// at their origins, which is why kbench measures end-to-end latency only
// where producer and consumer run in the same process (see runner).
package clock

import "time"

var (
	origin     = time.Now()
	originWall = origin.UnixNano()
)

// Now is the current stamp in nanoseconds: the Unix time of the process's
// origin plus the monotonic time since.
func Now() int64 { return originWall + int64(time.Since(origin)) }

// At converts t to a stamp. A t read from time.Now in this process uses
// its monotonic reading; a t without one (parsed, or built from a date)
// falls back to its wall clock relative to the origin's.
func At(t time.Time) int64 { return originWall + int64(t.Sub(origin)) }

// Time converts a stamp back to a time.Time carrying a monotonic reading
// (for deadlines and timers).
func Time(stamp int64) time.Time { return origin.Add(time.Duration(stamp - originWall)) }
