// Package keysource reads real keys for `kbench keys`: from files of keys
// (one per line, KEY<TAB>COUNT, a CSV or JSON-lines column) streamed in
// bounded memory, and from an existing topic, strictly read-only.
package keysource

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// File formats.
const (
	FormatAuto  = "auto"
	FormatText  = "text"
	FormatCSV   = "csv"
	FormatJSONL = "jsonl"
)

// Formats lists the accepted --input-format values.
func Formats() []string { return []string{FormatAuto, FormatText, FormatCSV, FormatJSONL} }

// MaxLine bounds one line (or CSV record); a longer one is a bad line.
const MaxLine = 1 << 20

// FileOptions select how a file is read.
type FileOptions struct {
	// Format: text, csv, jsonl, or auto (default): by extension (.csv;
	// .jsonl, .ndjson, .json), text otherwise and for stdin.
	Format string
	// KeyColumn names the key's CSV column or JSON field. Default "key".
	KeyColumn string
	// CountColumn names an optional CSV column or JSON field holding how
	// many messages the line stands for. Default none: each line is one.
	CountColumn string
}

// LineError is a bad line: FILE:LINE: message.
type LineError struct {
	File string
	Line int64
	Msg  string
}

func (e *LineError) Error() string { return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg) }

// Reader yields the keys of a file. Next returns the next key (valid until
// the following call; empty for a keyless record, e.g. a JSON null) and
// how many messages it stands for (>= 0). A bad line returns a *LineError;
// reading can go on past it. The end is io.EOF. Not safe for concurrent use.
type Reader interface {
	Next() (key []byte, count int64, err error)
}

// ResolveFormat returns the concrete format for name and opt.Format.
func ResolveFormat(name, format string) (string, error) {
	switch format {
	case "", FormatAuto:
		switch strings.ToLower(filepath.Ext(name)) {
		case ".csv":
			return FormatCSV, nil
		case ".jsonl", ".ndjson", ".json":
			return FormatJSONL, nil
		}
		return FormatText, nil
	case FormatText, FormatCSV, FormatJSONL:
		return format, nil
	}
	return "", fmt.Errorf("unknown input format %q (want one of %s)", format, strings.Join(Formats(), ", "))
}

// NewReader reads keys from r; name labels errors (the file name, "-" for
// stdin).
func NewReader(r io.Reader, name string, opt FileOptions) (Reader, error) {
	format, err := ResolveFormat(name, opt.Format)
	if err != nil {
		return nil, err
	}
	if opt.KeyColumn == "" {
		opt.KeyColumn = "key"
	}
	switch format {
	case FormatText:
		return &textReader{r: bufio.NewReaderSize(r, 256<<10), name: name}, nil
	case FormatJSONL:
		return &jsonlReader{textReader: textReader{r: bufio.NewReaderSize(r, 256<<10), name: name}, key: opt.KeyColumn, count: opt.CountColumn}, nil
	}
	return newCSVReader(r, name, opt)
}

// textReader: a line is KEY, or KEY<TAB>COUNT (split at the last tab).
// Empty lines are skipped; a trailing CR is dropped.
type textReader struct {
	r    *bufio.Reader
	name string
	line int64
	long []byte // a line longer than the buffer, assembled
}

// readLine returns the next line without its terminator, or a *LineError
// for a line longer than MaxLine (skipped whole).
func (t *textReader) readLine() ([]byte, error) {
	t.line++
	b, err := t.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		t.long = append(t.long[:0], b...)
		for errors.Is(err, bufio.ErrBufferFull) {
			b, err = t.r.ReadSlice('\n')
			if len(t.long) <= MaxLine {
				t.long = append(t.long, b...)
			}
		}
		b = t.long
		if len(b) > MaxLine {
			if err != nil && err != io.EOF {
				return nil, err
			}
			return nil, &LineError{File: t.name, Line: t.line, Msg: fmt.Sprintf("line longer than %d bytes", MaxLine)}
		}
	}
	if err != nil && err != io.EOF {
		return nil, fmt.Errorf("%s: %w", t.name, err)
	}
	if err == io.EOF && len(b) == 0 {
		return nil, io.EOF
	}
	b = bytes.TrimSuffix(b, []byte{'\n'})
	b = bytes.TrimSuffix(b, []byte{'\r'})
	return b, nil
}

func (t *textReader) Next() ([]byte, int64, error) {
	for {
		b, err := t.readLine()
		if err != nil {
			return nil, 0, err
		}
		if len(b) == 0 {
			continue
		}
		i := bytes.LastIndexByte(b, '\t')
		if i < 0 {
			return b, 1, nil
		}
		n, err := parseCount(b[i+1:])
		if err != nil {
			return nil, 0, &LineError{File: t.name, Line: t.line, Msg: fmt.Sprintf("count %q after the tab: %v", b[i+1:], err)}
		}
		if i == 0 {
			return nil, 0, &LineError{File: t.name, Line: t.line, Msg: "empty key before the tab"}
		}
		return b[:i], n, nil
	}
}

