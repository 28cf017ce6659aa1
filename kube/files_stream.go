// Big snapshot files as a stream: the file is read through a window, never whole, and each item
// of its List is cut out, decoded on a worker and dropped, so memory holds the objects and a
// few items' bytes. A stream only ever loads a file that the whole-file path would load to the
// same objects; anything else (an error anywhere, a shape the stream does not take) makes it
// step back, keeping nothing, and the file is read again whole, whose path says what is wrong
// and where (file:line:column), as it always has.

package kube

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"io/fs"
	goruntime "runtime"
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// minStreamSize is where streaming starts: smaller files are read whole, which every test of
// the decoders covers.
const minStreamSize = 4 << 20

// streamWindow is the first size of the window a file is read through; it grows to hold an
// item larger than it.
const streamWindow = 1 << 20

// loadStreamed loads a file as a stream when it is big enough and of a shape that streams,
// and says whether it did (done); not done, the caller reads the file whole.
func (l *loader) loadStreamed(fsys fs.FS, p, file string) (done bool, err error) {
	minSize := int64(minStreamSize)
	if l.streamMin != 0 {
		minSize = l.streamMin
	}
	if minSize < 0 {
		return false, nil
	}
	f, fi, err := openSnapshotFile(fsys, p, file)
	if err != nil {
		return true, err
	}
	defer f.Close()
	if fi.Size() < minSize {
		return false, nil
	}
	s := &byteStream{r: f, buf: make([]byte, cmp.Or(l.streamWindow, streamWindow))}
	switch s.start() {
	case '{':
		err = l.streamJSON(s)
	case '[', 0: // a JSON list, an empty file: whole
		return false, nil
	default:
		err = l.streamYAML(s)
	}
	if errors.Is(err, errCutUnsafe) {
		return false, nil
	}
	return true, err
}

// byteStream is a file read through a window: buf[:n] are the file's bytes from base on.
type byteStream struct {
	r    io.Reader
	buf  []byte
	n    int
	base int64
	eof  bool
}

// start reads the first window, steps over a byte order mark, and says the first byte that is
// not white space (0 for none).
func (s *byteStream) start() byte {
	for s.n < len(utf8BOM) && !s.eof {
		if s.more(0) != nil {
			return 0
		}
	}
	if bytes.HasPrefix(s.buf[:s.n], utf8BOM) {
		s.n = copy(s.buf, s.buf[len(utf8BOM):s.n])
		s.base = int64(len(utf8BOM))
	}
	for scanned := 0; ; {
		for ; scanned < s.n; scanned++ {
			switch c := s.buf[scanned]; c {
			case ' ', '\t', '\r', '\n':
			default:
				return c
			}
		}
		if s.eof || s.more(0) != nil {
			return 0
		}
	}
}

// more drops the bytes before keep, and reads at least one more byte or to the end of the file
// (eof), growing the window if it is full. Past maxFileSize the stream stops: the whole path
// says the file is too large.
func (s *byteStream) more(keep int) error {
	s.n = copy(s.buf, s.buf[keep:s.n])
	s.base += int64(keep)
	if s.eof {
		return nil
	}
	if s.n == len(s.buf) {
		s.buf = append(s.buf, make([]byte, len(s.buf))...)
	}
	for {
		m, err := s.r.Read(s.buf[s.n:])
		s.n += m
		switch {
		case s.base+int64(s.n) > maxFileSize:
			return errCutUnsafe
		case err == io.EOF:
			s.eof = true
			return nil
		case err != nil:
			return err
		case m > 0:
			return nil
		}
	}
}

// jsonStream walks a JSON file's top-level object through the window.
type jsonStream struct {
	*byteStream
	w jsonWalker
	// stop says the load was canceled or an item could not be decoded: the cut ends.
	stop func() bool
}

