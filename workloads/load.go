package workloads

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/kbench/kbench/internal/exitcode"
	"github.com/kbench/kbench/profiles"
)

// SetFile is the File of errors caused by a `--set path=value` override.
const SetFile = "--set"

// FieldError is one problem in an experiment file, at a source position.
// Line and Col are 1-based; Line 0 means the position is unknown (a missing
// key, a YAML syntax error without a column, an override).
type FieldError struct {
	File      string
	Line, Col int
	// Path is the dotted path of the offending value (consumers.0.group),
	// empty for file-level problems.
	Path string
	Msg  string
}

// Error formats the error as `file:line:col: message`.
func (e FieldError) Error() string {
	switch {
	case e.Line > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Col, e.Msg)
	case e.File != "":
		return e.File + ": " + e.Msg
	default:
		return e.Msg
	}
}

// Errors is every problem found in one load, sorted by file and position.
// It implements error, one FieldError per line.
type Errors []FieldError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Pos is a 1-based source position.
type Pos struct{ Line, Col int }

// Plan is a loaded experiment file: one Variant per matrix combination (one
// when there is no matrix), each decoded, defaulted and validated on its own.
type Plan struct {
	// Name and Description of the experiment (of its first variant).
	Name        string
	Description string
	// Source is the file name, "profile NAME" or the name given to LoadBytes.
	Source string
	// Axes are the matrix's dotted paths in file order (empty without one).
	Axes     []string
	Variants []Variant
}

// Variant is one matrix combination.
type Variant struct {
	// Name is "strategy=path,acks=all": the last segment of each matrix path
	// (the whole path where two axes share it) '=' the value, joined by ','.
	// Without a matrix it is the experiment name.
	Name string
	// Params maps each matrix path (workload.keying.strategy) to its value
	// as written (lists as [a,b]).
	Params map[string]string
	Exp    *Experiment

	file string
	pos  map[string]Pos
}

// Pos returns where the value at the dotted path (gates.2,
// producer.acks) was written; ok is false when it came from a default. An
// override gives Line 0.
func (v *Variant) Pos(path string) (p Pos, ok bool) {
	p, ok = v.pos[path]
	if p.Line < 0 {
		p = Pos{}
	}
	return p, ok
}

// ErrorAt builds a FieldError positioned at path (or its nearest written
// ancestor), so later checks (gates, broker limits) report file:line:col.
func (v *Variant) ErrorAt(path, format string, args ...any) FieldError {
	return errorAt(v.file, v.pos, path, fmt.Sprintf(format, args...))
}

// Names lists the variant names in order.
func (p *Plan) Names() []string {
	out := make([]string, len(p.Variants))
	for i, v := range p.Variants {
		out[i] = v.Name
	}
	return out
}

// Only keeps the variants with the given names (in plan order); an unknown
// name is a configuration error listing the known ones. No names keeps all.
func (p *Plan) Only(names ...string) error {
	if len(names) == 0 {
		return nil
	}
	want := map[string]bool{}
	for _, n := range names {
		want[n] = false
	}
	var kept []Variant
	for _, v := range p.Variants {
		if _, ok := want[v.Name]; ok {
			want[v.Name] = true
			kept = append(kept, v)
		}
	}
	for _, n := range names {
		if !want[n] {
			return exitcode.Configf("%s: no variant %q (variants: %s)", p.Source, n, strings.Join(p.Names(), "; "))
		}
	}
	p.Variants = kept
	return nil
}

// LoadFile reads, overrides (sets are `path=value`), expands, decodes and
// validates an experiment file. Every error is a configuration error
// (exitcode.Config); a validation failure unwraps to Errors.
func LoadFile(path string, sets []string) (*Plan, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, exitcode.With(exitcode.Config, err)
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return load(path, path, base, data, sets)
}

// LoadBytes is LoadFile for data read elsewhere; name labels errors and is
// the default experiment name (without a .yaml/.yml extension).
func LoadBytes(name string, data []byte, sets []string) (*Plan, error) {
	base := strings.TrimSuffix(strings.TrimSuffix(filepath.Base(name), ".yaml"), ".yml")
	return load(name, name, base, data, sets)
}

