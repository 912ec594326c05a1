package keying

// Remap is how much of the key space moves when partitions grow from From
// to To (SPEC §5 remap_share).
type Remap struct {
	From int `json:"from"`
	To   int `json:"to"`
	// Keys: share of distinct keys placed on a different partition.
	Keys float64 `json:"keys"`
	// Traffic: share of keyed messages whose key moved.
	Traffic float64 `json:"traffic"`
}

// WeightedKey is a key with its message count.
type WeightedKey struct {
	Key    []byte
	Weight int64
}

// RemapShare places every key with part on p and on p2 partitions and
// returns the share of keys, and the weight-weighted share of traffic, that
// land on a different partition. Empty keys are skipped (keyless messages
// have no home to keep). part's keyed placement must be stateless (every
// built-in partitioner except round-robin).
func RemapShare(keys []WeightedKey, p, p2 int, part Partitioner) Remap {
	r := Remap{From: p, To: p2}
	var n, moved int
	var w, wMoved int64
	for _, k := range keys {
		if len(k.Key) == 0 {
			continue
		}
		n++
		w += k.Weight
		if part.Partition(k.Key, p) != part.Partition(k.Key, p2) {
			moved++
			wMoved += k.Weight
		}
	}
	if n > 0 {
		r.Keys = float64(moved) / float64(n)
	}
	if w > 0 {
		r.Traffic = float64(wMoved) / float64(w)
	}
	return r
}
