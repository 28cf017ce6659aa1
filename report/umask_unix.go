//go:build unix

package report

import (
	"os"
	"syscall"
)

// umask reads the process umask; setting it is the only way to read it, so it is set back at once.
func umask() os.FileMode {
	m := syscall.Umask(0)
	syscall.Umask(m)
	return os.FileMode(m)
}
