//go:build race

package nodetest

// raceEnabled, with PARLEY_NODETEST_RACE=1, builds the parley binary with
// the race detector when the tests run with it, so that data races in the
// background loops of a real process (sync, outbox, cosigning) are caught
// too. It is not the default: such a binary makes these tests four times
// slower, and the same loops are race-tested in process by their packages.
const raceEnabled = true
