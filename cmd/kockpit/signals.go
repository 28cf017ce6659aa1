package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// stopGrace is how long a run has, after SIGINT, SIGTERM or SIGHUP, to wind down by itself
// (cancel its requests, remove what it set up) before kockpit stops without it: whatever the
// run is blocked on, kockpit ends within a second of the signal.
const stopGrace = 500 * time.Millisecond

// exitProcess ends the process when a run does not wind down in time. Only the signal watch
// calls it, and tests that run kockpit in-process send it no signal.
var exitProcess = os.Exit

// signalExit is the exit code for a signal, as shells report a process it ended: 128 + its
// number (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
func signalExit(sig os.Signal) int {
	if s, ok := sig.(syscall.Signal); ok {
		return 128 + int(s)
	}
	return exitCanceled
}

// signalText says what a signal means to the person who sent it.
func signalText(sig os.Signal) string {
	switch sig {
	case os.Interrupt:
		return "interrupted (SIGINT)"
	case syscall.SIGTERM:
		return "terminated (SIGTERM)"
	case syscall.SIGHUP:
		return "the terminal hung up (SIGHUP)"
	}
	return "stopped by " + sig.String()
}

// runState is what the signal watch and the run share: the signal received, what to undo,
// and whether the run is over.
type runState struct {
	mu       sync.Mutex
	signal   os.Signal
	cleanups []func()
	// output is the temporary file of an -o being written: removed if kockpit stops.
	output string
	over   bool
}

// addCleanup registers something the run set up on this machine, to undo when it ends,
// however it ends.
func (o *options) addCleanup(f func()) {
	o.state.mu.Lock()
	defer o.state.mu.Unlock()
	o.state.cleanups = append(o.state.cleanups, f)
}

// cleanUp undoes what the run set up on this machine (the demo's node files, a partial -o
// file), once.
func (o *options) cleanUp() {
	o.state.mu.Lock()
	fs := o.state.cleanups
	o.state.cleanups = nil
	o.state.mu.Unlock()
	for _, f := range fs {
		f()
	}
}

// writingOutput records the temporary file an -o is being written to ("" when done).
func (o *options) writingOutput(tmp string) {
	o.state.mu.Lock()
	defer o.state.mu.Unlock()
	o.state.output = tmp
}

// signalled is the signal that stopped the run, nil if none.
func (o *options) signalled() os.Signal {
	o.state.mu.Lock()
	defer o.state.mu.Unlock()
	return o.state.signal
}

// watchSignals returns a context cancelled on the first SIGINT, SIGTERM or SIGHUP (the
// terminal closed), so that the run stops cleanly. A run that has not returned stopGrace
// later, or a second signal, ends the process: what the run set up is removed, a partial -o
// file too, and the exit code is 128 + the signal's number. stop ends the watch.
func (o *options) watchSignals(parent context.Context) (ctx context.Context, stop func()) {
	if parent == nil {
		parent = context.Background()
	}
	ctx, cancel := context.WithCancel(parent)
	ch := make(chan os.Signal, 2)
	signal.Notify(ch, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	done := make(chan struct{})
	go func() {
		var force <-chan time.Time
		for {
			select {
			case sig := <-ch:
				o.state.mu.Lock()
				first := o.state.signal == nil
				if first {
					o.state.signal = sig
				}
				o.state.mu.Unlock()
				if first {
					cancel()
					force = time.After(stopGrace)
					continue
				}
			case <-force:
			case <-done:
				return
			}
			o.abandon()
			return
		}
	}()
	return ctx, func() {
		o.state.mu.Lock()
		o.state.over = true
		o.state.mu.Unlock()
		signal.Stop(ch)
		close(done)
		cancel()
	}
}

// abandon ends the process without waiting for the run: it is blocked somewhere a cancelled
// context does not reach.
func (o *options) abandon() {
	o.state.mu.Lock()
	if o.state.over {
		o.state.mu.Unlock()
		return
	}
	sig, fs, tmp := o.state.signal, o.state.cleanups, o.state.output
	o.state.cleanups = nil
	o.state.mu.Unlock()
	if tmp != "" {
		os.Remove(tmp)
	}
	for _, f := range fs {
		f()
	}
	fmt.Fprintf(o.streams.ErrOut, "\nkockpit: %s; stopped without waiting for what was still running; nothing written\n", signalText(sig))
	exitProcess(signalExit(sig))
}
