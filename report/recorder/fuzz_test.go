package recorder

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

// FuzzParseHGRM: any text gives a parsed histogram or an error naming the
// line; never a panic.
func FuzzParseHGRM(f *testing.F) {
	h := NewHistogram()
	for i := 1; i <= 1000; i++ {
		h.Record(time.Duration(i) * time.Microsecond)
	}
	var buf bytes.Buffer
	if err := WriteHGRM(&buf, h, HGRMScaleMs); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.String())
	f.Add("       Value     Percentile TotalCount 1/(1-Percentile)\n\n 1.000 0.5 1 2.00\n#[Mean = 1, StdDeviation = 0]\n#[Max = 1, Total count = 1]\n")
	f.Add("1 2\n")
	f.Add("#[Total count = x]\n")
	f.Fuzz(func(t *testing.T, text string) {
		d, err := ParseHGRM(strings.NewReader(text))
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		_ = d.ValueAtPercentile(99)
	})
}