// LoadProfile loads a built-in profile by name; errors name the file
// "profiles/NAME.yaml".
func LoadProfile(name string, sets []string) (*Plan, error) {
	data, ok := profiles.Get(name)
	if !ok {
		return nil, unknownProfile(name)
	}
	return load("profiles/"+name+".yaml", "profile "+name, name, data, sets)
}

// Resolve loads arg as a file when it exists or ends in .yaml/.yml, else as
// a built-in profile; an unknown profile is an error listing the profiles.
func Resolve(arg string, sets []string) (*Plan, error) {
	if _, err := os.Stat(arg); err == nil || strings.HasSuffix(arg, ".yaml") || strings.HasSuffix(arg, ".yml") || strings.ContainsRune(arg, os.PathSeparator) {
		return LoadFile(arg, sets)
	}
	return LoadProfile(arg, sets)
}

func unknownProfile(name string) error {
	msg := fmt.Sprintf("unknown profile %q (profiles: %s)", name, strings.Join(profiles.Names(), ", "))
	if s := closest(name, profiles.Names()); s != "" {
		msg = fmt.Sprintf("unknown profile %q; did you mean %q? (profiles: %s)", name, s, strings.Join(profiles.Names(), ", "))
	}
	return exitcode.Configf("%s", msg)
}

// ToYAML renders the experiment as a version 1 file that loads back to the
// same experiment (secrets print as ******). Keys that do not apply (the
// parameters of other shape kinds, a consumer fault's rate, empty optional
// sections) are left out, since the strict loader rejects them.
func (e *Experiment) ToYAML() ([]byte, error) {
	var root yaml.Node
	if err := root.Encode(e); err != nil {
		return nil, err
	}
	dropKeys(&root, func(k string, v *yaml.Node) bool {
		return (k == "cluster" && isNull(v)) || (k == "matrix" && len(v.Content) == 0)
	})
	if _, t, _ := mapGet(&root, "topic"); t != nil {
		dropKeys(t, func(k string, _ *yaml.Node) bool { return e.Topic.dropKey(k) })
	}
	if _, c, _ := mapGet(&root, "cluster"); c != nil {
		dropKeys(c, func(_ string, v *yaml.Node) bool { return isNull(v) })
	}
	if _, w, _ := mapGet(&root, "workload"); w != nil {
		if _, sh, _ := mapGet(w, "shape"); sh != nil {
			need := shapeParams[e.Workload.Shape.Kind]
			dropKeys(sh, func(k string, _ *yaml.Node) bool { return k != "kind" && !contains(need, k) })
		}
		if _, tr, _ := mapGet(w, "traffic"); tr != nil {
			dropKeys(tr, func(k string, v *yaml.Node) bool {
				return (k == "hot" && isNull(v)) || (k == "list" && len(v.Content) == 0) ||
					(k == "services" && len(e.Workload.Traffic.List) > 0)
			})
		}
	}
	if _, cs, _ := mapGet(&root, "consumers"); cs != nil {
		for _, g := range cs.Content {
			dropKeys(g, func(k string, v *yaml.Node) bool { return k == "assignor" && v.Value == "" })
		}
	}
	if _, fs, _ := mapGet(&root, "faults"); fs != nil {
		for i, f := range fs.Content {
			if i >= len(e.Faults) {
				break
			}
			kind := e.Faults[i].Kind
			whole := e.Faults[i].WholeGroup
			dropKeys(f, func(k string, _ *yaml.Node) bool {
				switch {
				case kind == FaultProcessingSpike:
					return k == "rate" || k == "latency" || k == "for" || (k == "instance" && whole)
				case k == "duration" || k == "delay":
					return true
				case IsConsumerFault(kind):
					return k == "rate" || k == "latency"
				case IsBrokerFault(kind):
					return k == "group" || k == "instance" || (k == "latency" && !strings.HasSuffix(kind, "-latency"))
				}
				return false
			})
		}
	}
	return yaml.Marshal(&root)
}

func dropKeys(m *yaml.Node, drop func(key string, v *yaml.Node) bool) {
	if m.Kind != yaml.MappingNode {
		return
	}
	out := m.Content[:0]
	for i := 0; i+1 < len(m.Content); i += 2 {
		if !drop(m.Content[i].Value, m.Content[i+1]) {
			out = append(out, m.Content[i], m.Content[i+1])
		}
	}
	m.Content = out
}

