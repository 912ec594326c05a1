package report

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
)

// ReadResult loads a result.json. A file that is not a kbench result is an
// error that names it.
func ReadResult(path string) (*Result, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParseResult(path, b)
}

// ParseResult decodes a result.json read elsewhere; name labels errors. A
// document that is not a kbench result is a *FormatError.
func ParseResult(name string, b []byte) (*Result, error) {
	path := name
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &FormatError{Path: path, Err: err}
	}
	if r.Schema != Schema {
		return nil, &FormatError{Path: path, Err: fmt.Errorf("schema %q, want %q", r.Schema, Schema)}
	}
	if err := r.wellFormed(); err != nil {
		return nil, &FormatError{Path: path, Err: err}
	}
	r.normalize()
	return &r, nil
}

// maxSampleT bounds a time-series point's time (s): about 30 years, far
// beyond any run, and small enough that the charts' axes stay finite.
const maxSampleT = 1e9

// wellFormed rejects what kbench never writes and a renderer could not
// draw: a partition numbered outside its variant's partition list, a
// time-series point at an absurd time.
func (r *Result) wellFormed() error {
	for _, v := range r.Variants {
		for _, p := range v.Partitions {
			if p.Partition < 0 || p.Partition >= len(v.Partitions) {
				return fmt.Errorf("variant %q: partition %d outside the %d partitions listed", v.Name, p.Partition, len(v.Partitions))
			}
		}
		for _, s := range v.Timeseries {
			if math.IsNaN(s.T) || math.Abs(s.T) > maxSampleT {
				return fmt.Errorf("variant %q: time-series point at t=%g s", v.Name, s.T)
			}
		}
	}
	return nil
}

// FormatError is a file that could be read but is not a kbench result.
type FormatError struct {
	Path string
	Err  error
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("%s: not a kbench result: %v", e.Path, e.Err)
}
func (e *FormatError) Unwrap() error { return e.Err }

// WriteResult writes r as indented JSON to path, atomically.
func WriteResult(path string, r *Result) error {
	return WriteFileAtomic(path, func(w io.Writer) error { return WriteJSON(w, r) })
}

// WriteFileAtomic writes path through write into a temporary file beside
// it, renamed into place once complete: a reader (or a run cut short)
// never sees half a file.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// WriteJSON writes r as indented JSON: result.json's format.
func WriteJSON(w io.Writer, r *Result) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
