package report

import (
	"encoding/json"
	"fmt"
	"io"
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
	var r Result
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, &FormatError{Path: path, Err: err}
	}
	if r.Schema != Schema {
		return nil, &FormatError{Path: path, Err: fmt.Errorf("schema %q, want %q", r.Schema, Schema)}
	}
	r.normalize()
	return &r, nil
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
