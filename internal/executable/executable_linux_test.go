//go:build linux

package executable

import (
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestReadFileHeadRefusesAFIFO: a FIFO with exec bits passes for a program on PATH; reading
// its head must not wait for a writer.
func TestReadFileHeadRefusesAFIFO(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "kubectl")
	if err := syscall.Mkfifo(fifo, 0o755); err != nil {
		t.Skipf("no FIFO here: %v", err)
	}
	done := make(chan error, 1)
	go func() { _, err := ReadFileHead(fifo, 4096); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "FIFO") {
			t.Errorf("a FIFO: %v", err)
		}
	case <-time.After(time.Second):
		t.Fatal("ReadFileHead blocked on a FIFO")
	}
}
