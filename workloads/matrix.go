package workloads

import (
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// axis is one matrix key: a dotted path and the values it takes.
type axis struct {
	path   string
	key    *yaml.Node
	values []*yaml.Node
}

// maxVariants bounds a matrix so a typo cannot plan a million runs.
const maxVariants = 1000

// applySets applies each `path=value` override to the node tree, before the
// matrix is expanded. The value is parsed as YAML (a scalar or a flow list
// or mapping: [service,user], {kind: ramp, from: 0, to: 100, over: 10s}).
// `matrix.PATH=[a,b]` adds or replaces a matrix axis and `matrix={}` drops
// the matrix. It returns the overridden paths: an axis at (or under) one of
// them is dropped, so an override pins what the matrix would vary.
func (l *loader) applySets(root *yaml.Node, sets []string) []string {
	var paths []string
	for i, s := range sets {
		path, value, ok := strings.Cut(s, "=")
		path = strings.TrimSpace(path)
		if !ok || path == "" {
			l.errs = append(l.errs, FieldError{File: SetFile, Msg: fmt.Sprintf("%q: want path=value, e.g. workload.keying.strategy=service", s)})
			continue
		}
		val, err := l.parseSetValue(value, i)
		if err != nil {
			l.errs = append(l.errs, FieldError{File: SetFile, Path: path, Msg: fmt.Sprintf("%s: %v", s, err)})
			continue
		}
		switch {
		case path == "matrix":
			_, _, idx := mapGet(root, "matrix")
			if idx >= 0 {
				root.Content[idx+1] = val
			} else {
				root.Content = append(root.Content, strNode("matrix", val), val)
			}
			continue
		case strings.HasPrefix(path, "matrix."):
			key := strings.TrimPrefix(path, "matrix.")
			_, m, idx := mapGet(root, "matrix")
			if m == nil || isNull(m) {
				m = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: val.Line}
				if idx >= 0 {
					root.Content[idx+1] = m
				} else {
					root.Content = append(root.Content, strNode("matrix", val), m)
				}
			}
			if m.Kind != yaml.MappingNode {
				l.errs = append(l.errs, FieldError{File: SetFile, Path: path, Msg: fmt.Sprintf("%s: matrix is not a mapping", s)})
				continue
			}
			if _, _, j := mapGet(m, key); j >= 0 {
				m.Content[j+1] = val
			} else {
				m.Content = append(m.Content, strNode(key, val), val)
			}
			continue
		}
		// Work on a copy so a failing path leaves no half-built keys behind.
		tmp := l.copyNode(root)
		if err := l.setPath(tmp, path, val); err != nil {
			l.errs = append(l.errs, FieldError{File: SetFile, Path: path, Msg: fmt.Sprintf("%s: %v", s, err)})
			continue
		}
		*root = *tmp
		paths = append(paths, path)
	}
	return paths
}

// parseSetValue parses an override's value as YAML and marks every node as
// coming from the i-th --set (negative line), so errors name --set.
func (l *loader) parseSetValue(value string, i int) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(l.protectEnv(value)), &doc); err != nil {
		return nil, fmt.Errorf("invalid value: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	val := &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!null"}
	if len(doc.Content) > 0 {
		val = doc.Content[0]
	}
	mark(val, -(i + 1))
	l.substEnv(val)
	return val, nil
}

func mark(n *yaml.Node, line int) {
	n.Line, n.Column = line, 0
	for _, c := range n.Content {
		mark(c, line)
	}
}

func strNode(s string, at *yaml.Node) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s, Line: at.Line, Column: at.Column}
}

