package render

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestFormatProgress(t *testing.T) {
	got := FormatProgress(12*time.Second+400*time.Millisecond, time.Minute, 61234, 5012.4, 4.2109, 1203)
	want := "[   12s/1m0s  21%] sent 61,234  rate 5,012/s  p99 4.211 ms  max lag 1,203"
	if got != want {
		t.Fatalf("got  %q\nwant %q", got, want)
	}
	if got := FormatProgress(90*time.Second, 0, 0, 0, 0, 0); got != "[ 1m30s] sent 0  rate 0/s  p99 -  max lag 0" {
		t.Fatalf("unknown total: %q", got)
	}
	if got := FormatProgress(2*time.Minute, time.Minute, 1, 1, 1, 1); !strings.Contains(got, "100%") {
		t.Fatalf("overrun: %q", got)
	}
}

func TestProgressTTY(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, true, 10*time.Second)
	p.Update(time.Second, 100, 100, 1.5, 3)
	p.Update(1500*time.Millisecond, 150, 100, 1.5, 3)
	p.Done()
	p.Update(2*time.Second, 200, 100, 1.5, 3) // ignored after Done
	out := buf.String()
	if n := strings.Count(out, "\r\033[K"); n != 3 { // two redraws and the final clear
		t.Fatalf("%d redraws in %q", n, out)
	}
	if strings.Contains(out, "\n") || !strings.HasSuffix(out, "\r\033[K") || !strings.Contains(out, "sent 150") {
		t.Fatalf("tty output %q", out)
	}
}

func TestProgressPlain(t *testing.T) {
	var buf bytes.Buffer
	p := NewProgress(&buf, false, time.Minute)
	for ms := 0; ms <= 16000; ms += 500 {
		p.Update(time.Duration(ms)*time.Millisecond, int64(ms), 1000, 2, 0)
	}
	p.Done()
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	// at 0 s, 5 s, 10 s, 15 s
	if len(lines) != 4 || strings.Contains(buf.String(), "\r") || strings.Contains(buf.String(), "\033") {
		t.Fatalf("plain output:\n%s", buf.String())
	}
	for i, want := range []string{"[    0s/", "[    5s/", "[   10s/", "[   15s/"} {
		if !strings.HasPrefix(lines[i], want) {
			t.Errorf("line %d = %q, want prefix %q", i, lines[i], want)
		}
	}
	var nilP *Progress // --no-progress
	nilP.Update(time.Second, 1, 1, 1, 1)
	nilP.Done()
}
