//go:build !race

package families

const raceEnabled = false