// step runs op on the walker from its position, and again on a larger window whenever op ran
// into the window's end before the file's: what op reads is then whole, and so is the byte
// after it (a number's end is known).
func (s *jsonStream) step(op func(w *jsonWalker) error) error {
	for {
		s.w.data = s.buf[:s.n]
		start := s.w.pos
		err := op(&s.w)
		if err == nil && (s.w.pos < s.n || s.eof) {
			return nil
		}
		if err != nil && (s.eof || !errors.Is(err, io.ErrUnexpectedEOF)) {
			return err
		}
		if err := s.more(start); err != nil {
			return err
		}
		s.w.pos = 0 // at start, which the window now begins with
	}
}

// peek is the next byte after white space; 0 at the end of the file.
func (s *jsonStream) peek() (c byte, err error) {
	err = s.step(func(w *jsonWalker) error {
		w.skipSpace()
		if w.pos == len(w.data) && !s.eof {
			return io.ErrUnexpectedEOF
		}
		c = w.peek()
		return nil
	})
	return c, err
}

func (s *jsonStream) expect(bs ...byte) (c byte, err error) {
	err = s.step(func(w *jsonWalker) error {
		c, err = w.expect("", bs...)
		return err
	})
	return c, err
}

// span reads one value (after white space) with read and returns its bytes, valid until the
// window moves.
func (s *jsonStream) span(read func(w *jsonWalker) error) (raw []byte, err error) {
	err = s.step(func(w *jsonWalker) error {
		w.skipSpace()
		start := w.pos
		err := read(w)
		raw = w.data[start:w.pos]
		return err
	})
	return raw, err
}

// streamedItem is an item of the streamed List on its way: its bytes until it is decoded, then
// its object alone (the rest of its planning would be most of the memory a small object takes).
type streamedItem struct {
	raw  []byte
	line int // YAML: the line it starts on
	it   *item
	gk   schema.GroupKind
	obj  runtime.Object
	// pending: it names no apiVersion or kind, which the List (whose kind kubectl writes after
	// the items) gives it; it is planned and decoded once the List is read.
	pending bool
	// eligible: JSON the fast scanner found eligible (decodedEligible), not to be scanned again.
	eligible bool
}

// streamJSON loads a file that is one object whose items are objects: the List's own members
// are written into a skeleton (the object with its items left out), which the whole-file walker
// reads once the stream ends; the items go to the decoders as they are cut.
func (l *loader) streamJSON(bs *byteStream) error {
	items, dec := l.streamDecoders(l.decodeStreamed)
	s := &jsonStream{byteStream: bs, stop: func() bool { return l.ctx.Err() != nil || dec.unsafe.Load() }}
	skeleton, err := s.skeleton(func(raw []byte) {
		si := &streamedItem{raw: itemBuffer(raw)}
		*items = append(*items, si)
		dec.add(si)
	})
	if err := dec.wait(); err != nil {
		return err
	}
	if err != nil {
		return errCutUnsafe
	}
	return l.keepStreamed(skeleton, *items)
}

// errStreamStopped ends a cut that a decoder or the context stopped; wait says why.
var errStreamStopped = errors.New("stopped")

// skeleton walks the top-level object, hands each item of its items to item, and returns the
// object with its items left out (`"items":[]`). Any other shape is errCutUnsafe.
func (s *jsonStream) skeleton(item func([]byte)) ([]byte, error) {
	if _, err := s.expect('{'); err != nil {
		return nil, errCutUnsafe
	}
	skel := []byte{'{'}
	sawItems := false
	for first := true; ; first = false {
		c, err := s.peek()
		if err != nil || (c != '"' && !(first && c == '}')) {
			return nil, errCutUnsafe
		}
		if c == '}' {
			break
		}
		key, err := s.span(func(w *jsonWalker) error { return w.skipString() })
		if err != nil {
			return nil, errCutUnsafe
		}
		isItems := string(key) == `"items"` // before the window moves
		skel = append(append(skel, key...), ':')
		if _, err := s.expect(':'); err != nil {
			return nil, errCutUnsafe
		}
		if c, err := s.peek(); err == nil && c == '[' && isItems && !sawItems {
			sawItems = true
			if err := s.items(item); err != nil {
				return nil, errCutUnsafe
			}
			skel = append(skel, "[]"...)
		} else {
			v, err := s.span(func(w *jsonWalker) error { return w.skipValue() })
			if err != nil {
				return nil, errCutUnsafe
			}
			skel = append(skel, v...)
		}
		c, err = s.expect(',', '}')
		if err != nil {
			return nil, errCutUnsafe
		}
		if c == '}' {
			break
		}
		skel = append(skel, ',')
	}
	if c, err := s.peek(); err != nil || c != 0 || !sawItems { // one document, a list
		return nil, errCutUnsafe
	}
	return append(skel, '}'), nil
}

