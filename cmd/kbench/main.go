// Command kbench is a load-testing and keying-strategy benchmark for Apache
// Kafka. The commands here only parse flags, call packages and map errors to
// exit codes (internal/exitcode).
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/kbench/kbench/internal/exitcode"
)

func main() {
	root := newRootCmd()
	err := root.Execute()
	code := exitcode.Of(err)
	if err != nil && code == exitcode.Runtime && isUsageError(err) {
		code = exitcode.Config
	}
	if err != nil {
		var silent *silentError
		if !errors.As(err, &silent) {
			fmt.Fprintln(os.Stderr, "kbench: "+err.Error())
		}
	}
	os.Exit(int(code))
}

// isUsageError recognises cobra's own usage errors (unknown command, wrong
// argument count), which it returns as plain errors.
func isUsageError(err error) bool {
	var e *exitcode.Error
	if errors.As(err, &e) {
		return false
	}
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// exitOnInterrupt makes SIGINT/SIGTERM end a command that measures
// nothing (compare, merge, report) at once with exit 130, whatever it is
// blocked on (a slow disk, a pipe). The returned func stops it.
func exitOnInterrupt(w io.Writer) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-ch:
			fmt.Fprintln(w, "kbench: interrupted")
			os.Exit(int(exitcode.Interrupted))
		case <-done:
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}

// silentError carries an exit code whose message was already printed (a
// failed gate, a list of validation errors).
type silentError struct{ code exitcode.Code }

func (s *silentError) Error() string { return fmt.Sprintf("exit %d", s.code) }

func silent(code exitcode.Code) error {
	return &exitcode.Error{Code: code, Err: &silentError{code: code}}
}
