package checks

import "time"

// SourceKind is what a run looks at.
type SourceKind string

// The kinds of source, as the JSON report names them.
const (
	// SourceLive is an API server.
	SourceLive SourceKind = "live"
	// SourceFiles is an offline snapshot: files (--snapshot) or the embedded demo.
	SourceFiles SourceKind = "files"
	// SourceHost is a node's files alone, no cluster (kockpit node).
	SourceHost SourceKind = "host"
	// SourceNone is no cluster at all: no kubeconfig was found.
	SourceNone SourceKind = "none"
)

// SourceKinds lists every kind of source.
var SourceKinds = []SourceKind{SourceLive, SourceFiles, SourceHost, SourceNone}

// Source says what a run looks at. The command line builds it once with the run's Env; the
// report writes it (its JSON form is part of the report's schema) and the cockpit's header and
// banner show it.
type Source struct {
	Kind    SourceKind `json:"kind"`
	Context string     `json:"context,omitempty"`
	// Server is the API server's host:port, without scheme, credentials or path.
	Server string `json:"server,omitempty"`
	// ServerVersion is the API server's version, when the run learned it.
	ServerVersion string `json:"serverVersion,omitempty"`
	// Path is the snapshot's file or directory for SourceFiles ("embedded demo cluster" for
	// the demo), the node's root for SourceHost.
	Path string `json:"path,omitempty"`
	// TakenAt is the moment an offline snapshot shows, when the files tell it; the checks'
	// clock (Env.Now) is set to it, so ages are judged as of the snapshot. TakenFrom says how
	// it is known.
	TakenAt   *time.Time `json:"takenAt,omitempty"`
	TakenFrom string     `json:"takenFrom,omitempty"`
	// User is the kubeconfig's user entry of the context in use. The report leaves it out (the
	// identity the server confirmed is api.access's finding); the cockpit's header shows it
	// until a result's Identity replaces it.
	User string `json:"-"`
}
