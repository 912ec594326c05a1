// Command kbench is a load-testing and keying-strategy benchmark for Apache
// Kafka. The commands here only parse flags, call packages and map errors to
// exit codes (internal/exitcode).
package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

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

// silentError carries an exit code whose message was already printed (a
// failed gate, a list of validation errors).
type silentError struct{ code exitcode.Code }

func (s *silentError) Error() string { return fmt.Sprintf("exit %d", s.code) }

func silent(code exitcode.Code) error {
	return &exitcode.Error{Code: code, Err: &silentError{code: code}}
}
