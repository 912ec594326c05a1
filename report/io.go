package report

import (
	"encoding/json"
	"fmt"
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

// WriteResult writes r as indented JSON to path (atomically: a temporary
// file renamed into place).
func WriteResult(path string, r *Result) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".result-*.json")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := RenderJSON(tmp, r); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
