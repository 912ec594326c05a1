package main

import (
	"fmt"
	"io"
	"os"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/internal/metrics"
	"github.com/kbench/kbench/workloads/runner"
)

// liveView starts what --metrics-listen, --progress=jsonl and --events ask
// for and sets opt.Observer; stop ends them. jsonl reports whether the
// JSON lines replace the progress line on stderr.
func liveView(f *runFlags, stderr io.Writer, opt *runner.Options) (stop func(), jsonl bool, err error) {
	var obs runner.Observers
	var closers []func()
	stop = func() {
		for i := len(closers) - 1; i >= 0; i-- {
			closers[i]()
		}
	}
	switch f.progress {
	case "", "line", "off":
	case "jsonl":
		jsonl = true
		obs = append(obs, metrics.NewJSONLines(stderr))
	default:
		return stop, false, exitcode.Configf("--progress %q: want line, jsonl or off", f.progress)
	}
	if f.events != "" {
		ef, err := os.Create(f.events)
		if err != nil {
			return stop, false, exitcode.With(exitcode.Config, fmt.Errorf("--events: %w", err))
		}
		closers = append(closers, func() { ef.Close() })
		obs = append(obs, metrics.NewJSONLines(ef))
	}
	if f.metricsListen != "" {
		exp := metrics.NewExporter()
		srv, err := metrics.Listen(f.metricsListen, exp)
		if err != nil {
			stop()
			return func() {}, false, exitcode.With(exitcode.Config, err)
		}
		closers = append(closers, func() { _ = srv.Close() })
		obs = append(obs, exp)
		fmt.Fprintf(stderr, "kbench: metrics at http://%s/metrics\n", srv.Addr())
	}
	if len(obs) > 0 {
		opt.Observer = obs
	}
	return stop, jsonl, nil
}