// loader holds the state of one load.
type loader struct {
	file string
	errs Errors
	// raw is a scalar's text before environment substitution, for messages.
	raw map[*yaml.Node]string
	env []envRef
}

type envRef struct{ token, name string }

func (l *loader) errAt(n *yaml.Node, path, format string, args ...any) {
	l.errs = append(l.errs, l.fieldErr(n.Line, n.Column, path, fmt.Sprintf(format, args...)))
}

// fieldErr turns a position into a FieldError; negative lines mark nodes
// that came from the i-th --set (line -(i+1)), carried in the message.
func (l *loader) fieldErr(line, col int, path, msg string) FieldError {
	return mkErr(l.file, line, col, path, msg)
}

func mkErr(file string, line, col int, path, msg string) FieldError {
	if line < 0 {
		return FieldError{File: SetFile, Path: path, Msg: msg}
	}
	return FieldError{File: file, Line: line, Col: col, Path: path, Msg: msg}
}

func errorAt(file string, pos map[string]Pos, path, msg string) FieldError {
	for p := path; ; {
		if at, ok := pos[p]; ok {
			return mkErr(file, at.Line, at.Col, path, msg)
		}
		if p == "" {
			return FieldError{File: file, Path: path, Msg: msg}
		}
		if i := strings.LastIndexByte(p, '.'); i >= 0 {
			p = p[:i]
		} else {
			p = ""
		}
	}
}

// load is the pipeline: protect ${VAR}, parse, substitute, apply --set,
// expand the matrix, then decode and validate each variant.
func load(file, source, defName string, data []byte, sets []string) (*Plan, error) {
	l := &loader{file: file, raw: map[*yaml.Node]string{}}
	text := l.protectEnv(string(data))
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(text), &doc); err != nil {
		l.errs = append(l.errs, syntaxError(file, err))
		return nil, l.fail()
	}
	var root *yaml.Node
	if len(doc.Content) > 0 {
		root = doc.Content[0]
	}
	if root == nil || (root.Kind == yaml.ScalarNode && root.ShortTag() == "!!null") {
		root = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map", Line: 1, Column: 1}
	}
	if root.Kind != yaml.MappingNode {
		l.errAt(root, "", "an experiment must be a mapping of keys (name:, workload:, ...), got %s", l.describe(root))
		return nil, l.fail()
	}
	l.substEnv(root)

	setPaths := l.applySets(root, sets)
	axes := l.matrixAxes(root, setPaths)
	variants := l.expand(root, axes, defName)
	if len(l.errs) > 0 {
		return nil, l.fail()
	}
	p := &Plan{Source: source, Variants: variants}
	for _, a := range axes {
		p.Axes = append(p.Axes, a.path)
	}
	if len(variants) > 0 {
		p.Name = variants[0].Exp.Name
		p.Description = variants[0].Exp.Description
	}
	return p, nil
}

