package recorder

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/kbench/kbench/report"
)

// WriteHGRMFiles exports every histogram of every variant into dir as
// VARIANT.NAME.hgrm (milliseconds), returning the files written.
func WriteHGRMFiles(dir string, r *report.Result) ([]string, error) {
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
