package checks

import (
	"context"
	"errors"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
)

// Partial is what a check that lists several kinds could not read of them, and why: a check
// judges what it could read and names the rest, so a snapshot without one kind, or a user who
// may not list it, still gets an answer about the others. Kinds it could not read are never
// "missing": nothing about their objects is concluded.
type Partial struct {
	unread []Unread
}

// Unread is a kind that could not be read, and the error that says why.
type Unread struct {
	Resource kube.Resource
	Err      error
}

// ProblemKindsNotRead is the problem of the finding that names the kinds a check could not read:
// whoever concludes something from a result's silence must look for it first.
const ProblemKindsNotRead = "kinds-not-read"

// ListPartial lists r from the snapshot. A kind that cannot be read is recorded in p and gives
// no objects: not in the snapshot, forbidden, offline, or a LIST that failed (Note makes the
// last a Warn: the check could not look). A kind the server does not serve (a CRD not
// installed) has no objects. The error is the run's end (its context done), nothing else.
func ListPartial[T runtime.Object](ctx context.Context, s *kube.Snapshot, p *Partial, r kube.Resource) ([]T, error) {
	objs, err := kube.ListOf[T](ctx, s, r)
	switch {
	case err == nil:
		return objs, nil
	case ctx.Err() != nil:
		return nil, err
	case errors.Is(err, kube.ErrNotInstalled):
		return nil, nil
	}
	p.unread = append(p.unread, Unread{Resource: r, Err: err})
	return nil, nil
}

// unreadable is an error that says the kind could not be read, not that reading went wrong.
func unreadable(err error) bool {
	return errors.Is(err, kube.ErrNotCollected) || errors.Is(err, kube.ErrOffline) || IsForbidden(err)
}

// IsForbidden says whether err is a LIST refused to the run's user, live, or to the user who
// took the snapshot, as its header records.
func IsForbidden(err error) bool {
	return apierrors.IsForbidden(err) || forbiddenInSnapshot(err)
}

// Read says whether r was read (it is not among the unread).
func (p *Partial) Read(r kube.Resource) bool {
	for _, u := range p.unread {
		if u.Resource == r {
			return false
		}
	}
	return true
}

// Err is why r could not be read, nil if it was.
func (p *Partial) Err(r kube.Resource) error {
	for _, u := range p.unread {
		if u.Resource == r {
			return u.Err
		}
	}
	return nil
}

// Unread lists the kinds not read, in the order they were asked for.
func (p *Partial) Unread() []Unread { return p.unread }

// NoneRead says whether none of rs could be read: what a check judges is all unread, so it
// has nothing to say but why.
func (p *Partial) NoneRead(rs ...kube.Resource) bool {
	for _, r := range rs {
		if p.Read(r) {
			return false
		}
	}
	return true
}

// Skip is the result of a check that could read none of the kinds it judges: the reason is
// the first kind's (forbidden, not in the snapshot), the summary names every unread kind.
func (p *Partial) Skip() Result {
	if len(p.unread) == 0 {
		return Skipped(SkipNotApplicable, "nothing to judge")
	}
	first := p.unread[0]
	for _, u := range p.unread {
		if !unreadable(u.Err) { // a LIST that failed is an Error, whatever else is missing
			first = u
			break
		}
	}
	r := SkipOrError(first.Err)
	if len(p.unread) > 1 && r.Status == StatusSkip { // an Error keeps its words: the server did not answer
		r.Summary = "none of the kinds it judges could be read: " + p.list()
	}
	return r
}

// Note says on a result what was not read: the summary ends with the unread kinds and why,
// and an OK finding quotes each error, with the command that shows the same. A result that
// read everything is returned as it is.
func (p *Partial) Note(r Result) Result {
	if len(p.unread) == 0 {
		return r
	}
	r.Summary += "; not read: " + p.list()
	if r.Status == StatusSkip || r.Status == StatusError {
		return r // said in the summary; a finding would make it look judged
	}
	f := Finding{
		Severity: StatusOK,
		Problem:  ProblemKindsNotRead,
		Message:  "not judged: " + p.names() + " could not be read, so nothing here is concluded about them",
	}
	for _, u := range p.unread {
		f.Evidence = append(f.Evidence, u.Err.Error())
		forbidden := IsForbidden(u.Err)
		args := []string{"get", u.Resource.String()}
		if forbidden {
			args = []string{"auth", "can-i", "list", u.Resource.String()}
		}
		if u.Resource.Namespaced {
			args = append(args, "-A")
		}
		switch {
		case forbidden:
		case u.Resource.MetadataOnly: // names only: the command shows no more than kockpit reads
			args = append(args, "-o", "custom-columns=NAMESPACE:.metadata.namespace,NAME:.metadata.name")
		default:
			args = append(args, "-o", "yaml")
		}
		cmd := Cmd("kubectl", args...)
		f.Commands = append(f.Commands, cmd)
	}
	for _, u := range p.unread {
		if !unreadable(u.Err) { // the LIST failed: the check could not look, which deserves one
			f.Severity = StatusWarn
		}
	}
	r.Status = max(r.Status, f.Severity)
	f.Hint = "Take the snapshot with `kockpit snapshot`, which lists every kind kockpit reads, or run as a user who may list them."
	r.Findings = append(r.Findings, f)
	return r
}

// names is the unread kinds, "mutatingwebhookconfigurations.admissionregistration.k8s.io and pods".
func (p *Partial) names() string {
	names := make([]string, len(p.unread))
	for i, u := range p.unread {
		names[i] = u.Resource.String()
	}
	return phrase.List(names, len(names))
}

// list is the unread kinds with why in a word or two: "endpointslices (forbidden), ...".
func (p *Partial) list() string {
	parts := make([]string, len(p.unread))
	for i, u := range p.unread {
		parts[i] = fmt.Sprintf("%s (%s)", u.Resource.String(), why(u.Err))
	}
	return strings.Join(parts, ", ")
}

func why(err error) string {
	switch {
	case IsForbidden(err):
		return "forbidden"
	case errors.Is(err, kube.ErrOffline):
		return "offline"
	case !errors.Is(err, kube.ErrNotCollected):
		return "the LIST failed"
	}
	var nc *kube.NotCollectedError
	if errors.As(err, &nc) && nc.Reason == "" {
		return "not in the snapshot"
	}
	if errors.As(err, &nc) && strings.Contains(nc.Reason, "none, or not collected") {
		return "not in the snapshot, or none"
	}
	return "not collected"
}
