package traffic

import (
	"strconv"

	"github.com/kbench/kbench/keying"
)

// AppendJSON appends ev as a one-line JSON access-log record padded to
// exactly size bytes when it fits (a "pad" string field, or spaces before
// the closing brace when fewer than 10 bytes are left); a record longer
// than size is appended whole. Fields:
//
//	{"service":"payment-service","method":"POST","path":"/payments/4711/refund",
//	 "status":201,"latency_us":1500,"node":"payment-7f9c-2","user":42,"pad":"..."}
//
// It allocates nothing once dst has grown to size.
func AppendJSON(dst []byte, ev *keying.Event, size int) []byte {
	start := len(dst)
	dst = append(dst, `{"service":`...)
	dst = appendString(dst, ev.Service)
	dst = append(dst, `,"method":`...)
	dst = appendString(dst, ev.Method)
	dst = append(dst, `,"path":"`...)
	pathAt := len(dst)
	dst = ev.AppendPath(dst)
	dst = escapeFrom(dst, pathAt)
	dst = append(dst, `","status":`...)
	dst = strconv.AppendUint(dst, uint64(ev.Status), 10)
	dst = append(dst, `,"latency_us":`...)
	dst = strconv.AppendUint(dst, uint64(ev.LatencyUs), 10)
	dst = append(dst, `,"node":`...)
	dst = appendString(dst, ev.Node)
	dst = append(dst, `,"user":`...)
	dst = strconv.AppendUint(dst, uint64(ev.User), 10)

	const padField = `,"pad":""`
	left := size - (len(dst) - start) - 1 // room before the closing brace
	switch {
	case left >= len(padField):
		dst = append(dst, `,"pad":"`...)
		n := left - len(padField)
		off := int(ev.ID) % len(filler)
		for n > 0 {
			chunk := filler[off:min(len(filler), off+n)]
			dst = append(dst, chunk...)
			n -= len(chunk)
			off = 0
		}
		dst = append(dst, '"')
	case left > 0:
		for range left {
			dst = append(dst, ' ')
		}
	}
	return append(dst, '}')
}

// filler is the pad text: letters and digits from a fixed LCG, so payloads
// compress like text rather than like a run of one byte.
var filler = func() string {
	const alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_"
	b := make([]byte, 4096)
	x := uint64(0x2545F4914F6CDD1D)
	for i := range b {
		x = x*6364136223846793005 + 1442695040888963407
		b[i] = alphabet[x>>58]
	}
	return string(b)
}()

// appendString appends s as a JSON string.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	at := len(dst)
	dst = append(dst, s...)
	dst = escapeFrom(dst, at)
	return append(dst, '"')
}

// escapeFrom JSON-escapes dst[at:] in place (catalog strings rarely need
// it, so the common case is a scan).
func escapeFrom(dst []byte, at int) []byte {
	i := at
	for ; i < len(dst); i++ {
		if c := dst[i]; c < 0x20 || c == '"' || c == '\\' {
			break
		}
	}
	if i == len(dst) {
		return dst
	}
	raw := string(dst[i:]) // rare path: a listed name with quotes or controls
	dst = dst[:i]
	for j := 0; j < len(raw); j++ {
		c := raw[j]
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigit(c>>4), hexDigit(c&0xf))
		default:
			dst = append(dst, c)
		}
	}
	return dst
}

func hexDigit(b byte) byte { return "0123456789abcdef"[b] }
