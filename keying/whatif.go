package keying

import (
	"fmt"
	"strconv"
	"strings"
)

// SaltHot is a what-if option: split each of the K hottest keys into S
// salted keys ("key#0" .. "key#S-1", as the salted strategy writes them),
// each message of a hot key taking one salt at random.
type SaltHot struct {
	K int `json:"k"`
	S int `json:"salts"`
}

// String is the option as written on the command line, "k:S".
func (s SaltHot) String() string { return fmt.Sprintf("%d:%d", s.K, s.S) }

// ParseSaltHot parses "k:S" (k >= 1 hot keys, S >= 2 salts).
func ParseSaltHot(v string) (SaltHot, error) {
	a, b, ok := strings.Cut(v, ":")
	k, err1 := strconv.Atoi(strings.TrimSpace(a))
	s, err2 := strconv.Atoi(strings.TrimSpace(b))
	if !ok || err1 != nil || err2 != nil {
		return SaltHot{}, fmt.Errorf("%q: want k:S, e.g. 3:8 (salt the 3 hottest keys with 8 salts)", v)
	}
	if k < 1 || s < 2 {
		return SaltHot{}, fmt.Errorf("%q: want k >= 1 hot keys and S >= 2 salts", v)
	}
	return SaltHot{K: k, S: s}, nil
}

// WhatIfRow is one option of the what-if table: a partitioner on a
// partition count, with or without salting hot keys.
type WhatIfRow struct {
	Partitioner string   `json:"partitioner"`
	Partitions  int      `json:"partitions"`
	Salt        *SaltHot `json:"salt,omitempty"`
	Load        []int64  `json:"load"`
	Skew        Skew     `json:"skew"`
	// Expected is true when Load is an expectation rather than a count:
	// salting sends each hot-key message to a random salt, so the table
	// splits each salted key's guaranteed count evenly over its salts.
	Expected bool `json:"expected,omitempty"`
	// Distinct keys (an estimate: the census's HyperLogLog, plus the salts).
	Distinct int64 `json:"distinct"`
	// Ordered: share of messages whose key stays on one partition (per-key
	// order holds); Spread: most partitions one key spans. Not defined
	// (nil) for round-robin, which ignores keys.
	Ordered *float64 `json:"ordered"`
	Spread  *int     `json:"spread"`
	// Remap from the current partition count, on the other counts.
	Remap *Remap `json:"remap,omitempty"`
	// Top is the hottest key under this option.
	Top *HotKey `json:"top"`
}

// WhatIf lays out every placement of r unsalted and under each salting
// option: the cost of each option on the census's own keys. Salting moves
// each hot key's guaranteed count (exact when r.HotExact), never more than
// the census saw.
func WhatIf(r CensusResult, salts []SaltHot) []WhatIfRow {
	var rows []WhatIfRow
	current := map[string]CensusPlacement{}
	for _, pl := range r.Placements {
		if pl.Partitions == r.Partitions[0] {
			current[pl.Partitioner] = pl
		}
	}
	for _, pl := range r.Placements {
		rows = append(rows, plainRow(r, pl))
		if !pl.Keyed {
			continue // salting changes nothing for a placement that ignores keys
		}
		for _, s := range salts {
			rows = append(rows, saltedRow(r, pl, current[pl.Partitioner], s))
		}
	}
	return rows
}

func plainRow(r CensusResult, pl CensusPlacement) WhatIfRow {
	row := WhatIfRow{Partitioner: pl.Partitioner, Partitions: pl.Partitions, Load: pl.Load, Skew: ComputeSkew(pl.Load), Distinct: r.Distinct, Remap: pl.Remap}
	if pl.Keyed && r.Messages > 0 {
		one, spread := 1.0, 1
		row.Ordered, row.Spread = &one, &spread
	}
	if len(r.Hot) > 0 {
		t := r.Hot[0]
		row.Top = &t
	}
	return row
}

// saltedRow moves each of the s.K hottest keys' guaranteed counts from its
// home partition onto its salts' partitions.
func saltedRow(r CensusResult, pl, cur CensusPlacement, s SaltHot) WhatIfRow {
	kind := placeKinds[pl.Partitioner]
	salt := s
	row := WhatIfRow{Partitioner: pl.Partitioner, Partitions: pl.Partitions, Salt: &salt, Expected: true}
	load := append([]int64(nil), pl.Load...)
	k := min(s.K, len(r.Hot))
	var broken int64 // messages of salted keys spread over > 1 partition
	spread := 1
	var movedDelta int64     // change in moved traffic vs unsalted
	var movedKeysDelta int64 // change in moved keys
	var top *HotKey
	buf := make([]byte, 0, 64)
	for _, hk := range r.Hot[:k] {
		g := hk.Count
		if g <= 0 {
			continue
		}
		key := []byte(hk.Key)
		home := kind.place(key, pl.Partitions)
		load[home] -= g
		homeMoved := pl.Remap != nil && kind.place(key, cur.Partitions) != home
		if homeMoved {
			movedDelta -= g
			movedKeysDelta--
		}
		seen := map[int]bool{}
		for i := range s.S {
			buf = append(append(buf[:0], key...), '#')
			buf = strconv.AppendInt(buf, int64(i), 10)
			p := kind.place(buf, pl.Partitions)
			share := g / int64(s.S)
			if int64(i) < g%int64(s.S) {
				share++
			}
			load[p] += share
			seen[p] = true
			if pl.Remap != nil && kind.place(buf, cur.Partitions) != p {
				movedDelta += share
				movedKeysDelta++
			}
			if i == 0 && (top == nil || share > top.Count) {
				top = &HotKey{Key: string(buf), Count: share}
			}
		}
		if len(seen) > 1 {
			broken += g
		}
		spread = max(spread, len(seen))
	}
	// the hottest key left unsalted may still be hotter than any salt
	if k < len(r.Hot) {
		if next := r.Hot[k]; top == nil || next.Count > top.Count {
			top = &next
		}
	}
	if top != nil && r.Messages > 0 {
		top.Share = float64(top.Count) / float64(r.Messages)
	}
	row.Top = top
	row.Load = load
	row.Skew = ComputeSkew(load)
	row.Distinct = r.Distinct + int64(k*(s.S-1))
	if r.Messages > 0 {
		ordered := 1 - float64(broken)/float64(r.Messages)
		row.Ordered, row.Spread = &ordered, &spread
	}
	if pl.Remap != nil {
		rm := *pl.Remap
		if r.Messages > 0 {
			rm.Traffic = clamp01(rm.Traffic + float64(movedDelta)/float64(r.Messages))
		}
		if row.Distinct > 0 {
			movedKeys := rm.Keys*float64(r.Distinct) + float64(movedKeysDelta)
			rm.Keys = clamp01(movedKeys / float64(row.Distinct))
		}
		row.Remap = &rm
	}
	return row
}

func clamp01(x float64) float64 { return min(1, max(0, x)) }