// items cuts the elements of a list, each an object, and hands each to item.
func (s *jsonStream) items(item func([]byte)) error {
	if _, err := s.expect('['); err != nil {
		return errCutUnsafe
	}
	if c, err := s.peek(); err != nil || c == ']' {
		return errCutUnsafe // none: the whole path says what an empty list means
	}
	for n := 1; ; n++ {
		if n%256 == 0 && s.stop() {
			return errStreamStopped
		}
		if c, err := s.peek(); err != nil || c != '{' {
			return errCutUnsafe
		}
		raw, err := s.span(func(w *jsonWalker) error { return w.skipNested() })
		if err != nil {
			return errCutUnsafe
		}
		item(raw)
		c, err := s.expect(',', ']')
		if err != nil {
			return errCutUnsafe
		}
		if c == ']' {
			return nil
		}
	}
}

// itemBuffers are items' bytes, given back once decoded: the decoders copy what they keep.
var itemBuffers = sync.Pool{New: func() any { return new([]byte) }}

func itemBuffer(raw []byte) []byte {
	b := itemBuffers.Get().(*[]byte)
	return append((*b)[:0], raw...)
}

func releaseItemBuffer(raw []byte) {
	b := raw[:0]
	itemBuffers.Put(&b)
}

// streamDecoder decodes streamed items on every CPU as the stream hands them over; the first
// item that the stream cannot take stops it.
type streamDecoder struct {
	l       *loader
	decode  func(*streamedItem) bool
	ch      chan *streamedItem
	wg      sync.WaitGroup
	unsafe  atomic.Bool
	started bool
}

func (l *loader) streamDecoders(decode func(*streamedItem) bool) (*[]*streamedItem, *streamDecoder) {
	return new([]*streamedItem), &streamDecoder{l: l, decode: decode, ch: make(chan *streamedItem, 256)}
}

func (d *streamDecoder) add(si *streamedItem) {
	if !d.started {
		d.started = true
		for range goruntime.GOMAXPROCS(0) {
			d.wg.Go(func() {
				for si := range d.ch {
					if !d.unsafe.Load() && !d.decode(si) {
						d.unsafe.Store(true)
					}
				}
			})
		}
	}
	d.ch <- si
}

// wait returns once every item handed over is decoded: errCutUnsafe if one could not be, the
// context's error if the load was canceled.
func (d *streamDecoder) wait() error {
	close(d.ch)
	d.wg.Wait()
	if err := d.l.ctx.Err(); err != nil {
		return fmt.Errorf("loading %s: %w", d.l.file, err)
	}
	if d.unsafe.Load() {
		return errCutUnsafe
	}
	return nil
}

// decodeStreamed walks an item as the whole-file walker does and decodes it if it names its
// apiVersion and kind (an item that does is planned alike in any list); ok is false for
// anything the whole path would report, or that the stream does not take (a List in the List).
func (l *loader) decodeStreamed(si *streamedItem) (ok bool) {
	if l.decodedEligible(si) {
		return true
	}
	w := &jsonWalker{data: si.raw}
	d, err := w.object(1)
	if w.skipSpace(); err != nil || w.pos != len(w.data) {
		return false
	}
	d.eligible = si.eligible
	if d.apiVersion == "" || d.kind == "" {
		si.pending = true // its bytes are kept until the List's kind is known
		return true
	}
	si.it = l.plan(d, anyList)
	return l.decodedAlone(si)
}

