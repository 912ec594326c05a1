package wire

import "testing"

func TestRoundTrip(t *testing.T) {
	in := Header{RunID: 0xdeadbeefcafe, Producer: 7, Seq: 1<<40 + 3, Intended: 1_700_000_000_123_456_789, Sent: 1_700_000_000_223_456_789}
	b := make([]byte, Size)
	Put(b, &in)
	var out Header
	if err := Parse(b, &out); err != nil {
		t.Fatal(err)
	}
	if out != in {
		t.Fatalf("got %+v want %+v", out, in)
	}
	if err := Parse(b[:Size-1], &out); err != ErrNotKbench {
		t.Fatalf("short header: got %v", err)
	}
	b[0] = 9
	if err := Parse(b, &out); err != ErrNotKbench {
		t.Fatalf("bad version: got %v", err)
	}
	if n := testing.AllocsPerRun(100, func() { Put(b, &in); _ = Parse(b, &out) }); n != 0 {
		t.Fatalf("allocs %v", n)
	}
}
