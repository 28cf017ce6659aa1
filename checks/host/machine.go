package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"runtime"
	"strconv"
	"strings"

	"github.com/kockpit/kockpit/internal/nodefs"
	"github.com/kockpit/kockpit/internal/phrase"
)

// machine is the node's size, as the kubelet sees it for its capacity.
type machine struct {
	memory int64 // bytes; 0 when unknown
	cpus   int   // 0 when unknown
	from   string
}

// nodeMachine reads the node's memory and CPU count from /proc under the root. On the node
// itself the running system answers when /proc is missing (never in a fixture tree: its size
// is not this machine's).
func nodeMachine(ctx context.Context, n *nodefs.FS) machine {
	var m machine
	var from []string
	if f, ok, _ := n.ReadOptional(ctx, "/proc/meminfo"); ok {
		m.memory = memTotal(f.Data)
		if m.memory > 0 {
			from = append(from, n.Display("/proc/meminfo"))
		}
	}
	if f, ok, _ := n.ReadOptional(ctx, "/proc/cpuinfo"); ok {
		m.cpus = bytes.Count(f.Data, []byte("\nprocessor\t:"))
		if bytes.HasPrefix(f.Data, []byte("processor\t:")) {
			m.cpus++
		}
		if m.cpus > 0 {
			from = append(from, n.Display("/proc/cpuinfo"))
		}
	}
	if m.cpus == 0 && n.IsSystemRoot() {
		m.cpus = runtime.NumCPU()
		from = append(from, "this machine")
	}
	m.from = strings.Join(from, ", ")
	return m
}

// memTotal reads MemTotal from /proc/meminfo, in bytes.
func memTotal(data []byte) int64 {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) >= 2 && fields[0] == "MemTotal:" {
			kb, err := strconv.ParseInt(fields[1], 10, 64)
			if err == nil && kb > 0 {
				return kb * 1024
			}
		}
	}
	return 0
}

func (m machine) String() string {
	var parts []string
	if m.memory > 0 {
		parts = append(parts, phrase.Bytes(m.memory)+" of memory")
	}
	if m.cpus > 0 {
		parts = append(parts, fmt.Sprintf("%d CPUs", m.cpus))
	}
	if len(parts) == 0 {
		return "size unknown"
	}
	return strings.Join(parts, ", ") + " (" + m.from + ")"
}