// decodedEligible decodes an item the fast scanner finds eligible and whose apiVersion and
// kind it read as plain strings (most items), without the walker's pass over it; false leaves
// the item to decodeStreamed's usual way, which words any error.
func (l *loader) decodedEligible(si *streamedItem) bool {
	if l.referenceDecode {
		return false
	}
	s := fastScanners.Get().(*fastScanner)
	eligible, top := s.eligibleTop(si.raw)
	fastScanners.Put(s)
	si.eligible = eligible // the usual way need not scan it again
	if !eligible || top.other || len(top.apiVersion) == 0 || len(top.kind) == 0 {
		return false
	}
	d := &doc{apiVersion: string(top.apiVersion), kind: string(top.kind), raw: si.raw, eligible: true}
	si.it = l.plan(d, anyList)
	if l.decodedAlone(si) {
		return true
	}
	si.it = nil
	return false
}

// decodedAlone decodes a planned item; false if it is a list, a header or could not be
// decoded.
func (l *loader) decodedAlone(si *streamedItem) bool {
	it := si.it
	if it.err != nil || it.list || isHeader(it.gvk.GroupKind()) {
		return false
	}
	l.decodeItem(it)
	return si.decoded()
}

// decoded keeps an item's object alone, if it has one, and lets go of the rest.
func (si *streamedItem) decoded() bool {
	it := si.it
	if it.err != nil || it.list || it.obj == nil || isHeader(it.gvk.GroupKind()) {
		return false
	}
	si.gk, si.obj, si.it, si.pending = it.gvk.GroupKind(), it.obj, nil, false
	if si.raw != nil {
		releaseItemBuffer(si.raw)
		si.raw = nil
	}
	return true
}

// keepStreamedItems keeps the decoded objects in file order, as keep does.
func (l *loader) keepStreamedItems(items []*streamedItem) error {
	for _, si := range items {
		if l.objs++; l.objs%1024 == 0 && l.ctx.Err() != nil {
			return fmt.Errorf("loading %s: %w", l.file, l.ctx.Err())
		}
		l.src.add(si.gk, si.obj)
	}
	return nil
}

// keepStreamed reads the List's skeleton as the whole path reads the file's one document,
// decodes the items that waited for its kind, and keeps every item in file order.
func (l *loader) keepStreamed(skeleton []byte, items []*streamedItem) error {
	l.data = skeleton // what checkUnchecked validates
	defer func() { l.data = nil }()
	w := &jsonWalker{data: skeleton}
	d, err := w.object(0)
	if err != nil {
		return errCutUnsafe
	}
	top := l.plan(d, nil)
	if top.err != nil || !top.list || l.checkUnchecked(d) != nil {
		return errCutUnsafe
	}
	list := &doc{apiVersion: top.apiVersion, kind: top.kind, versionFrom: d.versionFrom}
	var pending []*streamedItem
	for _, si := range items {
		if si.pending {
			iw := &jsonWalker{data: si.raw}
			id, _ := iw.object(1) // walked without error before
			id.eligible = si.eligible
			si.it = l.plan(id, list)
			pending = append(pending, si)
		}
	}
	if !l.decodeAll(pending, l.decodedAlone) {
		return errCutUnsafe
	}
	// Nothing is kept before this point: what follows cannot fail but for cancellation.
	l.docs++
	l.listDoc(d, top.apiVersion, top.kind)
	return l.keepStreamedItems(items)
}

