// Package profiles holds kbench's built-in experiments: YAML files embedded
// in the binary, each reproducing one claim about Kafka (SPEC §9). Run one
// with `kbench run NAME`; print it with `kbench profiles show NAME`.
package profiles

import (
	"embed"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml
var files embed.FS

// Names lists the built-in profiles, sorted.
func Names() []string {
	entries, err := files.ReadDir(".")
	if err != nil {
		return nil
	}
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok && !e.IsDir() {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// Get returns a profile's YAML source.
func Get(name string) ([]byte, bool) {
	if name == "" || strings.ContainsAny(name, "/\\") {
		return nil, false
	}
	b, err := files.ReadFile(name + ".yaml")
	if err != nil {
		return nil, false
	}
	return b, true
}

// Description returns a profile's top-level description ("" when it has
// none or is unknown). It reads only that key, so it works for a profile
// the loader would reject.
func Description(name string) string {
	b, ok := Get(name)
	if !ok {
		return ""
	}
	var head struct {
		Description string `yaml:"description"`
	}
	_ = yaml.Unmarshal(b, &head)
	return strings.Join(strings.Fields(head.Description), " ")
}
