//go:build race

package familyweb_test

// raceEnabled: allocation counts mean nothing under the race detector.
const raceEnabled = true
