package main

// val reads a figure that may not have been measured: -1 when it was not,
// which no count can be, so a test comparing it fails loudly.
func val(p *int64) int64 {
	if p == nil {
		return -1
	}
	return *p
}
