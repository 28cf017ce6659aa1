package host

import (
	"context"
	"path"
	"strings"
	"sync/atomic"
	"time"
)

// WalkOptions bound and steer a walk.
type WalkOptions struct {
	// MaxDepth limits how deep the walk goes: 1 visits the directory's entries only; 0 means
	// no limit but maxWalkDepth.
	MaxDepth int
	// SameDevice keeps the walk on the file system it starts on, as `find -xdev` does.
	SameDevice bool
	// Descend, when set, is asked for each directory below the start whether to enter it.
	Descend func(dir Entry) bool
	// MaxEntries caps the entries visited; 0 means Limits.MaxWalkEntries.
	MaxEntries int
	// MaxTime bounds the walk's time, fn's included; 0 means Limits.MaxDirTime.
	MaxTime time.Duration
}

// maxWalkDepth bounds the open directories of one walk.
const maxWalkDepth = 48

// WalkResult says how complete a walk was.
type WalkResult struct {
	Entries int
	// Truncated is true when the walk stopped at its entry cap or its time (TimedOut), or a
	// directory held more than Limits.MaxDirEntries entries.
	Truncated bool
	// TimedOut is true when the walk stopped at WalkOptions.MaxTime: the tree was too large or
	// too slow to read fully in that time.
	TimedOut bool
	// Unreadable lists directories the walk could not enter (at most maxWalkErrors).
	Unreadable []error
}

const maxWalkErrors = 20

// walkBatch is how many entries the walker hands over at once.
const walkBatch = 256

// Walk visits every entry under the directory the node path p names (not p itself), without
// following links, calling fn with each in no particular order. It stops when fn returns an
// error (returned as is), at the caps, at its time (WalkOptions.MaxTime: the result says
// TimedOut, with no error), when ctx ends, or when the file system makes no progress for
// Limits.Stall (a *StallError naming the directory it was reading).
func (r *Root) Walk(ctx context.Context, p string, opts WalkOptions, fn func(Entry) error) (WalkResult, error) {
	if opts.MaxEntries <= 0 {
		opts.MaxEntries = r.limits.MaxWalkEntries
	}
	if opts.MaxDepth <= 0 || opts.MaxDepth > maxWalkDepth {
		opts.MaxDepth = maxWalkDepth
	}
	if opts.MaxTime <= 0 {
		opts.MaxTime = r.limits.MaxDirTime
	}
	deadline := time.Now().Add(opts.MaxTime)
	timeUp := time.NewTimer(opts.MaxTime)
	defer timeUp.Stop()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	w := &walker{root: r, opts: opts, ctx: ctx, out: make(chan []Entry, 4)}
	w.current.Store(clean(p))
	w.start = clean(p)
	go w.run(clean(p))

	stall := time.NewTimer(r.limits.Stall)
	defer stall.Stop()
	for {
		select {
		case batch, ok := <-w.out:
			if !ok {
				return w.result, w.err
			}
			for i, e := range batch {
				if i%64 == 63 && time.Now().After(deadline) {
					return w.timedOut(), nil
				}
				if err := fn(e); err != nil {
					return w.partial(), err
				}
			}
			stall.Reset(r.limits.Stall)
		case <-timeUp.C:
			return w.timedOut(), nil
		case <-stall.C:
			return w.partial(), &StallError{Path: r.Display(w.current.Load().(string)), After: r.limits.Stall}
		case <-ctx.Done():
			return w.partial(), ctx.Err()
		}
	}
}

// walker reads directories in its own goroutine and sends entries in batches, so the caller
// can give up on a file system that stopped answering.
type walker struct {
	root    *Root
	opts    WalkOptions
	ctx     context.Context
	out     chan []Entry
	current atomic.Value // string: the directory being read
	batch   []Entry
	seen    int
	// start and startRel are the walk's top as the caller named it and as found under the root:
	// the entries below it are named from the one and found from the other.
	start, startRel string
	// result and err are written by the walker before it closes out; the caller reads them
	// after out is closed, or reads partial's counts without them.
	result  WalkResult
	err     error
	visited atomic.Int64
}

func (w *walker) run(start string) {
	defer close(w.out)
	w.err = w.walkRoot(start)
	if w.err == nil {
		w.flush()
	}
	w.result.Entries = w.seen
}

// partial is the result of a walk the caller left: only the count is safe to read.
func (w *walker) partial() WalkResult {
	return WalkResult{Entries: int(w.visited.Load()), Truncated: true}
}

// timedOut is the result of a walk that ran out of time.
func (w *walker) timedOut() WalkResult {
	res := w.partial()
	res.TimedOut = true
	return res
}

// emit queues one entry; false means stop walking (cap reached or the caller left).
func (w *walker) emit(e Entry) bool {
	if w.seen == w.opts.MaxEntries {
		w.result.Truncated = true
		return false
	}
	w.seen++
	if w.root.recorded != nil {
		e = w.root.withRecorded(path.Join(w.startRel, strings.TrimPrefix(e.Path, w.start)), e)
	}
	w.batch = append(w.batch, e)
	if len(w.batch) == walkBatch {
		return w.flush()
	}
	return true
}

func (w *walker) flush() bool {
	if len(w.batch) == 0 {
		return w.ctx.Err() == nil
	}
	select {
	case w.out <- w.batch:
		w.visited.Add(int64(len(w.batch)))
		w.batch = make([]Entry, 0, walkBatch)
		return true
	case <-w.ctx.Done():
		return false
	}
}

func (w *walker) unreadable(err error) {
	if len(w.result.Unreadable) < maxWalkErrors {
		w.result.Unreadable = append(w.result.Unreadable, err)
	}
}
