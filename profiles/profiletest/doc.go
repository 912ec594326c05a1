// Package profiletest holds the tests that run every built-in profile
// (shortened with --set style overrides) on the embedded broker and check
// that the claim each profile makes holds in the measured figures.
package profiletest
