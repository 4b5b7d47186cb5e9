//go:build race

package families

// raceEnabled: the race detector drops items of a sync.Pool at random,
// so that allocation counts mean nothing under it.
const raceEnabled = true
