// Package wire is the kbench message header: the few bytes every produced
// record carries so consumers can measure end-to-end latency and verify
// delivery (SPEC §5). It rides as the Kafka record header named HeaderKey.
//
// Layout, big-endian, Size bytes:
//
//	0      version (1)
//	1..8   run id
//	9..12  producer id
//	13..20 sequence (per producer, from 0)
//	21..28 intended send time, Unix ns
//	29..36 actual hand-off time, Unix ns
package wire

import (
	"encoding/binary"
	"errors"
)

// HeaderKey names the record header that carries the kbench header.
const HeaderKey = "kbench"

// Version of the layout.
const Version = 1

// Size of an encoded header.
const Size = 37

// Header is the decoded kbench header.
type Header struct {
	RunID    uint64
	Producer uint32
	Seq      uint64
	Intended int64 // Unix ns
	Sent     int64 // Unix ns
}

// ErrNotKbench means the bytes are not a kbench header (a foreign message).
var ErrNotKbench = errors.New("wire: not a kbench header")

// Put encodes h into b, which must be at least Size long. It does not
// allocate.
func Put(b []byte, h *Header) {
	_ = b[Size-1]
	b[0] = Version
	binary.BigEndian.PutUint64(b[1:], h.RunID)
	binary.BigEndian.PutUint32(b[9:], h.Producer)
	binary.BigEndian.PutUint64(b[13:], h.Seq)
	binary.BigEndian.PutUint64(b[21:], uint64(h.Intended))
	binary.BigEndian.PutUint64(b[29:], uint64(h.Sent))
}

// PutSent rewrites only the hand-off time, for clients that stamp it late.
func PutSent(b []byte, sent int64) {
	binary.BigEndian.PutUint64(b[29:], uint64(sent))
}

// Parse decodes b into h.
func Parse(b []byte, h *Header) error {
	if len(b) != Size || b[0] != Version {
		return ErrNotKbench
	}
	h.RunID = binary.BigEndian.Uint64(b[1:])
	h.Producer = binary.BigEndian.Uint32(b[9:])
	h.Seq = binary.BigEndian.Uint64(b[13:])
	h.Intended = int64(binary.BigEndian.Uint64(b[21:]))
	h.Sent = int64(binary.BigEndian.Uint64(b[29:]))
	return nil
}
