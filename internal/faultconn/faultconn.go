// Package faultconn makes consumer faults real at the socket level.
//
// Why: the `consumer-crash` and `consumer-stall` faults (SPEC §4) and the
// failover times and rebalance counts they produce (SPEC §5) are only
// meaningful if the group coordinator experiences what it would with a real
// crashed or stopped process: silence, then a session timeout — not a polite
// LeaveGroup from a client that was merely asked to close. Each consumer
// instance dials its brokers through its own Switch (plug DialFunc into
// kafka-go's Dialer.DialFunc); the fault injector then
//
//   - Sever()s it: every connection is reset (SO_LINGER 0, so the broker
//     sees an RST, no FIN, no LeaveGroup) and new dials fail, like a dead
//     process; Restore() allows dials again;
//   - Freeze()s it: reads and writes on every connection block without
//     closing, so no heartbeat, fetch or commit leaves and nothing received
//     is handed to the client, like a SIGSTOPped process; Thaw() resumes.
//
// Blocked operations still honour the connection's deadlines and Close, so
// a client's own timeouts behave as they would against a silent peer.
package faultconn

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"time"
)

// ErrSevered is the error of a dial through a severed Switch.
var ErrSevered = errors.New("faultconn: connections severed")

// writeChunk bounds how much of a Write goes out before the freeze gate is
// checked again, so a large write does not slip through a freeze whole.
const writeChunk = 64 << 10

// Switch dials TCP connections and can sever or freeze all of them. The zero
// value is ready to use; a Switch is safe for concurrent use.
type Switch struct {
	// Dialer makes the real connections; its zero value is fine.
	Dialer net.Dialer

	mu      sync.Mutex
	conns   map[*Conn]struct{}
	severed bool
	frozen  bool
	thawed  chan struct{} // closed by Thaw; set while frozen
}

// DialFunc dials network/address (matching kafka-go's Dialer.DialFunc) and
// tracks the connection. It fails with ErrSevered while severed, and blocks
// while frozen (until Thaw or ctx is done).
func (s *Switch) DialFunc(ctx context.Context, network, address string) (net.Conn, error) {
	for {
		s.mu.Lock()
		severed, ch := s.severed, s.frozenCh()
		s.mu.Unlock()
		if severed {
			return nil, &net.OpError{Op: "dial", Net: network, Err: ErrSevered}
		}
		if ch == nil {
			break
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return nil, &net.OpError{Op: "dial", Net: network, Err: ctx.Err()}
		}
	}
	raw, err := s.Dialer.DialContext(ctx, network, address)
	if err != nil {
		return nil, err
	}
	c := &Conn{raw: raw, sw: s, closed: make(chan struct{}), dlChanged: make(chan struct{})}
	s.mu.Lock()
	if s.severed { // severed while we were dialing
		s.mu.Unlock()
		reset(raw)
		return nil, &net.OpError{Op: "dial", Net: network, Err: ErrSevered}
	}
	if s.conns == nil {
		s.conns = map[*Conn]struct{}{}
	}
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	return c, nil
}

// frozenCh returns the channel closed at the next Thaw, or nil if not
// frozen. s.mu must be held.
func (s *Switch) frozenCh() chan struct{} {
	if !s.frozen {
		return nil
	}
	return s.thawed
}

func (s *Switch) gate() chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frozenCh()
}

// Sever resets every tracked connection abruptly and makes further dials
// fail until Restore.
func (s *Switch) Sever() {
	s.mu.Lock()
	s.severed = true
	conns := make([]*Conn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.abort()
	}
}

// Restore allows dials again after Sever. It does not thaw.
func (s *Switch) Restore() {
	s.mu.Lock()
	s.severed = false
	s.mu.Unlock()
}

// Freeze blocks reads, writes and dials on every connection, current and
// future, until Thaw. Data received meanwhile is held back from the client.
func (s *Switch) Freeze() {
	s.mu.Lock()
	if !s.frozen {
		s.frozen = true
		s.thawed = make(chan struct{})
	}
	s.mu.Unlock()
}

// Thaw releases everything Freeze blocked.
func (s *Switch) Thaw() {
	s.mu.Lock()
	if s.frozen {
		s.frozen = false
		close(s.thawed)
	}
	s.mu.Unlock()
}

// Frozen reports whether the switch is frozen.
func (s *Switch) Frozen() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.frozen
}

// Severed reports whether the switch is severed.
func (s *Switch) Severed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.severed
}

// Conns is the number of open tracked connections.
func (s *Switch) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

func (s *Switch) forget(c *Conn) {
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
}

// reset closes raw with an RST instead of a FIN where it can.
func reset(raw net.Conn) {
	if tc, ok := raw.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = raw.Close()
}

