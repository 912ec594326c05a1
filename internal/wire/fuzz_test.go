package wire

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParse: any bytes are a header that encodes back to the same bytes,
// or ErrNotKbench; never a panic.
func FuzzParse(f *testing.F) {
	b := make([]byte, Size)
	Put(b, &Header{RunID: 42, Producer: 7, Seq: 1 << 40, Intended: 1700000000000000000, Sent: -1})
	f.Add(b)
	f.Add(b[:Size-1])                  // truncated
	f.Add(append(b[:Size:Size], 0))    // one byte too many
	f.Add(append([]byte{2}, b[1:]...)) // another layout version
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		var h Header
		if err := Parse(in, &h); err != nil {
			if !errors.Is(err, ErrNotKbench) {
				t.Fatalf("error %v, want ErrNotKbench", err)
			}
			return
		}
		out := make([]byte, Size)
		Put(out, &h)
		if !bytes.Equal(out, in) {
			t.Fatalf("round trip: %x -> %+v -> %x", in, h, out)
		}
	})
}
