package clock

import (
	"testing"
	"time"
	"unsafe"
)

// A stamp difference is the monotonic elapsed time, whatever the wall
// clock says: a time whose wall reading was stepped by an hour (but whose
// monotonic reading is that of the same instant) stamps the same.
func TestStampsFollowTheMonotonicClock(t *testing.T) {
	a := time.Now()
	time.Sleep(2 * time.Millisecond)
	b := time.Now()
	if got, want := At(b)-At(a), int64(b.Sub(a)); got != want {
		t.Fatalf("difference %d, monotonic %d", got, want)
	}
	// t.Sub uses monotonic readings when both have them: a copy of b
	// with a wall clock one hour ahead but the same monotonic reading
	// cannot be built through the API, so check the property that
	// matters: At never reads the wall clock of a monotonic time.
	stepped := steppedWall(b, time.Hour)
	if stepped.UnixNano()-b.UnixNano() != int64(time.Hour) {
		t.Fatal("the wall clock was not stepped")
	}
	if At(stepped) != At(b) {
		t.Fatalf("a wall-clock step moved the stamp: %d vs %d", At(stepped), At(b))
	}
	if d := Now() - At(b); d < 0 || d > int64(time.Minute) {
		t.Fatalf("Now is %v after b", time.Duration(d))
	}
	if !Time(At(b)).Equal(b) {
		t.Fatalf("Time(At(b)) = %v, want %v", Time(At(b)), b)
	}
}

// steppedWall returns t with its wall-clock reading moved by d (whole
// seconds) and its monotonic reading unchanged: what time.Now returns
// after the system clock was stepped by d. It relies on time.Time's layout
// (wall: hasMonotonic bit, 33 bits of seconds since 1885, 30 bits of
// nanoseconds; ext: the monotonic reading).
func steppedWall(t time.Time, d time.Duration) time.Time {
	type layout struct {
		wall uint64
		ext  int64
		loc  *time.Location
	}
	const hasMonotonic = 1 << 63
	p := (*layout)(unsafe.Pointer(&t))
	if p.wall&hasMonotonic == 0 {
		panic("no monotonic reading")
	}
	p.wall += uint64(d/time.Second) << 30
	return t
}