func (l *loader) fail() error {
	es := dedupe(l.errs)
	sort.SliceStable(es, func(i, j int) bool {
		a, b := es[i], es[j]
		if a.File != b.File {
			return a.File == SetFile // overrides first
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	return exitcode.With(exitcode.Config, es)
}

func dedupe(es Errors) Errors {
	seen := map[FieldError]bool{}
	var out Errors
	for _, e := range es {
		if !seen[e] {
			seen[e] = true
			out = append(out, e)
		}
	}
	return out
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func syntaxError(file string, err error) FieldError {
	msg := err.Error()
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		line, _ := strconv.Atoi(m[1])
		return FieldError{File: file, Line: line, Col: 1, Msg: "YAML syntax error: " + m[2]}
	}
	return FieldError{File: file, Msg: "YAML syntax error: " + strings.TrimPrefix(msg, "yaml: ")}
}

// --- environment variables ---

var envRefRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// protectEnv replaces each ${NAME} with a same-length token that YAML reads
// as plain text anywhere (a bare ${X} is a syntax error inside a flow
// mapping such as {password: ${X}}), keeping every column unchanged. The
// tokens are substituted after parsing, so the value never passes through
// the YAML parser and may hold any character. $${ is a literal ${.
func (l *loader) protectEnv(s string) string {
	var b strings.Builder
	for {
		loc := envRefRE.FindStringSubmatchIndex(s)
		if loc == nil {
			b.WriteString(s)
			return b.String()
		}
		if loc[0] > 0 && s[loc[0]-1] == '$' { // $${NAME}: literal
			b.WriteString(s[:loc[0]-1])
			b.WriteString(s[loc[0]:loc[1]])
			s = s[loc[1]:]
			continue
		}
		b.WriteString(s[:loc[0]])
		orig := s[loc[0]:loc[1]]
		tok := "$" + strconv.FormatInt(int64(len(l.env)), 36)
		for len(tok) < len(orig)-1 {
			tok += "~"
		}
		tok += "$"
		l.env = append(l.env, envRef{token: tok, name: s[loc[2]:loc[3]]})
		b.WriteString(tok)
		s = s[loc[1]:]
	}
}

// substEnv replaces the tokens in every scalar; a missing variable is an
// error. A substituted scalar is typed by its new value (so `partitions:
// ${P}` is an integer even when quoted).
func (l *loader) substEnv(n *yaml.Node) {
	if n.Kind == yaml.ScalarNode && strings.Contains(n.Value, "$") && len(l.env) > 0 {
		val, raw, changed := n.Value, n.Value, false
		for _, r := range l.env {
			if !strings.Contains(val, r.token) {
				continue
			}
			changed = true
			raw = strings.ReplaceAll(raw, r.token, "${"+r.name+"}")
			v, ok := os.LookupEnv(r.name)
			if !ok {
				l.errAt(n, "", "environment variable %s is not set", r.name)
			}
			val = strings.ReplaceAll(val, r.token, v)
		}
		if changed {
			l.raw[n] = raw
			n.Value = val
			n.Tag = ""
			n.Style = 0
		}
	}
	for _, c := range n.Content {
		l.substEnv(c)
	}
}

// describe renders a node for a message without ever showing an
// environment variable's value.
func (l *loader) describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.SequenceNode:
		return "a list"
	case yaml.MappingNode:
		return "a mapping"
	case yaml.AliasNode:
		return "an alias"
	}
	if r, ok := l.raw[n]; ok {
		return strconv.Quote(r)
	}
	return strconv.Quote(n.Value)
}

// show is a scalar's text for messages (the ${NAME} form if substituted).
func (l *loader) show(n *yaml.Node) string {
	if r, ok := l.raw[n]; ok {
		return r
	}
	return n.Value
}

// --- node utilities ---

func (l *loader) copyNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	if r, ok := l.raw[n]; ok {
		l.raw[&c] = r
	}
	if n.Content != nil {
		c.Content = make([]*yaml.Node, len(n.Content))
		for i, ch := range n.Content {
			c.Content[i] = l.copyNode(ch)
		}
	}
	return &c
}

func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// mapGet returns the key and value nodes of key in a mapping.
func mapGet(m *yaml.Node, key string) (k, v *yaml.Node, idx int) {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i], m.Content[i+1], i
		}
	}
	return nil, nil, -1
}

func joinPath(path, seg string) string {
	if path == "" {
		return seg
	}
	return path + "." + seg
}

// where names a mapping's path in messages.
func where(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + path
}

// --- reflection over the schema ---

var (
	durationType = reflect.TypeOf(Duration(0))
	sizeType     = reflect.TypeOf(Size(0))
	fieldCache   sync.Map // reflect.Type -> *structInfo
)

type structInfo struct {
	byKey map[string]int
	keys  []string // in declaration order
}

func fieldsOf(t reflect.Type) *structInfo {
	if v, ok := fieldCache.Load(t); ok {
		return v.(*structInfo)
	}
	si := &structInfo{byKey: map[string]int{}}
	for i := 0; i < t.NumField(); i++ {
		tag := strings.Split(t.Field(i).Tag.Get("yaml"), ",")[0]
		if tag == "" || tag == "-" || !t.Field(i).IsExported() {
			continue
		}
		si.byKey[tag] = i
		si.keys = append(si.keys, tag)
	}
	fieldCache.Store(t, si)
	return si
}