// setPath stores val at the dotted path, creating missing mappings and
// list entries on the way. Only paths of the schema are accepted. A list
// index may be one past the end (appending); the absent `consumers` list
// stands for the default group, so consumers.0.instances=3 changes it.
func (l *loader) setPath(root *yaml.Node, path string, val *yaml.Node) error {
	if err := checkPath(path, false); err != nil {
		return err // before touching the tree
	}
	segs := strings.Split(path, ".")
	t := reflect.TypeOf(Experiment{})
	cur, prefix := root, ""
	for i, seg := range segs {
		last := i == len(segs)-1
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		if seg == "" {
			return fmt.Errorf("empty segment in path %q", path)
		}
		if isNull(cur) {
			cur.Kind, cur.Value, cur.Tag = yaml.MappingNode, "", "!!map"
			if t.Kind() == reflect.Slice {
				cur.Kind, cur.Tag = yaml.SequenceNode, "!!seq"
			}
		}
		switch t.Kind() {
		case reflect.Struct:
			si := fieldsOf(t)
			f, ok := si.byKey[seg]
			if !ok || (prefix == "" && seg == "matrix") {
				if ok {
					return errors.New("use matrix.PATH=[v1,v2] to set a matrix axis")
				}
				return errors.New(unknownKey(seg, prefix, si.keys))
			}
			if cur.Kind != yaml.MappingNode {
				return fmt.Errorf("%s is %s in the file, not a mapping", prefix, l.describe(cur))
			}
			ft := t.Field(f).Type
			_, v, idx := mapGet(cur, seg)
			if last {
				if idx >= 0 {
					cur.Content[idx+1] = val
				} else {
					cur.Content = append(cur.Content, strNode(seg, val), val)
				}
				return nil
			}
			switch {
			case v == nil:
				v = newContainer(ft, joinPath(prefix, seg), val)
				cur.Content = append(cur.Content, strNode(seg, val), v)
			case v.Kind == yaml.AliasNode: // never write through an anchor
				v = l.copyNode(deref(v))
				cur.Content[idx+1] = v
			}
			cur, t = v, ft
		case reflect.Slice:
			n, err := strconv.Atoi(seg)
			if err != nil || n < 0 {
				return fmt.Errorf("%s is a list: %q is not an index", prefix, seg)
			}
			if cur.Kind != yaml.SequenceNode {
				return fmt.Errorf("%s is %s in the file, not a list", prefix, l.describe(cur))
			}
			if n > len(cur.Content) {
				return fmt.Errorf("index %d out of range: %s has %d entries (index %d appends one)", n, prefix, len(cur.Content), len(cur.Content))
			}
			if last {
				if n == len(cur.Content) {
					cur.Content = append(cur.Content, val)
				} else {
					cur.Content[n] = val
				}
				return nil
			}
			if n == len(cur.Content) {
				cur.Content = append(cur.Content, newContainer(t.Elem(), "", val))
			} else if cur.Content[n].Kind == yaml.AliasNode {
				cur.Content[n] = l.copyNode(deref(cur.Content[n]))
			}
			cur, t = cur.Content[n], t.Elem()
		default:
			return fmt.Errorf("%s is a single value; it has no key %q", prefix, seg)
		}
		prefix = joinPath(prefix, seg)
	}
	return nil
}

// newContainer is an empty node for a value of type t, positioned at `at`.
func newContainer(t reflect.Type, path string, at *yaml.Node) *yaml.Node {
	for t.Kind() == reflect.Ptr {
		t = t.Elem()
	}
	if t.Kind() == reflect.Slice {
		seq := &yaml.Node{Kind: yaml.SequenceNode, Tag: "!!seq", Line: at.Line, Column: at.Column}
		if path == "consumers" {
			g := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: at.Line, Column: at.Column}
			name := strNode(DefaultGroup, at)
			g.Content = []*yaml.Node{strNode("group", at), name}
			seq.Content = []*yaml.Node{g}
		}
		return seq
	}
	return &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: at.Line, Column: at.Column}
}

// checkPath reports whether path names a settable value of the schema.
// A matrix may not vary matrix, name or version.
func checkPath(path string, matrix bool) error {
	t := reflect.TypeOf(Experiment{})
	prefix := ""
	for _, seg := range strings.Split(path, ".") {
		for t.Kind() == reflect.Ptr {
			t = t.Elem()
		}
		if seg == "" {
			return fmt.Errorf("empty segment in path %q", path)
		}
		switch t.Kind() {
		case reflect.Struct:
			si := fieldsOf(t)
			f, ok := si.byKey[seg]
			if !ok {
				return errors.New(unknownKey(seg, prefix, si.keys))
			}
			if prefix == "" && seg == "matrix" {
				return errors.New("use matrix.PATH=[v1,v2] to set a matrix axis")
			}
			if matrix && prefix == "" && (seg == "name" || seg == "version") {
				return fmt.Errorf("%s cannot vary in a matrix", seg)
			}
			t = t.Field(f).Type
		case reflect.Slice:
			if n, err := strconv.Atoi(seg); err != nil || n < 0 {
				return fmt.Errorf("%s is a list: %q is not an index", prefix, seg)
			}
			t = t.Elem()
		default:
			return fmt.Errorf("%s is a single value; it has no key %q", prefix, seg)
		}
		prefix = joinPath(prefix, seg)
	}
	return nil
}

