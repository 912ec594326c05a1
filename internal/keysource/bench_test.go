package keysource

import (
	"bufio"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/kbench/kbench/keying"
)

// BenchmarkFromFile is `kbench keys --from-file` minus the rendering:
// read a file of one key per line and place every key under the default
// partitioners (murmur2, crc32, fnv1a) on 12 partitions, with distinct
// and hot keys. The target is 2M keys/s on one core:
//
//	go test -run '^$' -bench FromFile -cpu 1 ./internal/keysource/
func BenchmarkFromFile(b *testing.B) {
	const n = 2_000_000
	path := filepath.Join(b.TempDir(), "keys.txt")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriter(f)
	r := rand.New(rand.NewPCG(1, 2))
	z := rand.NewZipf(r, 1.1, 1, 1_000_000)
	for range n {
		w.WriteString("customer-")
		w.WriteString(strconv.FormatUint(z.Uint64(), 10))
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	f.Close()
	b.ResetTimer()
	start := time.Now()
	var keys int64
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		rd, _ := NewReader(f, path, FileOptions{})
		c, _ := keying.NewCensus(nil, []int{12}, 0)
		st, err := Scan(context.Background(), rd, ScanOptions{}, c.Add)
		f.Close()
		if err != nil || st.Records != n {
			b.Fatalf("%d records, %v", st.Records, err)
		}
		keys += st.Records
		_ = c.Result()
	}
	b.ReportMetric(float64(keys)/time.Since(start).Seconds(), "keys/s")
}
