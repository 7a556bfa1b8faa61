//go:build race

package ui_test

// raceEnabled: the test binary runs under the race detector.
const raceEnabled = true
