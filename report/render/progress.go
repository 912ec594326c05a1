package render

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/kbench/kbench/report"
)

// ProgressInterval is how often a plain (non-TTY) progress line is printed.
const ProgressInterval = 5 * time.Second

// Progress prints the live progress line of a run on stderr: on a terminal
// one line rewritten in place ("\r" + clear to end of line), elsewhere a
// plain line at most every ProgressInterval of run time. It is safe for
// concurrent use. A nil *Progress is a valid no-op (--no-progress).
type Progress struct {
	mu       sync.Mutex
	w        io.Writer
	tty      bool
	total    time.Duration
	lastLine time.Duration // elapsed at the last plain line
	printed  bool
	last     string
	done     bool
}

// NewProgress returns a progress printer; total is the planned duration (0
// when unknown).
func NewProgress(w io.Writer, isTTY bool, total time.Duration) *Progress {
	return &Progress{w: w, tty: isTTY, total: total}
}

// FormatProgress is the progress line's text, without control characters:
//
//	[  12s/1m0s  20%] sent 61,234  rate 5,012/s  p99 4.21 ms  max lag 1,203
func FormatProgress(elapsed, total time.Duration, sent int64, rate, p99ms float64, maxLag int64) string {
	el := elapsed.Truncate(time.Second)
	var head string
	if total > 0 {
		pct := float64(elapsed) / float64(total) * 100
		if pct > 100 {
			pct = 100
		}
		head = fmt.Sprintf("[%6s/%s %3.0f%%]", el, total.Truncate(time.Second), pct)
	} else {
		head = fmt.Sprintf("[%6s]", el)
	}
	p99 := "-"
	if p99ms > 0 {
		p99 = report.FormatMs(p99ms) + " ms"
	}
	return fmt.Sprintf("%s sent %s  rate %s/s  p99 %s  max lag %s", head,
		report.FormatFigure(float64(sent), "int"), report.FormatFigure(rate, "int"), p99, report.FormatFigure(float64(maxLag), "int"))
}

// Update reports the current state. On a TTY it redraws the line every
// call; otherwise it prints a line when ProgressInterval has passed since
// the last one (and on the first call).
func (p *Progress) Update(elapsed time.Duration, sent int64, rate float64, p99ms float64, maxLag int64) {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	line := FormatProgress(elapsed, p.total, sent, rate, p99ms, maxLag)
	p.last = line
	if p.tty {
		fmt.Fprintf(p.w, "\r\033[K%s", line)
		p.printed = true
		return
	}
	if p.printed && elapsed-p.lastLine < ProgressInterval {
		return
	}
	fmt.Fprintln(p.w, line)
	p.printed = true
	p.lastLine = elapsed
}

// Done ends the progress display: on a TTY the line is cleared so the
// report starts on a clean line. Further updates are ignored.
func (p *Progress) Done() {
	if p == nil {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done {
		return
	}
	p.done = true
	if p.tty && p.printed {
		fmt.Fprint(p.w, "\r\033[K")
	}
}

// Last returns the last formatted line (for tests and final summaries).
func (p *Progress) Last() string {
	if p == nil {
		return ""
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.TrimSpace(p.last)
}
