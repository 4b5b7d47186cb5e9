//go:build !race

package familyweb_test

const raceEnabled = false
