//go:build !linux

package safetext

import "time"

// cpuTimeOf falls back to wall time where the thread's CPU time is not at hand.
func cpuTimeOf(f func()) time.Duration {
	start := time.Now()
	f()
	return time.Since(start)
}
