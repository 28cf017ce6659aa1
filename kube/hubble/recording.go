package hubble

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	flowpb "github.com/cilium/cilium/api/v1/flow"
	observerpb "github.com/cilium/cilium/api/v1/observer"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/kockpit/kockpit/internal/inputfile"
	"github.com/kockpit/kockpit/safetext"
)

// Caps of a recording: a line is one GetFlowsResponse (a flow is a few KiB; an HTTP flow with
// headers more), the file as large as a busy cluster's hour of flows, standard input less since
// it is held in memory.
const (
	MaxRecordingLine  = 1 << 20
	MaxRecordingFile  = 8 << 30
	MaxRecordingStdin = 512 << 20
)

const recordingWhat = "Hubble recording"

// recordingFix is what to do about a recording kockpit cannot read.
const recordingFix = "pass what `hubble observe -o jsonpb` writes: one JSON object per line"

// Recording is flows recorded by `hubble observe -o jsonpb`: one GetFlowsResponse per line.
// Each read streams the file again, so memory does not grow with it.
type Recording struct {
	path  string // as given, for messages
	data  []byte // standard input, held; nil for a file
	Lines int    // non-blank lines, counted when the recording was checked
	// embedded marks a recording kockpit carries (the demo's): it has no file to name.
	embedded bool
}

// decoder reads recordings: newer Cilium versions add fields, which are skipped.
var decoder = protojson.UnmarshalOptions{DiscardUnknown: true}

// OpenRecording checks a recording through, line by line, so a broken line is bad input before
// any check runs; "-" reads stdin (held in memory, within MaxRecordingStdin).
func OpenRecording(ctx context.Context, path string, stdin io.Reader) (*Recording, error) {
	r := &Recording{path: path}
	if path == "-" {
		data, err := inputfile.ReadAll(stdin, "standard input", -1, MaxRecordingStdin, recordingWhat)
		if err != nil {
			return nil, err
		}
		r.data = data
	} else if _, err := inputfile.Stat(path, false, MaxRecordingFile, recordingWhat); err != nil {
		return nil, err
	}
	err := r.each(ctx, func(line int, resp *observerpb.GetFlowsResponse) error {
		r.Lines++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if r.Lines == 0 {
		return nil, &InputError{Path: r.display(), Msg: "holds no flows: every line is blank", Fix: recordingFix}
	}
	return r, nil
}

// RecordingFromData checks a recording held in memory (an embedded scenario's); name is what
// messages call it.
func RecordingFromData(ctx context.Context, name string, data []byte) (*Recording, error) {
	r := &Recording{path: name, data: data, embedded: true}
	if err := r.each(ctx, func(int, *observerpb.GetFlowsResponse) error { r.Lines++; return nil }); err != nil {
		return nil, err
	}
	return r, nil
}

// InputError is a recording kockpit cannot read, at its line.
type InputError struct {
	Path string
	Line int
	Msg  string
	Fix  string
}

func (e *InputError) Error() string {
	where := e.Path
	if e.Line > 0 {
		where = fmt.Sprintf("%s:%d", e.Path, e.Line)
	}
	return safetext.Message(where+": "+e.Msg) + " (fix: " + e.Fix + ")"
}

func (r *Recording) display() string {
	if r.path == "-" && !r.embedded {
		return "standard input"
	}
	return r.path
}

// Describe says where the flows come from.
func (r *Recording) Describe() string {
	if r.embedded {
		return safetext.Message(r.path)
	}
	return "the recording " + safetext.Message(r.display())
}

// Live reports false: a recording is what a server said once.
func (r *Recording) Live() bool { return false }

// Status has nothing to say: a recording keeps flows, not the server's status.
func (r *Recording) Status(context.Context) (*Status, error) { return nil, ErrNoStatus }

// Flows reads the recording through and calls each for every flow the query selects. Lost
// events and node status lines widen the coverage.
func (r *Recording) Flows(ctx context.Context, q Query, each func(*flowpb.Flow) error) (Coverage, error) {
	var cov Coverage
	err := r.each(ctx, func(_ int, resp *observerpb.GetFlowsResponse) error {
		if f := cov.take(q, resp); f != nil {
			return each(f)
		}
		return nil
	})
	return cov, err
}

// each decodes every non-blank line in turn.
func (r *Recording) each(ctx context.Context, fn func(line int, resp *observerpb.GetFlowsResponse) error) error {
	var in io.Reader
	if r.data != nil {
		in = bytes.NewReader(r.data)
	} else {
		f, _, err := inputfile.Open(r.path, MaxRecordingFile, recordingWhat)
		if err != nil {
			return err
		}
		defer f.Close()
		in = f
	}
	br := bufio.NewReaderSize(in, 256<<10)
	for line := 1; ; line++ {
		if line%4096 == 0 && ctx.Err() != nil {
			return fmt.Errorf("reading %s: %w", safetext.Message(r.display()), ctx.Err())
		}
		text, err := readLine(br)
		if errors.Is(err, io.EOF) && len(text) == 0 {
			return nil
		}
		if errors.Is(err, errLineTooLong) {
			return &InputError{Path: r.display(), Line: line, Msg: fmt.Sprintf("a line longer than %s", inputfile.Size(MaxRecordingLine)), Fix: recordingFix}
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("reading %s: %w", safetext.Message(r.display()), err)
		}
		if len(bytes.TrimSpace(text)) == 0 {
			continue
		}
		var resp observerpb.GetFlowsResponse
		if uerr := decoder.Unmarshal(text, &resp); uerr != nil {
			return &InputError{Path: r.display(), Line: line, Msg: "not a flow: " + uerr.Error(), Fix: recordingFix}
		}
		if ferr := fn(line, &resp); ferr != nil {
			return ferr
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one line without its newline, refusing one past MaxRecordingLine.
func readLine(br *bufio.Reader) ([]byte, error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) > MaxRecordingLine+1 {
			return nil, errLineTooLong
		}
		buf = append(buf, chunk...)
		switch {
		case err == nil:
			return bytes.TrimSuffix(buf, []byte("\n")), nil
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		default:
			return buf, err
		}
	}
}

// File is the recording's file, for `hubble observe --input-file`; false for standard input and
// an embedded recording, which have none.
func (r *Recording) File() (string, bool) {
	if r.path == "-" || r.embedded {
		return "", false
	}
	return r.path, true
}