// unknownKey is the message for a key the schema does not have.
func unknownKey(key, path string, known []string) string {
	if s := closest(key, known); s != "" {
		return fmt.Sprintf("unknown key %q %s; did you mean %q?", key, where(path), s)
	}
	return fmt.Sprintf("unknown key %q %s; known keys: %s", key, where(path), strings.Join(known, ", "))
}

// closest returns the candidate nearest to s by edit distance, if near
// enough to be a plausible typo; "" otherwise.
func closest(s string, candidates []string) string {
	best, bestD := "", math.MaxInt
	ls := strings.ToLower(s)
	for _, c := range candidates {
		lc := strings.ToLower(c)
		d := editDistance(ls, lc)
		if d < bestD {
			best, bestD = c, d
		}
	}
	limit := 2
	if len(s) > 8 {
		limit = 3
	}
	if len(s) <= 3 {
		limit = 1
	}
	if bestD <= limit {
		return best
	}
	// A prefix or a word of a longer key (batch -> batch_size).
	for _, c := range candidates {
		if len(s) >= 3 && (strings.HasPrefix(strings.ToLower(c), ls) || strings.HasPrefix(ls, strings.ToLower(c))) {
			return c
		}
	}
	return ""
}

// editDistance is the Damerau (optimal string alignment) distance.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	d := make([][]int, len(ra)+1)
	for i := range d {
		d[i] = make([]int, len(rb)+1)
		d[i][0] = i
	}
	for j := range d[0] {
		d[0][j] = j
	}
	for i := 1; i <= len(ra); i++ {
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			d[i][j] = min(d[i-1][j]+1, d[i][j-1]+1, d[i-1][j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				d[i][j] = min(d[i][j], d[i-2][j-2]+1)
			}
		}
	}
	return d[len(ra)][len(rb)]
}

// --- decoding ---

type decoder struct {
	l   *loader
	pos map[string]Pos
}

// decode overlays the node tree on Defaults(); every problem is recorded.
func (l *loader) decode(root *yaml.Node) (*Experiment, map[string]Pos) {
	d := &decoder{l: l, pos: map[string]Pos{"": {root.Line, root.Column}}}
	e := Defaults()
	d.value(root, reflect.ValueOf(&e).Elem(), "")
	return &e, d.pos
}

func (d *decoder) value(n *yaml.Node, v reflect.Value, path string) {
	n = deref(n)
	if n == nil {
		return
	}
	if path != "" {
		d.pos[path] = Pos{n.Line, n.Column}
	}
	_, substituted := d.l.raw[n]
	if isNull(n) && !substituted {
		return // `key:` with no value keeps the default
	}
	t := v.Type()
	switch {
	case t == durationType || t == sizeType:
		d.unitValue(n, v, path)
		return
	}
	switch t.Kind() {
	case reflect.String, reflect.Int, reflect.Int64, reflect.Float64, reflect.Bool:
		d.scalarValue(n, v, path)
	case reflect.Ptr:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		d.value(n, v.Elem(), path)
	case reflect.Struct:
		d.structMap(n, v, path)
	case reflect.Slice:
		d.sliceValue(n, v, path)
	default:
		d.l.errAt(n, path, "%s: not allowed here", path)
	}
}

// unitValue decodes a Duration ("30s") or a Size ("64KiB").
func (d *decoder) unitValue(n *yaml.Node, v reflect.Value, path string) {
	if v.Type() == durationType {
		if !d.scalar(n, path, "a duration such as 30s") {
			return
		}
		dur, err := parseDuration(n.Value)
		if err != nil {
			d.l.errAt(n, path, "%s: invalid duration %q (%s)", path, d.l.show(n), err.Error())
			return
		}
		v.SetInt(int64(dur))
		return
	}
	if !d.scalar(n, path, "a size such as 512, 64KiB or 1MiB") {
		return
	}
	sz, err := ParseSize(n.Value)
	if err != nil {
		d.l.errAt(n, path, "%s: invalid size %q (%s)", path, d.l.show(n), err.Error())
		return
	}
	v.SetInt(int64(sz))
}

