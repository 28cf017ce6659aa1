package testcluster

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// errPortInUse marks a start that lost a race for a port: Start tries again with new ports.
var errPortInUse = errors.New("port already in use")

// process is one server of the cluster, its output in a log file in the cluster's dir.
type process struct {
	name    string
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{} // closed when the process has exited
	waitErr error
}

func spawn(dir, name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	log, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Dir = dir
	p := &process{name: name, cmd: cmd, logPath: logPath, exited: make(chan struct{})}
	if err := startProcess(cmd); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		log.Close()
		close(p.exited)
	}()
	return p, nil
}

// stop kills the process and waits for it, so its files can be removed.
func (p *process) stop() {
	killProcess(p.cmd)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
	}
}

// died returns an error with the end of the log if the process has exited.
func (p *process) died() error {
	select {
	case <-p.exited:
	default:
		return nil
	}
	tail := p.tail(30)
	err := fmt.Errorf("%s exited (%v); end of %s:\n%s", p.name, p.waitErr, p.logPath, tail)
	if strings.Contains(tail, "address already in use") {
		return fmt.Errorf("%w: %w", errPortInUse, err)
	}
	return err
}

// tail returns the last n lines of the log.
func (p *process) tail(n int) string {
	data, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	lines := bytes.Split(bytes.TrimRight(data, "\n"), []byte("\n"))
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return string(bytes.Join(lines, []byte("\n")))
}

// freePorts finds n distinct free loopback ports. They are free when returned, not reserved:
// another process may take one before the server binds it, hence errPortInUse and a retry.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("finding a free port: %w", err)
		}
		defer l.Close() // held open until all are chosen, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
