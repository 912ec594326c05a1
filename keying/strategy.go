package keying

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Strategy maps an event to a record key (SPEC §4). AppendKey appends the
// key to dst[:0] and returns it; an empty result means "no key" (strategy
// none). It allocates nothing once dst has grown to the longest key.
type Strategy interface {
	AppendKey(dst []byte, ev *Event) []byte
}

// StrategyConfig selects and parametrises a strategy.
type StrategyConfig struct {
	// Name: none | path | service | node | composite | random | salted.
	// Empty means path (the SPEC default).
	Name string
	// Fields joined by "|" for composite (default [service, node]). A field
	// is one of service, path (first segment), route (path template), node,
	// user, status, method.
	Fields []string
	// Salts for salted: the salt suffix runs #0..#Salts-1 (default 8).
	Salts int
	// Base is the field salted keys are built from (default service: the
	// hot-key splitting case, e.g. "payment-service#3"). Any Fields name.
	// Not part of the experiment YAML; kbench uses the default.
	Base string
}

// Strategy names, in the SPEC's order.
const (
	StrategyNone      = "none"
	StrategyPath      = "path"
	StrategyService   = "service"
	StrategyNode      = "node"
	StrategyComposite = "composite"
	StrategyRandom    = "random"
	StrategySalted    = "salted"
)

// StrategyNames lists every strategy name.
func StrategyNames() []string {
	return []string{StrategyNone, StrategyPath, StrategyService, StrategyNode, StrategyComposite, StrategyRandom, StrategySalted}
}

// Defaults used when a StrategyConfig field is zero.
var (
	DefaultFields = []string{"service", "node"}
)

const (
	DefaultSalts   = 8
	DefaultOrderBy = "service"
)

// NewStrategy builds a strategy. seed drives the random and salted
// strategies (same seed, same keys); the others ignore it.
func NewStrategy(cfg StrategyConfig, seed int64) (Strategy, error) {
	name := cfg.Name
	if name == "" {
		name = StrategyPath
	}
	switch name {
	case StrategyNone:
		return noneStrategy{}, nil
	case StrategyPath:
		return fieldStrategy{fieldPath}, nil
	case StrategyService:
		return fieldStrategy{fieldService}, nil
	case StrategyNode:
		return fieldStrategy{fieldNode}, nil
	case StrategyComposite:
		names := cfg.Fields
		if len(names) == 0 {
			names = DefaultFields
		}
		fs := make([]field, len(names))
		for i, n := range names {
			f, err := parseField(n)
			if err != nil {
				return nil, fmt.Errorf("composite: %w", err)
			}
			fs[i] = f
		}
		return &compositeStrategy{fields: fs}, nil
	case StrategyRandom:
		s := DeriveSeed(seed, 0x72616e64)
		return &randomStrategy{rng: rand.NewPCG(s, s^0x5851F42D4C957F2D)}, nil
	case StrategySalted:
		salts := cfg.Salts
		if salts == 0 {
			salts = DefaultSalts
		}
		if salts < 1 {
			return nil, fmt.Errorf("salted: salts must be >= 1, got %d", cfg.Salts)
		}
		base := fieldService
		if cfg.Base != "" {
			f, err := parseField(cfg.Base)
			if err != nil {
				return nil, fmt.Errorf("salted base: %w", err)
			}
			base = f
		}
		s := DeriveSeed(seed, 0x73616c74)
		return &saltedStrategy{base: base, salts: uint64(salts), rng: rand.NewPCG(s, s^0x5851F42D4C957F2D)}, nil
	}
	return nil, fmt.Errorf("unknown key strategy %q (want one of %s)", cfg.Name, strings.Join(StrategyNames(), ", "))
}

// field is one event attribute a key or entity can be made of.
type field uint8

const (
	fieldService field = iota
	fieldPath
	fieldRoute
	fieldNode
	fieldUser
	fieldStatus
	fieldMethod
)

var fieldNames = map[string]field{
	"service": fieldService,
	"path":    fieldPath,
	"route":   fieldRoute,
	"node":    fieldNode,
	"user":    fieldUser,
	"status":  fieldStatus,
	"method":  fieldMethod,
}

// FieldNames lists the event fields composite keys may join.
func FieldNames() []string {
	return []string{"service", "path", "route", "node", "user", "status", "method"}
}

