// Package checks holds kockpit's health probes, their registry and the runner that streams
// their results.
package checks

import (
	"context"
	"time"

	"github.com/kockpit/kockpit/kube"
)

// Category groups checks the way a guest thinks about a cluster.
type Category string

// The categories, in the order the cockpit and the report show them.
const (
	CategoryAPI     Category = "API"
	CategoryDNS     Category = "DNS"
	CategoryNetwork Category = "Network"
	CategoryHubble  Category = "Hubble"
	CategoryRuntime Category = "Runtime"
	CategoryStorage Category = "Storage"
	// CategoryWorkloads is why workloads do not run: scheduling, nodes, controllers, quotas and
	// references that point nowhere.
	CategoryWorkloads Category = "Workloads"
	CategoryVersions  Category = "Versions"
	CategoryHost      Category = "Host"
)

// Categories lists every category in display order.
var Categories = []Category{
	CategoryAPI, CategoryDNS, CategoryNetwork, CategoryHubble,
	CategoryRuntime, CategoryStorage, CategoryWorkloads, CategoryVersions, CategoryHost,
}

// Check is one health probe.
type Check struct {
	// ID is stable across releases: scripts and --only/--skip rely on it (e.g. "api.reachable").
	ID       string
	Title    string
	Category Category
	// Learn tells a workshop audience what the check looks at, why that breaks clusters and
	// how to fix it.
	Learn string
	// Needs says what the check needs to run; the runner skips it with a reason when the
	// environment lacks it, so Run never has to.
	Needs Needs
	// Reads names the resources the check lists, so an access review can tell a restricted
	// user which checks their permissions degrade.
	Reads []kube.Resource
	// Reachability marks the check whose status says whether the API server answers at all
	// (OK or Warn: it does; Fail or Error: it does not). The cockpit shows its failure as a
	// banner and asks the server for its version only after it passed; so does the report.
	Reachability bool
	Run          func(ctx context.Context, env *Env) Result
}

// Needs are the inputs a check cannot run without.
type Needs uint8

const (
	// NeedsLiveAPI marks checks that talk to a live API server (not an offline snapshot).
	NeedsLiveAPI Needs = 1 << iota
	// NeedsObjects marks checks that read cluster objects, live or from a snapshot.
	NeedsObjects
	// NeedsKubeconfig marks checks that read the kubeconfig itself.
	NeedsKubeconfig
	// NeedsHost marks checks that read a node's files (under Env.Host.Root); they need no API.
	NeedsHost
	// NeedsFlows marks checks that read Hubble flows (Env.Flows): a relay or a recording.
	NeedsFlows
)

// Status is the outcome of a check. The order is by gravity, so the worst of several is the max.
type Status int

// Statuses, from the least to the most grave.
const (
	StatusSkip  Status = iota // could not apply: offline, forbidden, not installed, not applicable
	StatusOK                  // looked and found nothing wrong
	StatusWarn                // something deserves a look
	StatusFail                // something is broken
	StatusError               // the check itself could not run
)

var statusNames = [...]string{"skip", "ok", "warn", "fail", "error"}

func (s Status) String() string {
	if s < 0 || int(s) >= len(statusNames) {
		return "unknown"
	}
	return statusNames[s]
}

// statusMarks differ by shape as well as colour, so a view reads in monochrome and to the
// colour-blind.
var statusMarks = [...]string{"–", "✔", "▲", "✖", "!"}

// Mark is the status's one-character symbol, the same in every view: ✔ ok, ▲ warn, ✖ fail,
// ! error (the check could not run), – skipped.
func (s Status) Mark() string {
	if s < 0 || int(s) >= len(statusMarks) {
		return "?"
	}
	return statusMarks[s]
}

// MarshalText writes the status as its lower-case name, as the JSON report documents.
func (s Status) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// ParseStatus reads a status name as written by String.
func ParseStatus(name string) (Status, bool) {
	for i, n := range statusNames {
		if n == name {
			return Status(i), true
		}
	}
	return 0, false
}

// SkipReason says why a check did not apply.
type SkipReason string

