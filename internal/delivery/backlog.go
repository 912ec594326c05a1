package delivery

// Backlog classifies, for one partition, the records a group has not
// processed when a run ends. committed is the group's committed offset
// (the next record it will read; < 0 when it never committed: it reads
// from the start), end the partition's high watermark, processed the
// offsets the group processed. unackedWritten is how many records on the
// partition the broker holds whose acknowledgement the producers never saw
// (ambiguous writes): they may sit anywhere in the log, so they are taken
// out of the count, which is then exact without ambiguous writes and a
// lower bound with them.
//
// The result, unconsumed, is the acknowledged records at or above the
// committed offset that the group has not processed: still in the topic,
// a backlog the group would work through, not a loss.
func Backlog(processed *IntervalSet, committed, end, unackedWritten int64) int64 {
	if committed < 0 {
		committed = 0
	}
	if end <= committed {
		return 0
	}
	var done uint64
	if processed != nil {
		done = processed.CountInRange(uint64(committed), uint64(end))
	}
	n := end - committed - int64(done) - max(unackedWritten, 0)
	return max(n, 0)
}

// BacklogOf is Backlog when the acknowledged offsets are known: the
// acknowledged offsets of the partition in [committed, end) that the group
// did not process. Exact, ambiguous writes included.
func BacklogOf(acked, processed *IntervalSet, committed, end int64) int64 {
	if committed < 0 {
		committed = 0
	}
	if acked == nil || end <= committed {
		return 0
	}
	in := &IntervalSet{}
	in.AddRange(uint64(committed), uint64(end-1))
	return int64(intersect(acked, in).CountNotIn(processed))
}

// intersect returns a ∩ b.
func intersect(a, b *IntervalSet) *IntervalSet {
	out := &IntervalSet{}
	ar, br := a.Runs(), b.Runs()
	i, j := 0, 0
	for i < len(ar) && j < len(br) {
		lo, hi := max(ar[i].Lo, br[j].Lo), min(ar[i].Hi, br[j].Hi)
		if lo <= hi {
			out.AddRange(lo, hi)
		}
		if ar[i].Hi < br[j].Hi {
			i++
		} else {
			j++
		}
	}
	return out
}
