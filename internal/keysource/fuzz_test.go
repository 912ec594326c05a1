package keysource

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
)

// FuzzReader: any bytes in any format give keys, or errors naming the file
// and line that reading can go past; never a panic, never a negative count.
func FuzzReader(f *testing.F) {
	for _, s := range []struct {
		data   string
		format uint8
	}{
		{"order\npayment\torder\n\n", 0},
		{"k\t3\nk\t-1\nk\tx\n", 0},
		{"key,count\na,1\nb,2\n\"c,d\",3\n", 1},
		{"key,count\na\n\"unterminated\n", 1},
		{`{"key":"a","count":2}` + "\n" + `{"key":null}` + "\n{bad\n", 2},
		{`{"key":{"nested":1}}` + "\n" + `{"key":12.5,"count":1e30}`, 2},
	} {
		f.Add([]byte(s.data), s.format)
	}
	f.Fuzz(func(t *testing.T, data []byte, format uint8) {
		formats := []string{FormatText, FormatCSV, FormatJSONL}
		opt := FileOptions{Format: formats[int(format)%len(formats)]}
		if format >= 3 {
			opt.CountColumn = "count"
		}
		r, err := NewReader(bytes.NewReader(data), "keys.in", opt)
		if err != nil {
			if !strings.Contains(err.Error(), "keys.in") {
				t.Fatalf("error does not name the file: %v", err)
			}
			return
		}
		// Every call consumes input or ends it: a bounded number of calls.
		for i := 0; i <= len(data)+2; i++ {
			_, n, err := r.Next()
			if errors.Is(err, io.EOF) {
				return
			}
			var le *LineError
			if err != nil {
				if errors.As(err, &le) && le.File == "keys.in" && le.Line > 0 {
					continue
				}
				if !strings.Contains(err.Error(), "keys.in") {
					t.Fatalf("error does not name the file: %v", err)
				}
				return
			}
			if n < 0 {
				t.Fatalf("negative count %d", n)
			}
		}
		t.Fatalf("reader did not end after %d calls on %d bytes", len(data)+3, len(data))
	})
}
