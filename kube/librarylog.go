// What client-go would write to the terminal on its own: klog's lines ("unable to cancel
// request", "Unhandled Error"...) and the API server's warnings. Written straight to stderr
// they land over the cockpit's screen; kockpit collects them instead and says, as its own
// text, how many there were and the first few.

package kube

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/go-logr/logr"
	"k8s.io/client-go/rest"
	"k8s.io/klog/v2"
)

// LibraryLog holds the messages client-go and klog emitted during the process.
type LibraryLog struct {
	mu    sync.Mutex
	count int
	kept  []string // the first keepMessages, in order: kept[i] is message i
}

// keepMessages is how many messages a LibraryLog keeps whole (memory stays bounded whatever a
// library logs); the rest are counted.
const keepMessages = 1000

var (
	libraryLog  = &LibraryLog{}
	captureOnce sync.Once
)

// CaptureLibraryLog routes klog (every severity, structured or not) and client-go's handler of
// the API server's Warning headers to the process's LibraryLog, and returns it. Calling it
// again returns the same log.
func CaptureLibraryLog() *LibraryLog {
	captureOnce.Do(func() {
		klog.SetLogger(logr.New(&librarySink{l: libraryLog}))
		// Without a logger klog would write files or stderr; with one it calls only the
		// logger. Both are set so that nothing reaches the terminal either way.
		klog.LogToStderr(false)
		klog.SetOutput(libraryLog)
		rest.SetDefaultWarningHandlerWithContext(libraryLog)
	})
	return libraryLog
}

func (l *LibraryLog) add(msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.count++
	if len(l.kept) < keepMessages {
		l.kept = append(l.kept, msg)
	}
}

// Write takes klog's formatted lines, should klog write rather than call its logger.
func (l *LibraryLog) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			l.add(line)
		}
	}
	return len(p), nil
}

// HandleWarningHeaderWithContext takes a Warning header of the API server's answers.
func (l *LibraryLog) HandleWarningHeaderWithContext(_ context.Context, code int, _ string, message string) {
	if code == 299 && message != "" {
		l.add("the API server warned: " + message)
	}
}

// Mark is where the log is now, for Since.
func (l *LibraryLog) Mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.count
}

// Since is how many messages came after mark, and the first few of them that were kept.
func (l *LibraryLog) Since(mark int) (count int, first []string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if mark < len(l.kept) {
		first = append(first, l.kept[mark:]...)
	}
	return l.count - mark, first
}

// librarySink is the logr sink klog calls: every message becomes one line of the log.
type librarySink struct {
	l      *LibraryLog
	name   string
	values []any
}

func (s *librarySink) Init(logr.RuntimeInfo) {}

// Enabled keeps klog's own verbosity: only what client-go logs at level 0 (warnings, errors,
// notices) is collected, not its debug chatter.
func (s *librarySink) Enabled(level int) bool { return level <= 0 }

func (s *librarySink) Info(_ int, msg string, kv ...any) { s.l.add(s.line(msg, nil, kv)) }

func (s *librarySink) Error(err error, msg string, kv ...any) { s.l.add(s.line(msg, err, kv)) }

func (s *librarySink) WithValues(kv ...any) logr.LogSink {
	c := *s
	c.values = append(append([]any(nil), s.values...), kv...)
	return &c
}

func (s *librarySink) WithName(name string) logr.LogSink {
	c := *s
	if c.name != "" {
		name = c.name + "/" + name
	}
	c.name = name
	return &c
}

// line formats a message as klog's text would, on one line: name, message, error, key=value.
func (s *librarySink) line(msg string, err error, kv []any) string {
	var b strings.Builder
	if s.name != "" {
		b.WriteString(s.name + ": ")
	}
	b.WriteString(strings.TrimSpace(msg))
	if err != nil {
		b.WriteString(": " + err.Error())
	}
	all := append(append([]any(nil), s.values...), kv...)
	for i := 0; i+1 < len(all); i += 2 {
		fmt.Fprintf(&b, " %v=%v", all[i], all[i+1])
	}
	return b.String()
}
