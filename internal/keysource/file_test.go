package keysource

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

type rec struct {
	key string
	n   int64
}

// readAll returns every record and every bad line's error text.
func readAll(t *testing.T, name, in string, opt FileOptions) ([]rec, []string) {
	t.Helper()
	r, err := NewReader(strings.NewReader(in), name, opt)
	if err != nil {
		t.Fatalf("NewReader: %v", err)
	}
	var recs []rec
	var bad []string
	for {
		k, n, err := r.Next()
		if err == io.EOF {
			return recs, bad
		}
		var le *LineError
		if errors.As(err, &le) {
			bad = append(bad, le.Error())
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		recs = append(recs, rec{string(k), n})
	}
}

func eqRecs(t *testing.T, got, want []rec) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range got {
		if got[i] != want[i] {
			t.Fatalf("record %d: got %v, want %v", i, got[i], want[i])
		}
	}
}

func TestTextFormat(t *testing.T) {
	in := "order-1\npayment\t12\r\n\nwith\ttab\t3\nno-newline-at-end"
	got, bad := readAll(t, "keys.txt", in, FileOptions{})
	eqRecs(t, got, []rec{{"order-1", 1}, {"payment", 12}, {"with\ttab", 3}, {"no-newline-at-end", 1}})
	if len(bad) != 0 {
		t.Fatalf("bad lines %v", bad)
	}
	got, bad = readAll(t, "k.txt", "a\nb\tx\nc\t-1\n\t4\nd\t99999999999999999999\ne\n", FileOptions{})
	eqRecs(t, got, []rec{{"a", 1}, {"e", 1}})
	want := []string{"k.txt:2: ", "k.txt:3: ", "k.txt:4: empty key", "k.txt:5: "}
	if len(bad) != len(want) {
		t.Fatalf("bad %v", bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i], w) {
			t.Fatalf("bad[%d] = %q, want prefix %q", i, bad[i], w)
		}
	}
	// a line longer than MaxLine is one bad line; the next line reads fine
	long := strings.Repeat("x", MaxLine+10)
	got, bad = readAll(t, "l.txt", "a\n"+long+"\nb\n", FileOptions{})
	eqRecs(t, got, []rec{{"a", 1}, {"b", 1}})
	if len(bad) != 1 || !strings.HasPrefix(bad[0], "l.txt:2: line longer") {
		t.Fatalf("long line: %v", bad)
	}
}

func TestCSVFormat(t *testing.T) {
	in := "\ufeffid,user,n\n1,alice,3\n2,\"bob, jr\",1\n3,,7\n4,carol\n5,dave,x\n"
	got, bad := readAll(t, "export.csv", in, FileOptions{KeyColumn: "user", CountColumn: "n"})
	eqRecs(t, got, []rec{{"alice", 3}, {"bob, jr", 1}, {"", 7}})
	if len(bad) != 2 || !strings.HasPrefix(bad[0], "export.csv:5: ") || !strings.HasPrefix(bad[1], "export.csv:6: count") {
		t.Fatalf("bad %v", bad)
	}
	// without a count column each row is one message; the default column is key
	got, _ = readAll(t, "x.csv", "key\nk1\nk2\n", FileOptions{})
	eqRecs(t, got, []rec{{"k1", 1}, {"k2", 1}})
	for _, c := range []struct{ in, col, want string }{
		{"id,user\n1,a\n", "key", `x.csv:1: no column "key"`},
		{"", "key", "x.csv:1: empty CSV"},
	} {
		_, err := NewReader(strings.NewReader(c.in), "x.csv", FileOptions{KeyColumn: c.col})
		if err == nil || !strings.HasPrefix(err.Error(), c.want) {
			t.Fatalf("%q: err %v, want %q", c.in, err, c.want)
		}
	}
	_, bad = readAll(t, "q.csv", "key\n\"open\nk\n", FileOptions{})
	if len(bad) != 1 || !strings.HasPrefix(bad[0], "q.csv:") {
		t.Fatalf("bad quote: %v", bad)
	}
}

