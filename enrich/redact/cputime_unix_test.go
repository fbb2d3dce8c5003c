//go:build unix

package redact_test

import (
	"syscall"
	"time"
)

// processCPU is the CPU time the process used so far (all threads, GC
// included): benchmarks report it per operation, which stays meaningful
// on a loaded machine where wall time does not.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
