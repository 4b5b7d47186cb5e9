//go:build race

package nodetest

// raceEnabled builds the parley binary with the race detector when the
// tests run with it: the packages are then already in the build cache in
// that form, and data races in the background loops of a real process
// (sync, outbox, cosigning) are caught too.
const raceEnabled = true
