package exitcode

import (
	"errors"
	"fmt"
	"io/fs"
	"testing"
)

func TestOf(t *testing.T) {
	base := errors.New("boom")
	cases := []struct {
		err  error
		want Code
	}{
		{nil, OK},
		{base, Runtime},
		{With(Config, base), Config},
		{fmt.Errorf("loading: %w", With(GateFailed, base)), GateFailed},
		// the deepest attached code wins
		{With(Runtime, fmt.Errorf("reading baseline: %w", With(Config, fs.ErrNotExist))), Config},
		{Configf("bad flag %q", "x"), Config},
		{errors.Join(base, With(Interrupted, base)), Interrupted},
	}
	for i, c := range cases {
		if got := Of(c.err); got != c.want {
			t.Errorf("%d: Of(%v) = %d, want %d", i, c.err, got, c.want)
		}
	}
	if With(Config, nil) != nil {
		t.Error("With(nil) is not nil")
	}
	e := With(Config, fs.ErrNotExist)
	if !errors.Is(e, fs.ErrNotExist) || e.Error() != fs.ErrNotExist.Error() {
		t.Errorf("wrapping hides the cause: %v", e)
	}
}
