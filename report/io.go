package report

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
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

// WriteHGRMFiles exports every histogram of every variant into dir as
// VARIANT.NAME.hgrm (milliseconds), returning the files written.
func WriteHGRMFiles(dir string, r *Result) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, v := range r.Variants {
		names := make([]string, 0, len(v.Histograms))
		for n := range v.Histograms {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			h, err := DecodeHistogram(v.Histograms[n])
			if err != nil {
				return files, fmt.Errorf("variant %s histogram %s: %w", v.Name, n, err)
			}
			path := filepath.Join(dir, safeName(v.Name)+"."+safeName(n)+".hgrm")
			f, err := os.Create(path)
			if err != nil {
				return files, err
			}
			err = WriteHGRM(f, h, HGRMScaleMs)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				return files, err
			}
			files = append(files, path)
		}
	}
	return files, nil
}

func safeName(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			return r
		}
		return '-'
	}, s)
}