// Skip reasons a reader can act on.
const (
	SkipOffline       SkipReason = "offline"
	SkipForbidden     SkipReason = "forbidden"
	SkipNotInstalled  SkipReason = "not installed"
	SkipNotApplicable SkipReason = "not applicable"
	SkipUnreachable   SkipReason = "unreachable"
	SkipNotCollected  SkipReason = "not in snapshot"
	SkipNoKubeconfig  SkipReason = "no kubeconfig"
)

// Result is what one run of one check found.
type Result struct {
	CheckID string
	Status  Status
	// Summary is one line: what the check concluded, or why it could not.
	Summary string
	// SkipReason is set when Status is StatusSkip.
	SkipReason SkipReason
	Findings   []Finding
	// Identity is who the API server says the run's credentials are, set by the check that
	// asked it (api.access); nil otherwise. The cockpit's header shows it.
	Identity *Identity
	Started  time.Time
	Duration time.Duration
}

// Identity is a user as the API server authenticated it: more precise than the kubeconfig's
// user entry (a token's real owner, a service account).
type Identity struct {
	User   string
	Groups []string
}

// Severity of a single finding; it uses the Status scale (Warn or Fail mostly, OK for
// informational evidence such as "who am I").
type Severity = Status

// Finding is one thing a check wants a human to look at.
type Finding struct {
	// ID names the finding within a run, stably: the same input gives the same ID, so that a
	// finding can point at another (ExplainsFindings) and a later run can be compared with this
	// one. The runner sets it (see FindingID for its shape); a check leaves it empty.
	ID string
	// Problem is a short kind of problem in lower-case words joined by hyphens
	// ("no-ready-endpoints"), the last part of the ID. A check may set it; when it does not, the
	// runner derives one from the message.
	Problem  string
	Severity Severity
	Message  string
	// Object or File says what the finding is about; at most one is set.
	Object *ObjectRef
	File   *FileRef
	// Evidence quotes what was seen: a flag, a field, a line, a measured latency.
	Evidence []string
	Hint     string
	// Commands show the same thing without kockpit (kubectl, or a shell command on a node), as
	// argument lists; String renders each as a shell line.
	Commands []Command
	// Cause marks a finding that explains others; Explains names the objects whose symptoms it
	// explains, so views can fold symptoms under their cause. ExplainsFindings names the
	// findings it explains by ID: a check may name findings of other checks; the runner adds
	// the findings of the same result that are about an object in Explains.
	Cause            bool
	Explains         []ObjectRef
	ExplainsFindings []string
	// ExplainedBy names the objects whose causes explain this finding, the other way round:
	// a drop names the policy that denied it. A cause any check finds about such an object is
	// the cause above it; with none, a finding marked Cause stands as its own.
	ExplainedBy []ObjectRef
	// Written marks a finding about what someone wrote or installed (a field of an object, a
	// line of a file, a taint, a version) rather than a state observed. Another finding's
	// Explains, which names objects, never makes it a symptom: a node left without pod network
	// does not explain the runtime installed on it. Only an ID in ExplainsFindings does, or the
	// finding's own ExplainedBy.
	Written bool
	// Flows is the group of Hubble flows the finding stands for, as data; nil for others.
	Flows *FlowGroup
	// Chain is the path of objects the finding sits on, in the order the cluster meets them (a
	// volume's claim, class, CSI driver, CSINode, attachment, pod): the cockpit's drill-in steps
	// along it. Empty when the finding is about one object alone.
	Chain []ObjectRef
}

// ObjectRef names a Kubernetes object.
type ObjectRef struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Namespace  string `json:"namespace,omitempty"`
	Name       string `json:"name"`
}

// FileRef names a file on a host (or the kubeconfig), with a position when it applies.
type FileRef struct {
	Path   string `json:"path"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
}

// Worst returns the gravest severity among the findings, or OK when there are none.
func Worst(findings []Finding) Status {
	worst := StatusOK
	for _, f := range findings {
		if f.Severity > worst {
			worst = f.Severity
		}
	}
	return worst
}

// Skipped builds the result of a check that did not apply.
func Skipped(reason SkipReason, summary string) Result {
	return Result{Status: StatusSkip, SkipReason: reason, Summary: summary}
}

// Errored builds the result of a check that could not run.
func Errored(summary string) Result {
	return Result{Status: StatusError, Summary: summary}
}