// matrixAxes removes `matrix:` from the tree and returns its axes in file
// order, minus those an override pinned.
func (l *loader) matrixAxes(root *yaml.Node, pinned []string) []axis {
	k, m, idx := mapGet(root, "matrix")
	if idx < 0 {
		return nil
	}
	root.Content = append(root.Content[:idx:idx], root.Content[idx+2:]...)
	m = deref(m)
	if isNull(m) {
		return nil
	}
	if m.Kind != yaml.MappingNode {
		l.errAt(m, "matrix", "matrix: expected a mapping of dotted paths to lists, got %s", l.describe(m))
		return nil
	}
	_ = k
	var axes []axis
	seen := map[string]int{}
	total := 1
	for i := 0; i+1 < len(m.Content); i += 2 {
		key, val := m.Content[i], deref(m.Content[i+1])
		path := key.Value
		if line, dup := seen[path]; dup {
			l.errAt(key, "matrix."+path, "matrix: duplicate key %q (first at line %d)", path, line)
			continue
		}
		seen[path] = key.Line
		if err := checkPath(path, true); err != nil {
			l.errAt(key, "matrix."+path, "matrix: %s: %v", path, err)
			continue
		}
		if val.Kind != yaml.SequenceNode || len(val.Content) == 0 {
			l.errAt(val, "matrix."+path, "matrix: %s: expected a non-empty list of values, got %s", path, l.describe(val))
			continue
		}
		if isPinned(path, pinned) {
			continue
		}
		vals := make([]*yaml.Node, len(val.Content))
		for j, v := range val.Content {
			vals[j] = deref(v)
		}
		total *= len(vals)
		if total > maxVariants {
			l.errAt(key, "matrix."+path, "matrix: more than %d combinations", maxVariants)
			return nil
		}
		axes = append(axes, axis{path: path, key: key, values: vals})
	}
	return axes
}

func isPinned(path string, pinned []string) bool {
	for _, p := range pinned {
		if p == path || strings.HasPrefix(path, p+".") {
			return true
		}
	}
	return false
}

// expand builds, decodes and validates every combination: the first axis
// varies slowest. Errors common to every variant are reported once; the
// others are prefixed with the variant's name.
func (l *loader) expand(root *yaml.Node, axes []axis, defName string) []Variant {
	labels := axisLabels(axes)
	idx := make([]int, len(axes))
	var variants []Variant
	var perVariant []Errors
	base := l.errs
	for {
		l.errs = nil
		n := l.copyNode(root)
		params := map[string]string{}
		var parts []string
		for j, a := range axes {
			v := a.values[idx[j]]
			if err := l.setPath(n, a.path, l.copyNode(v)); err != nil {
				l.errAt(a.key, "matrix."+a.path, "matrix: %s: %v", a.path, err)
			}
			text := l.flowText(v)
			params[a.path] = text
			parts = append(parts, labels[j]+"="+text)
		}
		e, pos := l.decode(n)
		if e.Name == "" {
			e.Name = defName
		}
		if e.Topic.Name == "" {
			e.Topic.Name = DefaultTopicName(e.Name)
		}
		name := e.Name
		if len(axes) > 0 {
			name = strings.Join(parts, ",")
			suffix := topicSafe(name)
			if len(e.Topic.Name)+1+len(suffix) > 200 { // leave room for the runner's run suffix
				suffix = "v" + strconv.Itoa(len(variants)+1)
			}
			e.Topic.Name += "-" + suffix
		}
		e.Matrix = nil
		l.validate(e, pos)
		variants = append(variants, Variant{Name: name, Params: params, Exp: e, file: l.file, pos: pos})
		perVariant = append(perVariant, l.errs)

		// next combination (odometer, last axis fastest)
		j := len(axes) - 1
		for ; j >= 0; j-- {
			idx[j]++
			if idx[j] < len(axes[j].values) {
				break
			}
			idx[j] = 0
		}
		if j < 0 {
			break
		}
	}
	l.errs = base
	count := map[FieldError]int{}
	for _, es := range perVariant {
		for _, e := range dedupe(es) {
			count[e]++
		}
	}
	done := map[FieldError]bool{}
	for i, es := range perVariant {
		for _, e := range es {
			if count[e] == len(perVariant) {
				if !done[e] {
					done[e] = true
					l.errs = append(l.errs, e)
				}
				continue
			}
			e.Msg = "variant " + variants[i].Name + ": " + e.Msg
			l.errs = append(l.errs, e)
		}
	}
	return variants
}

// axisLabels names each axis by its last path segment, or by its whole
// path where two axes share the last segment.
func axisLabels(axes []axis) []string {
	last := func(p string) string { return p[strings.LastIndexByte(p, '.')+1:] }
	n := map[string]int{}
	for _, a := range axes {
		n[last(a.path)]++
	}
	out := make([]string, len(axes))
	for i, a := range axes {
		out[i] = last(a.path)
		if n[out[i]] > 1 {
			out[i] = a.path
		}
	}
	return out
}

// flowText renders a matrix value compactly: scalars as written, lists as
// [a,b], mappings as {k:v}.
func (l *loader) flowText(n *yaml.Node) string {
	n = deref(n)
	switch n.Kind {
	case yaml.SequenceNode:
		parts := make([]string, len(n.Content))
		for i, c := range n.Content {
			parts[i] = l.flowText(c)
		}
		return "[" + strings.Join(parts, ",") + "]"
	case yaml.MappingNode:
		var parts []string
		for i := 0; i+1 < len(n.Content); i += 2 {
			parts = append(parts, l.flowText(n.Content[i])+":"+l.flowText(n.Content[i+1]))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	return l.show(n)
}