// scalarValue decodes a string, integer, number or boolean.
func (d *decoder) scalarValue(n *yaml.Node, v reflect.Value, path string) {
	switch v.Kind() {
	case reflect.String:
		if d.scalar(n, path, "a string") {
			v.SetString(n.Value)
		}
	case reflect.Int, reflect.Int64:
		if !d.scalar(n, path, "an integer") {
			return
		}
		i, ok := parseInt(n)
		if !ok {
			d.l.errAt(n, path, "%s: expected an integer, got %s", path, d.l.describe(n))
			return
		}
		v.SetInt(i)
	case reflect.Float64:
		if !d.scalar(n, path, "a number") {
			return
		}
		f, ok := parseFloat(n)
		if !ok {
			d.l.errAt(n, path, "%s: expected a number, got %s", path, d.l.describe(n))
			return
		}
		v.SetFloat(f)
	case reflect.Bool:
		if !d.scalar(n, path, "true or false") {
			return
		}
		if n.ShortTag() != "!!bool" {
			d.l.errAt(n, path, "%s: expected true or false, got %s", path, d.l.describe(n))
			return
		}
		v.SetBool(strings.EqualFold(n.Value, "true"))
	}
}

// sliceValue decodes a list; consumer groups and faults start from their
// defaults, gates are strings only.
func (d *decoder) sliceValue(n *yaml.Node, v reflect.Value, path string) {
	t := v.Type()
	if n.Kind != yaml.SequenceNode {
		d.l.errAt(n, path, "%s: expected a list, got %s", path, d.l.describe(n))
		return
	}
	if len(n.Content) == 0 {
		v.Set(reflect.Zero(t)) // [] is nil: no entries (not the default)
		return
	}
	s := reflect.MakeSlice(t, len(n.Content), len(n.Content))
	for i, item := range n.Content {
		elem := s.Index(i)
		switch t.Elem() {
		case reflect.TypeOf(ConsumerGroup{}):
			elem.Set(reflect.ValueOf(DefaultConsumerGroup("")))
		case reflect.TypeOf(Fault{}):
			elem.Set(reflect.ValueOf(DefaultFault()))
		}
		ip := joinPath(path, strconv.Itoa(i))
		if path == "gates" || path == "search.objective" {
			d.gate(deref(item), elem, ip)
			continue
		}
		d.value(item, elem, ip)
	}
	v.Set(s)
}

// gate decodes one gate: a string expression, never a mapping (an unquoted
// `a: b` would be one).
func (d *decoder) gate(n *yaml.Node, v reflect.Value, path string) {
	d.pos[path] = Pos{n.Line, n.Column}
	if n.Kind != yaml.ScalarNode || isNull(n) {
		d.l.errAt(n, path, "%s: a gate must be a string such as \"produce.latency_ms.p99 < 50\", got %s (quote it if it contains ': ')", path, d.l.describe(n))
		v.SetString(badGate)
		return
	}
	v.SetString(n.Value)
}

// badGate marks a gate that failed to decode, so validation skips it.
const badGate = "\x00"

func (d *decoder) scalar(n *yaml.Node, path, want string) bool {
	if n.Kind != yaml.ScalarNode {
		d.l.errAt(n, path, "%s: expected %s, got %s", path, want, d.l.describe(n))
		return false
	}
	return true
}

func (d *decoder) structMap(n *yaml.Node, v reflect.Value, path string) {
	if n.Kind != yaml.MappingNode {
		what := path
		if what == "" {
			what = "experiment"
		}
		d.l.errAt(n, path, "%s: expected a mapping, got %s", what, d.l.describe(n))
		return
	}
	si := fieldsOf(v.Type())
	seen := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, val := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			m := deref(val)
			if m.Kind == yaml.SequenceNode {
				for _, c := range m.Content {
					d.structMap(deref(c), v, path)
				}
			} else {
				d.structMap(m, v, path)
			}
			continue
		}
		if k.Kind != yaml.ScalarNode {
			d.l.errAt(k, path, "a key must be a plain name, got %s", d.l.describe(k))
			continue
		}
		if first, dup := seen[k.Value]; dup {
			d.l.errAt(k, joinPath(path, k.Value), "duplicate key %q (first at line %d)", k.Value, first.Line)
			continue
		}
		seen[k.Value] = k
		if path == "" && strings.HasPrefix(k.Value, "x-") {
			continue // extension keys hold anchors to reuse (&name / *name)
		}
		f, ok := si.byKey[k.Value]
		if !ok || (path == "" && k.Value == "matrix") {
			if !ok {
				d.l.errAt(k, joinPath(path, k.Value), "%s", unknownKey(k.Value, path, si.keys))
			}
			continue
		}
		d.value(val, v.Field(f), joinPath(path, k.Value))
	}
}