// Conn is a connection dialled through a Switch.
type Conn struct {
	raw       net.Conn
	sw        *Switch
	closeOnce sync.Once
	closed    chan struct{}

	mu        sync.Mutex
	rdl, wdl  time.Time
	dlChanged chan struct{} // closed and replaced when a deadline changes

	rmu     sync.Mutex // serialises reads, guards pending
	pending []byte     // received during a freeze, not yet handed over
	wmu     sync.Mutex // serialises writes (chunks stay in order)
}

// Read reads like the underlying connection, except that while the switch
// is frozen it blocks (until Thaw, Close or the read deadline); bytes that
// arrive during a freeze are held back until Thaw.
func (c *Conn) Read(b []byte) (int, error) {
	c.rmu.Lock()
	defer c.rmu.Unlock()
	if err := c.wait("read"); err != nil {
		return 0, err
	}
	if len(c.pending) > 0 {
		n := copy(b, c.pending)
		c.pending = c.pending[n:]
		if len(c.pending) == 0 {
			c.pending = nil
		}
		return n, nil
	}
	n, err := c.raw.Read(b)
	if n > 0 && c.sw.gate() != nil {
		// Frozen while the read was in the kernel: hold the bytes back.
		if werr := c.wait("read"); werr != nil {
			c.pending = append([]byte(nil), b[:n]...)
			return 0, werr
		}
	}
	return n, err
}

// Write writes like the underlying connection, except that while the
// switch is frozen it blocks (until Thaw, Close or the write deadline), in
// chunks, so nothing written after a Freeze leaves before the Thaw.
func (c *Conn) Write(b []byte) (int, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	written := 0
	for {
		if err := c.wait("write"); err != nil {
			return written, err
		}
		chunk := b[written:]
		if len(chunk) > writeChunk {
			chunk = chunk[:writeChunk]
		}
		n, err := c.raw.Write(chunk)
		written += n
		if err != nil || written == len(b) {
			return written, err
		}
	}
}

// wait blocks while the switch is frozen, honouring Close and the deadline
// for op ("read" or "write").
func (c *Conn) wait(op string) error {
	for {
		select {
		case <-c.closed:
			return c.opErr(op, net.ErrClosed)
		default:
		}
		thawed := c.sw.gate()
		if thawed == nil {
			return nil
		}
		c.mu.Lock()
		dl, changed := c.rdl, c.dlChanged
		if op == "write" {
			dl = c.wdl
		}
		c.mu.Unlock()
		var timeout <-chan time.Time
		var timer *time.Timer
		if !dl.IsZero() {
			d := time.Until(dl)
			if d <= 0 {
				return c.opErr(op, os.ErrDeadlineExceeded)
			}
			timer = time.NewTimer(d)
			timeout = timer.C
		}
		var err error
		select {
		case <-thawed:
		case <-changed:
		case <-c.closed:
			err = c.opErr(op, net.ErrClosed)
		case <-timeout:
			err = c.opErr(op, os.ErrDeadlineExceeded)
		}
		if timer != nil {
			timer.Stop()
		}
		if err != nil {
			return err
		}
	}
}

func (c *Conn) opErr(op string, err error) error {
	return &net.OpError{Op: op, Net: c.raw.LocalAddr().Network(), Source: c.raw.LocalAddr(), Addr: c.raw.RemoteAddr(), Err: err}
}

// Close closes the connection (cleanly: a FIN) and stops tracking it.
func (c *Conn) Close() error {
	err := net.ErrClosed
	c.closeOnce.Do(func() {
		close(c.closed)
		c.sw.forget(c)
		err = c.raw.Close()
	})
	return err
}

// abort resets the connection (an RST) and stops tracking it.
func (c *Conn) abort() {
	c.closeOnce.Do(func() {
		close(c.closed)
		c.sw.forget(c)
		reset(c.raw)
	})
}

// LocalAddr returns the local address.
func (c *Conn) LocalAddr() net.Addr { return c.raw.LocalAddr() }

// RemoteAddr returns the remote address.
func (c *Conn) RemoteAddr() net.Addr { return c.raw.RemoteAddr() }

// SetDeadline sets both deadlines.
func (c *Conn) SetDeadline(t time.Time) error {
	c.setDeadlines(t, true, true)
	return c.raw.SetDeadline(t)
}

// SetReadDeadline sets the read deadline; a read blocked by a freeze
// re-evaluates it at once.
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.setDeadlines(t, true, false)
	return c.raw.SetReadDeadline(t)
}

// SetWriteDeadline sets the write deadline; a write blocked by a freeze
// re-evaluates it at once.
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.setDeadlines(t, false, true)
	return c.raw.SetWriteDeadline(t)
}

func (c *Conn) setDeadlines(t time.Time, read, write bool) {
	c.mu.Lock()
	if read {
		c.rdl = t
	}
	if write {
		c.wdl = t
	}
	close(c.dlChanged)
	c.dlChanged = make(chan struct{})
	c.mu.Unlock()
}
