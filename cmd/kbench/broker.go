package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/kbench/kbench/internal/admin"
	"github.com/kbench/kbench/internal/broker"
	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/internal/metrics"
)

func init() { subcommands = append(subcommands, newBrokerCmd) }

func newBrokerCmd() *cobra.Command {
	var (
		listen     string
		partitions int
		brokers    int
		trimEvery  time.Duration
		metricsAt  string
	)
	cmd := &cobra.Command{
		Use:   "broker",
		Short: "Run the embedded in-memory Kafka broker standalone",
		Long: `Run kbench's embedded broker (an in-memory implementation of the Kafka wire
protocol) until interrupted, so any Kafka client can use it: kcat, the Java
tools, your own service. Topics are auto-created with --partitions partitions.
Records every consumer group has committed are trimmed to keep memory bounded.`,
		Example: `  kbench broker --listen 127.0.0.1:9092 --partitions 6
  echo 'k1:hello' | kcat -P -b 127.0.0.1:9092 -t demo -K:
  kcat -C -b 127.0.0.1:9092 -t demo -f '%k %p %s\n' -e
  kbench broker --metrics-listen 127.0.0.1:9465   # records, bytes, requests per partition at /metrics`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if partitions < 1 {
				return exitcode.Configf("--partitions must be at least 1")
			}
			if brokers < 1 {
				return exitcode.Configf("--brokers must be at least 1")
			}
			b, err := broker.Start(broker.Options{Listen: listen, Brokers: brokers, DefaultPartitions: partitions})
			if err != nil {
				return exitcode.With(exitcode.Runtime, err)
			}
			defer b.Close()
			if metricsAt != "" {
				srv, err := metrics.Listen(metricsAt, metrics.NewBrokerCollector(b.CountRequests()))
				if err != nil {
					return exitcode.With(exitcode.Config, err)
				}
				defer srv.Close()
				fmt.Fprintf(cmd.ErrOrStderr(), "kbench broker: metrics at http://%s/metrics\n", srv.Addr())
			}
			fmt.Fprintf(cmd.OutOrStdout(), "kbench broker listening on %s (auto-created topics get %d partitions); Ctrl-C stops it\n",
				strings.Join(b.Addrs(), ","), partitions)
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			if trimEvery > 0 {
				go trimLoop(ctx, b.Addrs(), trimEvery)
			}
			<-ctx.Done()
			fmt.Fprintln(cmd.ErrOrStderr(), "kbench broker: stopped")
			return nil
		},
	}
	cmd.Flags().StringVar(&listen, "listen", "127.0.0.1:9092", "host:port of the first broker (port 0 picks a free one)")
	cmd.Flags().IntVar(&partitions, "partitions", 6, "partitions of auto-created topics")
	cmd.Flags().IntVar(&brokers, "brokers", 1, "brokers in the cluster (consecutive ports)")
	cmd.Flags().StringVar(&metricsAt, "metrics-listen", "", "serve the broker's request, record and byte counters per partition at http://HOST:PORT/metrics")
	cmd.Flags().DurationVar(&trimEvery, "trim-every", 5*time.Second, "how often to trim records every group has committed (0 = never)")
	return cmd
}

func trimLoop(ctx context.Context, addrs []string, every time.Duration) {
	adm, err := admin.New(admin.Options{Brokers: addrs})
	if err != nil {
		return
	}
	defer adm.Close()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tctx, cancel := context.WithTimeout(ctx, every)
			_ = adm.TrimCommitted(tctx)
			cancel()
		}
	}
}
