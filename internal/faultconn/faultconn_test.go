package faultconn

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
)

// The Switch plugs into kafka-go's Dialer.
var _ = kafka.Dialer{DialFunc: (&Switch{}).DialFunc}

// pair dials a loopback listener through sw and returns both ends: c is the
// client (through the switch), p the peer (a plain accepted socket).
func pair(t *testing.T, sw *Switch) (c net.Conn, p net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	accepted := make(chan net.Conn, 1)
	go func() {
		a, err := ln.Accept()
		if err == nil {
			accepted <- a
		}
		close(accepted)
	}()
	c, err = sw.DialFunc(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	p = <-accepted
	if p == nil {
		t.Fatal("accept failed")
	}
	t.Cleanup(func() { c.Close(); p.Close() })
	return c, p
}

func readN(t *testing.T, r net.Conn, n int, within time.Duration) string {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(within))
	defer r.SetReadDeadline(time.Time{})
	b := make([]byte, n)
	if _, err := io.ReadFull(r, b); err != nil {
		t.Fatalf("read %d bytes: %v", n, err)
	}
	return string(b)
}

// nothingWithin asserts the peer receives nothing for d.
func nothingWithin(t *testing.T, r net.Conn, d time.Duration) {
	t.Helper()
	_ = r.SetReadDeadline(time.Now().Add(d))
	defer r.SetReadDeadline(time.Time{})
	b := make([]byte, 1)
	n, err := r.Read(b)
	if n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("expected silence for %v, got %d bytes (%q), err %v", d, n, b[:n], err)
	}
}

func TestPassThrough(t *testing.T) {
	var sw Switch
	c, p := pair(t, &sw)
	if sw.Conns() != 1 {
		t.Fatalf("Conns = %d", sw.Conns())
	}
	if _, err := c.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, p, 4, time.Second); got != "ping" {
		t.Fatalf("peer got %q", got)
	}
	if _, err := p.Write([]byte("pong")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c, 4, time.Second); got != "pong" {
		t.Fatalf("client got %q", got)
	}
	// A deadline on an idle (unfrozen) conn behaves as the socket's.
	_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	if _, err := c.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past deadline: %v", err)
	}
	_ = c.SetReadDeadline(time.Time{})
	// A clean close is a FIN: the peer reads EOF.
	c.Close()
	if sw.Conns() != 0 {
		t.Fatalf("Conns after close = %d", sw.Conns())
	}
	_ = p.SetReadDeadline(time.Now().Add(time.Second))
	if _, err := p.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("peer after clean close: %v, want EOF", err)
	}
	if _, err := c.Write([]byte("x")); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestSever(t *testing.T) {
	var sw Switch
	c1, p1 := pair(t, &sw)
	c2, p2 := pair(t, &sw)

	// A read blocked in the kernel is woken by the sever.
	readErr := make(chan error, 1)
	go func() {
		_, err := c1.Read(make([]byte, 1))
		readErr <- err
	}()
	time.Sleep(20 * time.Millisecond)

	sw.Sever()
	if sw.Conns() != 0 || !sw.Severed() {
		t.Fatalf("after sever: Conns %d Severed %v", sw.Conns(), sw.Severed())
	}
	select {
	case err := <-readErr:
		if err == nil {
			t.Fatal("blocked read returned no error after sever")
		}
	case <-time.After(2 * time.Second):
		t.Fatal("blocked read not woken by sever")
	}

	// The peers see a reset, not an orderly FIN (no clean shutdown).
	for i, p := range []net.Conn{p1, p2} {
		_ = p.SetReadDeadline(time.Now().Add(2 * time.Second))
		_, err := p.Read(make([]byte, 1))
		if err == nil {
			t.Fatalf("peer %d read succeeded after sever", i)
		}
		if runtime.GOOS == "linux" && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("peer %d: %v, want connection reset", i, err)
		}
	}
	if _, err := c2.Write([]byte("x")); err == nil {
		t.Fatal("write on severed conn succeeded")
	}

	// Dials fail like a dead process's, until Restore.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			a.Close()
		}
	}()
	if _, err := sw.DialFunc(context.Background(), "tcp", ln.Addr().String()); !errors.Is(err, ErrSevered) {
		t.Fatalf("dial while severed: %v, want ErrSevered", err)
	}
	sw.Restore()
	c3, err := sw.DialFunc(context.Background(), "tcp", ln.Addr().String())
	if err != nil {
		t.Fatalf("dial after restore: %v", err)
	}
	c3.Close()
}

func TestFreezeWrites(t *testing.T) {
	var sw Switch
	c, p := pair(t, &sw)
	if _, err := c.Write([]byte("a")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, p, 1, time.Second); got != "a" {
		t.Fatalf("got %q", got)
	}

	sw.Freeze()
	wrote := make(chan error, 1)
	go func() {
		_, err := c.Write([]byte("during-freeze"))
		wrote <- err
	}()
	// The peer hears nothing while frozen, and the write stays blocked.
	nothingWithin(t, p, 300*time.Millisecond)
	select {
	case err := <-wrote:
		t.Fatalf("write returned during freeze: %v", err)
	default:
	}
	if sw.Conns() != 1 {
		t.Fatal("freeze closed the connection")
	}

	sw.Thaw()
	if err := <-wrote; err != nil {
		t.Fatalf("write after thaw: %v", err)
	}
	if got := readN(t, p, len("during-freeze"), time.Second); got != "during-freeze" {
		t.Fatalf("after thaw got %q", got)
	}
}

