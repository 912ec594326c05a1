// Package exitcode names kbench's process exit codes (SPEC §3) and carries
// them through errors, so commands return errors and only main exits.
package exitcode

import (
	"errors"
	"fmt"
)

// Code is a process exit code.
type Code int

// The exit codes scripts rely on.
const (
	// OK: the run finished and every gate passed.
	OK Code = 0
	// Runtime: broker unreachable, run aborted, I/O error.
	Runtime Code = 1
	// Config: usage or configuration error, found before any load is sent.
	Config Code = 2
	// GateFailed: the run finished but a gate or baseline comparison failed.
	GateFailed Code = 3
	// Interrupted: SIGINT/SIGTERM; partial results were still written.
	Interrupted Code = 130
)

// Error attaches an exit code to an error.
type Error struct {
	Code Code
	Err  error
}

func (e *Error) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit code %d", e.Code)
	}
	return e.Err.Error()
}

func (e *Error) Unwrap() error { return e.Err }

// With wraps err with code; a nil err stays nil.
func With(code Code, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Configf is a configuration error (exit 2).
func Configf(format string, args ...any) error {
	return &Error{Code: Config, Err: fmt.Errorf(format, args...)}
}

// Of returns the exit code for err: OK for nil, Runtime when no code is
// attached, else the code attached deepest in the chain: the code where
// the cause is known wins over one a caller attached on the way out (a
// missing file is a usage error however the command wraps it).
func Of(err error) Code {
	if err == nil {
		return OK
	}
	code := Runtime
	for err != nil {
		var e *Error
		if !errors.As(err, &e) {
			break
		}
		code, err = e.Code, e.Err
	}
	return code
}
