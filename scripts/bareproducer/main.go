// Command bareproducer is the baseline for kbench's franz-go producer
// overhead: a plain kgo.Client Produce loop with the settings kbench's
// franz-go driver uses (manual partitioner over 6 partitions, acks=all with
// idempotent writes, linger 5ms, MaxBufferedRecords 100000), producing
// unthrottled for a fixed time and printing acknowledged messages per
// second. scripts/overhead.sh runs it beside `kbench run` (producer.driver:
// franz-go) against a fresh `kbench broker`.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"sync/atomic"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

func main() {
	brokers := flag.String("brokers", "127.0.0.1:9092", "bootstrap broker")
	topic := flag.String("topic", "bareproducer", "topic (must exist)")
	size := flag.Int("size", 100, "value bytes")
	partitions := flag.Int("partitions", 6, "partitions to spread records over")
	dur := flag.Duration("duration", 10*time.Second, "how long to produce")
	linger := flag.Duration("linger", 5*time.Millisecond, "producer linger")
	maxBuf := flag.Int("max-buffered", 100000, "kgo.MaxBufferedRecords")
	cpuprofile := flag.String("cpuprofile", "", "write a CPU profile of the run to this file")
	headerBytes := flag.Int("header-bytes", 0, "a record header \"kbench\" of this many bytes on every record (kbench's own is 37; one header shared by all records)")
	flag.Parse()
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "bareproducer:", err)
			os.Exit(2)
		}
		defer pprof.StopCPUProfile()
	}

	cl, err := kgo.NewClient(
		kgo.SeedBrokers(*brokers),
		kgo.DefaultProduceTopic(*topic),
		kgo.RecordPartitioner(kgo.ManualPartitioner()),
		kgo.ProducerLinger(*linger),
		kgo.ProducerBatchMaxBytes(1<<20),
		kgo.MaxBufferedRecords(*maxBuf),
		kgo.ProducerBatchCompression(kgo.NoCompression()),
		kgo.RequiredAcks(kgo.AllISRAcks()),
		kgo.AllowAutoTopicCreation(),
	)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bareproducer:", err)
		os.Exit(1)
	}
	var acked, failed atomic.Int64
	promise := func(_ *kgo.Record, err error) {
		if err == nil {
			acked.Add(1)
		} else {
			failed.Add(1)
		}
	}
	value := make([]byte, *size)
	var headers []kgo.RecordHeader // read only by the client: one for all records
	if *headerBytes > 0 {
		headers = []kgo.RecordHeader{{Key: "kbench", Value: make([]byte, *headerBytes)}}
	}
	keys := [][]byte{[]byte("order"), []byte("user"), []byte("payment"), []byte("auth"), []byte("inventory"), []byte("search")}
	ctx := context.Background()
	start := time.Now()
	end := start.Add(*dur)
	for i := 0; ; i++ {
		if i%256 == 0 && !time.Now().Before(end) {
			break
		}
		// Produce blocks while MaxBufferedRecords are buffered.
		cl.Produce(ctx, &kgo.Record{Key: keys[i%len(keys)], Value: value, Headers: headers, Partition: int32(i % *partitions)}, promise)
	}
	if err := cl.Flush(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "bareproducer:", err)
		os.Exit(1)
	}
	el := time.Since(start).Seconds()
	cl.Close()
	if n := failed.Load(); n > 0 {
		fmt.Fprintln(os.Stderr, "bareproducer: failed records:", n)
		pprof.StopCPUProfile()
		os.Exit(1)
	}
	fmt.Printf("%.0f\n", float64(acked.Load())/el)
}