// parseCount parses a non-negative decimal count without allocating.
func parseCount(b []byte) (int64, error) {
	if len(b) == 0 {
		return 0, errors.New("empty")
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, errors.New("not a non-negative integer")
		}
		if n > (1<<62)/10 {
			return 0, errors.New("too large")
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// jsonlReader: each line is a JSON object; the key is a string or number
// field (null = keyless), the count an optional integer field.
type jsonlReader struct {
	textReader
	key, count string
	buf        []byte
}

func (j *jsonlReader) Next() ([]byte, int64, error) {
	for {
		b, err := j.readLine()
		if err != nil {
			return nil, 0, err
		}
		if len(bytes.TrimSpace(b)) == 0 {
			continue
		}
		var obj map[string]json.RawMessage
		if err := json.Unmarshal(b, &obj); err != nil {
			return nil, 0, j.bad("not a JSON object: %v", err)
		}
		raw, ok := obj[j.key]
		if !ok {
			return nil, 0, j.bad("no field %q", j.key)
		}
		key, err := jsonScalar(raw, j.buf[:0])
		if err != nil {
			return nil, 0, j.bad("field %q: %v", j.key, err)
		}
		j.buf = key
		n := int64(1)
		if j.count != "" {
			rc, ok := obj[j.count]
			if !ok {
				return nil, 0, j.bad("no field %q", j.count)
			}
			if n, err = parseCount(bytes.TrimSpace(rc)); err != nil {
				return nil, 0, j.bad("field %q = %s: %v", j.count, rc, err)
			}
		}
		return key, n, nil
	}
}

func (j *jsonlReader) bad(format string, args ...any) error {
	return &LineError{File: j.name, Line: j.line, Msg: fmt.Sprintf(format, args...)}
}

// jsonScalar appends a JSON string's text or a number's literal; null is
// an empty key.
func jsonScalar(raw json.RawMessage, dst []byte) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0:
		return nil, errors.New("empty")
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return append(dst, s...), nil
	case string(raw) == "null":
		return dst[:0], nil
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		return append(dst, raw...), nil
	}
	return nil, fmt.Errorf("want a string or number, got %s", raw)
}

// csvReader: a header line names the columns; an empty key cell is a
// keyless record.
type csvReader struct {
	r             *csv.Reader
	name          string
	keyCol, count int // count = -1 without a count column
	line          int64
}

func newCSVReader(r io.Reader, name string, opt FileOptions) (*csvReader, error) {
	cr := csv.NewReader(bufio.NewReaderSize(r, 256<<10))
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		if err == io.EOF {
			return nil, &LineError{File: name, Line: 1, Msg: "empty CSV file (a header line naming the columns is required)"}
		}
		return nil, csvError(name, err)
	}
	head = slices.Clone(head)
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff")
	}
	c := &csvReader{r: cr, name: name, count: -1}
	if c.keyCol = slices.Index(head, opt.KeyColumn); c.keyCol < 0 {
		return nil, &LineError{File: name, Line: 1, Msg: fmt.Sprintf("no column %q in the header (columns: %s); set --key-column", opt.KeyColumn, strings.Join(head, ", "))}
	}
	if opt.CountColumn != "" {
		if c.count = slices.Index(head, opt.CountColumn); c.count < 0 {
			return nil, &LineError{File: name, Line: 1, Msg: fmt.Sprintf("no column %q in the header (columns: %s)", opt.CountColumn, strings.Join(head, ", "))}
		}
	}
	return c, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return &LineError{File: name, Line: int64(pe.Line), Msg: pe.Err.Error()}
	}
	return fmt.Errorf("%s: %w", name, err)
}

func (c *csvReader) Next() ([]byte, int64, error) {
	rec, err := c.r.Read()
	if err != nil {
		if err == io.EOF {
			return nil, 0, io.EOF
		}
		return nil, 0, csvError(c.name, err)
	}
	line, _ := c.r.FieldPos(0)
	c.line = int64(line)
	if c.keyCol >= len(rec) || (c.count >= 0 && c.count >= len(rec)) {
		return nil, 0, &LineError{File: c.name, Line: c.line, Msg: fmt.Sprintf("%d fields, fewer than the header's columns", len(rec))}
	}
	n := int64(1)
	if c.count >= 0 {
		if n, err = strconv.ParseInt(strings.TrimSpace(rec[c.count]), 10, 64); err != nil || n < 0 {
			return nil, 0, &LineError{File: c.name, Line: c.line, Msg: fmt.Sprintf("count %q: not a non-negative integer", rec[c.count])}
		}
	}
	return []byte(rec[c.keyCol]), n, nil
}