func parseField(name string) (field, error) {
	f, ok := fieldNames[name]
	if !ok {
		return 0, fmt.Errorf("unknown field %q (want one of %s)", name, strings.Join(FieldNames(), ", "))
	}
	return f, nil
}

func (f field) append(dst []byte, ev *Event) []byte {
	switch f {
	case fieldService:
		return append(dst, ev.Service...)
	case fieldPath:
		return append(dst, ev.Segment...)
	case fieldRoute:
		return append(dst, ev.Path...)
	case fieldNode:
		return append(dst, ev.Node...)
	case fieldUser:
		return strconv.AppendUint(dst, uint64(ev.User), 10)
	case fieldStatus:
		return strconv.AppendUint(dst, uint64(ev.Status), 10)
	case fieldMethod:
		return append(dst, ev.Method...)
	}
	return dst
}

type noneStrategy struct{}

func (noneStrategy) AppendKey(dst []byte, _ *Event) []byte { return dst[:0] }

type fieldStrategy struct{ f field }

func (s fieldStrategy) AppendKey(dst []byte, ev *Event) []byte { return s.f.append(dst[:0], ev) }

type compositeStrategy struct{ fields []field }

func (s *compositeStrategy) AppendKey(dst []byte, ev *Event) []byte {
	dst = dst[:0]
	for i, f := range s.fields {
		if i > 0 {
			dst = append(dst, '|')
		}
		dst = f.append(dst, ev)
	}
	return dst
}

// randomStrategy makes a fresh key per message: 16 lowercase hex digits of
// a seeded PCG stream.
type randomStrategy struct{ rng *rand.PCG }

const hexDigits = "0123456789abcdef"

func (s *randomStrategy) AppendKey(dst []byte, _ *Event) []byte {
	v := s.rng.Uint64()
	dst = dst[:0]
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(v>>uint(shift))&0xf])
	}
	return dst
}

// saltedStrategy appends "#k" (k uniform in 0..salts-1, seeded) to the base
// field: one hot base key becomes salts keys that hash apart.
type saltedStrategy struct {
	base  field
	salts uint64
	rng   *rand.PCG
}

func (s *saltedStrategy) AppendKey(dst []byte, ev *Event) []byte {
	dst = s.base.append(dst[:0], ev)
	dst = append(dst, '#')
	hi, _ := bits64Mul(s.rng.Uint64(), s.salts)
	return strconv.AppendUint(dst, hi, 10)
}

// EntityFunc appends the order_by entity of a message: the thing whose
// per-entity order a consumer relies on. key is the message's key (for
// order_by key). It allocates nothing once dst has grown.
type EntityFunc func(dst []byte, ev *Event, key []byte) []byte

// OrderByNames lists the valid order_by values.
func OrderByNames() []string { return []string{"service", "path", "node", "user", "key"} }

// NewEntity returns the EntityFunc for order_by (service | path | node |
// user | key; empty means service). path is the first path segment, user
// the decimal user id, key the record key itself (keyless messages then
// share the empty entity, which the round-robin placement scatters).
func NewEntity(orderBy string) (EntityFunc, error) {
	switch orderBy {
	case "", "service":
		return entityService, nil
	case "path":
		return entityPath, nil
	case "node":
		return entityNode, nil
	case "user":
		return entityUser, nil
	case "key":
		return entityKey, nil
	}
	return nil, fmt.Errorf("unknown order_by %q (want one of %s)", orderBy, strings.Join(OrderByNames(), ", "))
}

func entityService(dst []byte, ev *Event, _ []byte) []byte { return append(dst[:0], ev.Service...) }
func entityPath(dst []byte, ev *Event, _ []byte) []byte    { return append(dst[:0], ev.Segment...) }
func entityNode(dst []byte, ev *Event, _ []byte) []byte    { return append(dst[:0], ev.Node...) }
func entityUser(dst []byte, ev *Event, _ []byte) []byte {
	return strconv.AppendUint(dst[:0], uint64(ev.User), 10)
}
func entityKey(dst []byte, _ *Event, key []byte) []byte { return append(dst[:0], key...) }

// AppendEntity is NewEntity(orderBy) applied once; an unknown orderBy
// yields the service. Prefer NewEntity on a per-message path.
func AppendEntity(dst []byte, orderBy string, ev *Event, key []byte) []byte {
	f, err := NewEntity(orderBy)
	if err != nil {
		f = entityService
	}
	return f(dst, ev, key)
}