func TestFreezeReadDeadline(t *testing.T) {
	var sw Switch
	c, p := pair(t, &sw)
	sw.Freeze()
	if _, err := p.Write([]byte("x")); err != nil {
		t.Fatal(err)
	}
	// The bytes are in the socket, but a frozen client does not get them:
	// its read times out at its deadline.
	const dl = 150 * time.Millisecond
	start := time.Now()
	_ = c.SetReadDeadline(start.Add(dl))
	n, err := c.Read(make([]byte, 1))
	took := time.Since(start)
	var ne net.Error
	if n != 0 || !errors.As(err, &ne) || !ne.Timeout() || !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("frozen read = %d, %v; want a timeout", n, err)
	}
	if took < dl || took > dl+time.Second {
		t.Fatalf("timed out after %v, want about %v", took, dl)
	}
	// A write deadline is honoured the same way.
	_ = c.SetWriteDeadline(time.Now().Add(50 * time.Millisecond))
	if _, err := c.Write([]byte("y")); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("frozen write = %v; want a timeout", err)
	}
	nothingWithin(t, p, 100*time.Millisecond)

	_ = c.SetDeadline(time.Time{})
	sw.Thaw()
	if got := readN(t, c, 1, time.Second); got != "x" {
		t.Fatalf("after thaw got %q", got)
	}
}

// A read already waiting in the kernel when the freeze starts does not hand
// over what arrives during the freeze.
func TestFreezeHoldsInFlightRead(t *testing.T) {
	var sw Switch
	c, p := pair(t, &sw)
	got := make(chan string, 1)
	go func() {
		b := make([]byte, 8)
		n, err := c.Read(b)
		if err != nil {
			got <- "error: " + err.Error()
			return
		}
		got <- string(b[:n])
	}()
	time.Sleep(30 * time.Millisecond) // let the read reach the kernel
	sw.Freeze()
	if _, err := p.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		t.Fatalf("read returned %q during freeze", s)
	case <-time.After(300 * time.Millisecond):
	}
	sw.Thaw()
	select {
	case s := <-got:
		if s != "late" {
			t.Fatalf("after thaw read %q", s)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("read not released by thaw")
	}
}

// Held bytes survive a deadline: the timed-out read loses nothing.
func TestFreezeHeldBytesSurviveTimeout(t *testing.T) {
	var sw Switch
	c, p := pair(t, &sw)
	errc := make(chan error, 1)
	go func() {
		_ = c.SetReadDeadline(time.Now().Add(400 * time.Millisecond))
		_, err := c.Read(make([]byte, 8))
		errc <- err
	}()
	time.Sleep(30 * time.Millisecond)
	sw.Freeze()
	if _, err := p.Write([]byte("kept")); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read = %v, want timeout", err)
	}
	sw.Thaw()
	_ = c.SetReadDeadline(time.Time{})
	if got := readN(t, c, 4, time.Second); got != "kept" {
		t.Fatalf("after thaw got %q", got)
	}
}

func TestFrozenOpsWakeOnCloseAndDeadlineChange(t *testing.T) {
	var sw Switch
	c, _ := pair(t, &sw)
	sw.Freeze()
	defer sw.Thaw()

	wrote := make(chan error, 1)
	go func() { _, err := c.Write([]byte("x")); wrote <- err }()
	time.Sleep(30 * time.Millisecond)
	// Moving the deadline into the past wakes the blocked write.
	_ = c.SetWriteDeadline(time.Now().Add(-time.Second))
	select {
	case err := <-wrote:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("write = %v, want timeout", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("deadline change did not wake the frozen write")
	}

	read := make(chan error, 1)
	go func() { _, err := c.Read(make([]byte, 1)); read <- err }()
	time.Sleep(30 * time.Millisecond)
	c.Close()
	select {
	case err := <-read:
		if !errors.Is(err, net.ErrClosed) {
			t.Fatalf("read = %v, want closed", err)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("close did not wake the frozen read")
	}
}

func TestFrozenDialWaits(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var sw Switch
	sw.Freeze()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if _, err := sw.DialFunc(ctx, "tcp", ln.Addr().String()); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("frozen dial = %v, want deadline exceeded", err)
	}
	done := make(chan error, 1)
	go func() {
		c, err := sw.DialFunc(context.Background(), "tcp", ln.Addr().String())
		if err == nil {
			c.Close()
		}
		done <- err
	}()
	time.Sleep(30 * time.Millisecond)
	sw.Thaw()
	if err := <-done; err != nil {
		t.Fatalf("dial after thaw: %v", err)
	}
}

// Echo traffic on several connections while freezes come and go, then a
// sever: every goroutine ends, nothing races (run with -race), and no byte
// is lost or reordered while the connections live.
func TestConcurrentFreezeThawSever(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			a, err := ln.Accept()
			if err != nil {
				return
			}
			go func() { io.Copy(a, a); a.Close() }()
		}
	}()

	var sw Switch
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		c, err := sw.DialFunc(context.Background(), "tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		wg.Go(func() {
			want := byte(0)
			for {
				_ = c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
				b := make([]byte, 64)
				n, err := c.Read(b)
				for _, x := range b[:n] {
					if x != want {
						t.Errorf("echo out of order: got %d want %d", x, want)
						return
					}
					want++
				}
				if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
					return // severed
				}
			}
		})
		wg.Go(func() {
			for k := byte(0); ; k++ {
				_ = c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
				for {
					_, err := c.Write([]byte{k})
					if err == nil {
						break
					}
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						return
					}
					_ = c.SetWriteDeadline(time.Now().Add(20 * time.Millisecond))
				}
				select {
				case <-stop:
					return
				default:
				}
			}
		})
	}
	for i := 0; i < 20; i++ {
		sw.Freeze()
		time.Sleep(5 * time.Millisecond)
		sw.Thaw()
		time.Sleep(5 * time.Millisecond)
	}
	sw.Sever()
	close(stop)
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("goroutines stuck after sever")
	}
}