func TestJSONLFormat(t *testing.T) {
	in := `{"user":"alice","n":2}` + "\n" +
		`{"user":42}` + "\n" +
		`{"user":null}` + "\n" +
		"\n" +
		`{"user":"b\u00e9","n":1}` + "\n" +
		`{"n":1}` + "\n" +
		`not json` + "\n" +
		`{"user":true}` + "\n" +
		`{"user":"c","n":-3}` + "\n"
	got, bad := readAll(t, "ev.jsonl", in, FileOptions{KeyColumn: "user"})
	eqRecs(t, got, []rec{{"alice", 1}, {"42", 1}, {"", 1}, {"bé", 1}, {"c", 1}})
	if len(bad) != 3 || bad[0] != `ev.jsonl:6: no field "user"` || !strings.HasPrefix(bad[1], "ev.jsonl:7: not a JSON") || !strings.HasPrefix(bad[2], `ev.jsonl:8: field "user"`) {
		t.Errorf("bad lines without a count column: %q", bad)
	}
	_, bad = readAll(t, "ev.jsonl", in, FileOptions{KeyColumn: "user", CountColumn: "n"})
	want := []string{"ev.jsonl:2: no field \"n\"", "ev.jsonl:3: no field \"n\"", "ev.jsonl:6: no field \"user\"", "ev.jsonl:7: not a JSON", "ev.jsonl:8: field \"user\"", "ev.jsonl:9: field \"n\""}
	if len(bad) != len(want) {
		t.Fatalf("bad %v", bad)
	}
	for i, w := range want {
		if !strings.HasPrefix(bad[i], w) {
			t.Fatalf("bad[%d] = %q, want prefix %q", i, bad[i], w)
		}
	}
}

func TestResolveFormat(t *testing.T) {
	for name, want := range map[string]string{"a.csv": FormatCSV, "a.JSONL": FormatJSONL, "a.ndjson": FormatJSONL, "a.json": FormatJSONL, "a.txt": FormatText, "-": FormatText, "keys": FormatText} {
		if got, err := ResolveFormat(name, "auto"); err != nil || got != want {
			t.Errorf("%s: %s %v, want %s", name, got, err, want)
		}
	}
	if got, _ := ResolveFormat("a.csv", "text"); got != FormatText {
		t.Errorf("explicit format lost: %s", got)
	}
	if _, err := ResolveFormat("a", "xml"); err == nil {
		t.Error("xml accepted")
	}
}

func TestScanSkipBad(t *testing.T) {
	in := "a\t2\nb\tx\n\tnokey\nc\nd\t0\n"
	r, _ := NewReader(strings.NewReader(in), "s.txt", FileOptions{})
	if _, err := Scan(context.Background(), r, ScanOptions{}, func([]byte, int64) {}); err == nil || err.Error() != `s.txt:2: count "x" after the tab: not a non-negative integer` {
		t.Fatalf("first bad line: %v", err)
	}
	r, _ = NewReader(strings.NewReader(in), "s.txt", FileOptions{})
	var got []rec
	st, err := Scan(context.Background(), r, ScanOptions{SkipBad: true}, func(k []byte, n int64) { got = append(got, rec{string(k), n}) })
	if err != nil {
		t.Fatal(err)
	}
	eqRecs(t, got, []rec{{"a", 2}, {"c", 1}})
	if st.Records != 3 || st.Messages != 3 || st.Bad != 2 || len(st.FirstBad) != 2 || !strings.HasPrefix(st.FirstBad[1], "s.txt:3:") {
		t.Fatalf("stats %+v", st)
	}
}

func TestKeyCountsWrite(t *testing.T) {
	kc := NewKeyCounts(3)
	for _, k := range []string{"b", "a", "b", "with\ttab", "line\nbreak", "over"} {
		kc.Add([]byte(k), 1)
	}
	kc.Add([]byte("a"), 5)
	var sb strings.Builder
	written, skipped, err := kc.Write(&sb)
	if err != nil || written != 3 || skipped != 0 || !kc.Over {
		t.Fatalf("written %d skipped %d over %v err %v", written, skipped, kc.Over, err)
	}
	if sb.String() != "a\t6\nb\t2\nwith\ttab\t1\n" {
		t.Fatalf("saved %q", sb.String())
	}
	// what was saved reads back as the same counts
	got, bad := readAll(t, "saved", sb.String(), FileOptions{})
	eqRecs(t, got, []rec{{"a", 6}, {"b", 2}, {"with\ttab", 1}})
	if len(bad) != 0 {
		t.Fatal(bad)
	}
	kc2 := NewKeyCounts(10)
	kc2.Add([]byte("line\nbreak"), 1)
	if _, skipped, _ := kc2.Write(io.Discard); skipped != 1 {
		t.Fatalf("line break key not skipped: %d", skipped)
	}
}
