package keysource

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// MaxReplayKeys bounds the distinct keys a replayed distribution may hold
// (it lives in memory for the whole run).
const MaxReplayKeys = 10_000_000

// Distribution is a key file's keys with their message counts, in file
// order of first appearance (repeated keys are summed). An empty key
// stands for keyless messages.
type Distribution struct {
	Keys    []string
	Weights []int64
	Total   int64
}

type distKey struct {
	path  string
	size  int64
	mtime time.Time
}

var (
	distMu    sync.Mutex
	distCache = map[distKey]*Distribution{}
)

// LoadDistribution reads a key file (any format NewReader reads, chosen
// by extension, key column "key", no count column for CSV/JSON lines) for
// replay. Validation and every producer of a run share one parse: the
// result is cached while the file is unchanged. A bad line is a
// *LineError (FILE:LINE: message).
func LoadDistribution(path string) (*Distribution, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	ck := distKey{path, fi.Size(), fi.ModTime()}
	distMu.Lock()
	defer distMu.Unlock()
	if d, ok := distCache[ck]; ok {
		return d, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r, err := NewReader(f, path, FileOptions{})
	if err != nil {
		return nil, err
	}
	d := &Distribution{}
	index := map[string]int{}
	for {
		key, n, err := r.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if n == 0 {
			continue
		}
		i, ok := index[string(key)]
		if !ok {
			if len(d.Keys) == MaxReplayKeys {
				return nil, fmt.Errorf("%s: more than %d distinct keys; replay a sample (kbench keys --save-keys writes one)", path, MaxReplayKeys)
			}
			i = len(d.Keys)
			index[string(key)] = i
			d.Keys = append(d.Keys, string(key))
			d.Weights = append(d.Weights, 0)
		}
		d.Weights[i] += n
		d.Total += n
	}
	if d.Total == 0 {
		return nil, fmt.Errorf("%s: no keys to replay", path)
	}
	distCache[ck] = d
	return d, nil
}