func parseInt(n *yaml.Node) (int64, bool) {
	s := strings.ReplaceAll(n.Value, "_", "")
	switch n.ShortTag() {
	case "!!int":
		i, err := strconv.ParseInt(s, 0, 64)
		if err != nil {
			// 0o17 and 0x1F are YAML 1.2 forms strconv also takes; anything
			// else is out of range.
			return 0, false
		}
		return i, true
	case "!!float":
		f, err := strconv.ParseFloat(s, 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) > 1<<62 {
			return 0, false
		}
		return int64(f), true
	}
	return 0, false
}

func parseFloat(n *yaml.Node) (float64, bool) {
	switch n.ShortTag() {
	case "!!int":
		i, ok := parseInt(n)
		return float64(i), ok
	case "!!float":
		f, err := strconv.ParseFloat(strings.ReplaceAll(n.Value, "_", ""), 64)
		if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
			return 0, false
		}
		return f, true
	}
	return 0, false
}

// parseDuration reads a Go duration; a bare 0 is allowed, a bare non-zero
// number is not (30 is ambiguous: write 30s). Negative durations are errors.
func parseDuration(s string) (Duration, error) {
	s = strings.TrimSpace(s)
	if s == "0" {
		return 0, nil
	}
	if _, err := strconv.ParseFloat(s, 64); err == nil {
		return 0, fmt.Errorf("missing unit: write %ss or %sms", s, s)
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a Go duration such as 500ms, 30s or 1m30s")
	}
	if d < 0 {
		return 0, fmt.Errorf("must not be negative")
	}
	return Duration(d), nil
}

var sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([A-Za-z]*)$`)

// sizeUnits: the binary units (KiB, MiB, GiB: powers of 1024) and, for
// people who write them, the decimal ones (KB, MB, GB: powers of 1000, as
// in SI). Units are case-insensitive; B or no unit is bytes.
var sizeUnits = map[string]int64{
	"": 1, "b": 1,
	"kib": 1 << 10, "mib": 1 << 20, "gib": 1 << 30,
	"kb": 1e3, "mb": 1e6, "gb": 1e9,
}

// ParseSize reads a byte size: 512, 64KiB, 1MiB, 1.5MiB, 1MB (= 1000000),
// 2GiB. The result is rounded down to whole bytes.
func ParseSize(s string) (Size, error) {
	s = strings.TrimSpace(s)
	m := sizeRE.FindStringSubmatch(s)
	if m == nil {
		if strings.HasPrefix(s, "-") {
			return 0, fmt.Errorf("must not be negative")
		}
		return 0, fmt.Errorf("want bytes such as 512, 64KiB or 1MiB")
	}
	mult, ok := sizeUnits[strings.ToLower(m[2])]
	if !ok {
		return 0, fmt.Errorf("unknown unit %q; use B, KiB, MiB, GiB (1024) or KB, MB, GB (1000)", m[2])
	}
	f, err := strconv.ParseFloat(m[1], 64)
	if err != nil || f*float64(mult) > 1<<62 {
		return 0, fmt.Errorf("out of range")
	}
	return Size(f * float64(mult)), nil
}

func formatSize(s Size) string {
	for _, u := range []struct {
		n    int64
		name string
	}{{1 << 30, "GiB"}, {1 << 20, "MiB"}, {1 << 10, "KiB"}} {
		if s != 0 && int64(s)%u.n == 0 {
			return strconv.FormatInt(int64(s)/u.n, 10) + u.name
		}
	}
	return strconv.FormatInt(int64(s), 10)
}

func typeOf[T any]() reflect.Type { return reflect.TypeOf((*T)(nil)).Elem() }
