package host

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// A node's files unpacked from a scenario cannot carry everything the node had: only root may
// give a file another owner, and the immutable and append-only flags need root, a file system
// that has them, and would keep the copy from ever being removed. What the unpacking could not
// apply it writes to a sidecar file beside the tree, and a Root reading that tree shows those
// facts as if the file system held them, so the checks judge the same facts on the copy as on
// the node. Only whoever unpacked the tree names its sidecar (checks.Host.Recorded): a sidecar is
// never looked for under a root, so nobody on a real node can plant one to hide a flag.

// RecordedVersion is the sidecar format's version; a sidecar of another is refused.
const RecordedVersion = 1

// MaxRecordedBytes bounds a sidecar: a scenario's node lists a few dozen files.
const MaxRecordedBytes = 4 << 20

// Recorded is the sidecar: what the unpacking could not apply, per file.
type Recorded struct {
	Version int `json:"version"`
	// AttrsComplete says the files' inode flags are all known: a file not listed has none. An
	// unpacked scenario describes its whole node, so its flags are known even where the file
	// system here keeps none.
	AttrsComplete bool `json:"attrsComplete"`
	// Files are keyed by node path ("/var/lib/kubelet/config.yaml").
	Files map[string]RecordedFile `json:"files,omitempty"`
}

// RecordedFile is what one file has on the node and not in the copy.
type RecordedFile struct {
	// Uid and Gid are the owner the copy could not be given (nil: the copy has the right one).
	Uid *uint32 `json:"uid,omitempty"`
	Gid *uint32 `json:"gid,omitempty"`
	// Immutable and AppendOnly are the inode flags (chattr +i, +a).
	Immutable  bool `json:"immutable,omitempty"`
	AppendOnly bool `json:"appendOnly,omitempty"`
}

// WriteRecorded writes the sidecar to file (which must not exist yet).
func WriteRecorded(file string, rec *Recorded) error {
	rec.Version = RecordedVersion
	data, err := json.MarshalIndent(rec, "", "  ")
	if err != nil {
		return err
	}
	f, err := os.OpenFile(file, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.Write(append(data, '\n')); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ReadRecorded reads a sidecar, at most MaxRecordedBytes of it.
func ReadRecorded(file string) (*Recorded, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, fmt.Errorf("reading the unpacked node's recorded facts: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxRecordedBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the unpacked node's recorded facts: %w", err)
	}
	if len(data) > MaxRecordedBytes {
		return nil, fmt.Errorf("%s: larger than %d MiB, kockpit did not read it", file, MaxRecordedBytes>>20)
	}
	return ParseRecorded(file, data)
}

// ParseRecorded decodes a sidecar: unknown fields, other versions and paths that are not clean
// absolute node paths are refused.
func ParseRecorded(file string, data []byte) (*Recorded, error) {
	dec := json.NewDecoder(strings.NewReader(string(data)))
	dec.DisallowUnknownFields()
	var rec Recorded
	if err := dec.Decode(&rec); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if dec.More() {
		return nil, fmt.Errorf("%s: more than one JSON value", file)
	}
	if rec.Version != RecordedVersion {
		return nil, fmt.Errorf("%s: version %d, kockpit reads version %d (unpack the scenario again)", file, rec.Version, RecordedVersion)
	}
	for p := range rec.Files {
		if p != clean(p) {
			return nil, fmt.Errorf("%s: %q is not a clean absolute node path", file, p)
		}
	}
	return &rec, nil
}

// ErrRecordedSet is returned by UseRecorded when the root already shows recorded facts.
var ErrRecordedSet = errors.New("the root already shows recorded facts")

// UseRecorded makes the root show the sidecar's facts over what its file system holds, for a
// tree unpacked from a scenario. Call it once, before reading.
func (r *Root) UseRecorded(rec *Recorded) error {
	if r.recorded != nil {
		return ErrRecordedSet
	}
	r.recorded = rec
	return nil
}

// RecordsAttributes reports whether the root's inode flags come from a sidecar that knows them
// all: an unpacked tree whose flags are the node's, not this machine's.
func (r *Root) RecordsAttributes() bool { return r.recorded != nil && r.recorded.AttrsComplete }

// withRecorded gives e, found at rel (relative to the root, free of links), the facts the
// sidecar records for it.
func (r *Root) withRecorded(rel string, e Entry) Entry {
	if r.recorded == nil {
		return e
	}
	f := r.recorded.Files[path.Clean("/"+rel)]
	if f.Uid != nil {
		e.Uid = *f.Uid
	}
	if f.Gid != nil {
		e.Gid = *f.Gid
	}
	if r.recorded.AttrsComplete {
		e.Attrs = Attrs{Known: true, Immutable: f.Immutable, AppendOnly: f.AppendOnly}
	}
	return e
}