// streamYAML loads a block-style List (what `kubectl get -A -o yaml` writes) line by line, by
// the cutter's rules (yamlLineCutter): each item's lines go to the decoders as soon as the next
// item starts, the root mapping's lines into the skeleton, read once the stream ends.
func (l *loader) streamYAML(bs *byteStream) error {
	items, dec := l.streamDecoders(l.decodeStreamedYAML)
	var lc yamlLineCutter
	var skel, cur []byte
	curLine, itemLines := 0, 0
	emit := func() {
		if cur != nil {
			si := &streamedItem{raw: cur, line: curLine}
			*items = append(*items, si)
			dec.add(si)
			cur = nil
		}
	}
	err := bs.lines(func(text []byte) bool {
		switch lc.next(text) {
		case lineUnsafe:
			return false
		case lineRoot, lineItemsKey:
			skel = append(skel, text...)
		case lineBlank:
			switch {
			case lc.itemsLine == 0 || lc.itemsEnded:
				skel = append(skel, text...)
			case lc.indent == 0: // between `items:` and the first item: a blank line there
				skel = append(skel, '\n')
			default:
				cur = append(cur, text...)
				itemLines++
			}
		case lineItem:
			emit()
			cur, curLine = append((*itemBuffers.Get().(*[]byte))[:0], text...), lc.line
			itemLines++
		case lineInItem:
			cur = append(cur, text...)
			itemLines++
		case lineItemsEnd:
			emit()
			skel = append(skel, text...)
		}
		return !(lc.line%1024 == 0 && (l.ctx.Err() != nil || dec.unsafe.Load()))
	})
	emit()
	if err := dec.wait(); err != nil {
		return err
	}
	if err != nil || lc.itemsLine == 0 || len(*items) < minCutItems {
		return errCutUnsafe
	}
	c := &yamlCut{skeleton: skel, itemsLine: lc.itemsLine, removed: itemLines}
	d, top, err := l.cutSkeleton(c)
	if err != nil {
		return err
	}
	list := &doc{apiVersion: top.apiVersion, kind: top.kind, node: d.node, versionFrom: d.versionFrom}
	var pending []*streamedItem
	for _, si := range *items {
		if si.pending {
			pending = append(pending, si)
		}
	}
	if !l.decodeAll(pending, func(si *streamedItem) bool { return l.keptYAMLItem(si, list) }) {
		return errCutUnsafe
	}
	// Nothing is kept before this point: what follows cannot fail but for cancellation.
	l.docs++
	l.listDoc(d, top.apiVersion, top.kind)
	return l.keepStreamedItems(*items)
}

// decodeStreamedYAML parses and decodes a streamed YAML item that names its apiVersion and
// kind, and leaves the others pending.
func (l *loader) decodeStreamedYAML(si *streamedItem) bool {
	return l.keptYAMLItem(si, nil)
}

// keptYAMLItem parses and decodes an item in its list (nil: not read yet) and says whether it
// can be kept as it is: not a List, not a header, decoded.
func (l *loader) keptYAMLItem(si *streamedItem, list *doc) bool {
	it, ok := l.cutItem(si.raw, si.line, list)
	switch {
	case !ok:
		return false
	case it == nil:
		si.pending = true
		return true
	}
	si.it = it
	return si.decoded()
}

// decodeAll runs decode on every item on every CPU, and says whether each returned true.
func (l *loader) decodeAll(items []*streamedItem, decode func(*streamedItem) bool) bool {
	var bad atomic.Bool
	var next atomic.Int64
	var wg sync.WaitGroup
	for range min(goruntime.GOMAXPROCS(0), len(items)) {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < len(items) && !bad.Load(); i = int(next.Add(1)) - 1 {
				if !decode(items[i]) {
					bad.Store(true)
				}
			}
		})
	}
	wg.Wait()
	return !bad.Load()
}

// lines hands each line of the rest of the stream (with its line break) to line until it
// returns false (then errCutUnsafe).
func (s *byteStream) lines(line func([]byte) bool) error {
	pos := 0
	for {
		i := bytes.IndexByte(s.buf[pos:s.n], '\n')
		if i < 0 && !s.eof {
			if err := s.more(pos); err != nil {
				return err
			}
			pos = 0
			continue
		}
		end := s.n
		if i >= 0 {
			end = pos + i + 1
		}
		if end == pos { // the end of the file
			return nil
		}
		if !line(s.buf[pos:end]) {
			return errCutUnsafe
		}
		pos = end
	}
}
