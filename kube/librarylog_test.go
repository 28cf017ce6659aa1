package kube

import (
	"context"
	"errors"
	"io"
	"os"
	"strings"
	"testing"

	"k8s.io/klog/v2"
)

// TestLibraryLogHoldsWhatKlogWouldPrint: once captured, klog writes nothing to stderr, whatever
// the severity or the API; what it said is counted and kept, debug chatter left out.
func TestLibraryLogHoldsWhatKlogWouldPrint(t *testing.T) {
	l := CaptureLibraryLog()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := os.Stderr
	os.Stderr = w
	mark := l.Mark()
	klog.Warning("unable to cancel request for kube.roundTripFunc")
	klog.ErrorS(errors.New("boom"), "Unhandled Error", "logger", "UnhandledError")
	klog.FromContext(context.Background()).Info("Warning: unable to cancel request", "roundTripperType", "x")
	klog.V(6).Info("Config loaded from file")
	klog.FromContext(context.Background()).V(4).Info("Error in request")
	libraryLog.HandleWarningHeaderWithContext(context.Background(), 299, "", "v1 Endpoints is deprecated")
	klog.Flush()
	os.Stderr = stderr
	w.Close()
	printed, _ := io.ReadAll(r)
	if len(printed) > 0 {
		t.Errorf("klog wrote to stderr: %q", printed)
	}
	n, kept := l.Since(mark)
	all := strings.Join(kept, "\n")
	if n != 4 || len(kept) != 4 {
		t.Errorf("%d messages, %d kept, want 4:\n%s", n, len(kept), all)
	}
	for _, want := range []string{"unable to cancel request for kube.roundTripFunc", "Unhandled Error: boom logger=UnhandledError",
		"roundTripperType=x", "the API server warned: v1 Endpoints is deprecated"} {
		if !strings.Contains(all, want) {
			t.Errorf("the log lacks %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "Config loaded") || strings.Contains(all, "Error in request") {
		t.Errorf("debug messages were kept:\n%s", all)
	}
}
