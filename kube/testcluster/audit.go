package testcluster

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// AuditEvent is one request as the API server's audit log recorded it.
type AuditEvent struct {
	Verb        string // get, list, watch, create, update, patch, delete, deletecollection, ...
	UserAgent   string
	User        string // the authenticated user name
	Resource    string
	Subresource string
	APIGroup    string
	Namespace   string
	Name        string
	RequestURI  string
	Code        int // the response's HTTP status
	// ResponseKind is the kind of the response's body, logged for Secrets only:
	// "PartialObjectMetadataList" for a LIST of metadata alone, "SecretList" with values.
	ResponseKind string
}

func (e AuditEvent) String() string {
	res := e.Resource
	if e.Subresource != "" {
		res += "/" + e.Subresource
	}
	if e.APIGroup != "" {
		res += "." + e.APIGroup
	}
	s := fmt.Sprintf("%s %s %s → %d (user %s, agent %q)", e.Verb, res, e.RequestURI, e.Code, e.User, e.UserAgent)
	if e.ResponseKind != "" {
		s += " answered " + e.ResponseKind
	}
	return s
}

// auditLine is the part of an audit.k8s.io/v1 Event that AuditEvent keeps.
type auditLine struct {
	Stage      string `json:"stage"`
	Verb       string `json:"verb"`
	UserAgent  string `json:"userAgent"`
	RequestURI string `json:"requestURI"`
	User       struct {
		Username string `json:"username"`
	} `json:"user"`
	ObjectRef *struct {
		Resource    string `json:"resource"`
		Subresource string `json:"subresource"`
		APIGroup    string `json:"apiGroup"`
		Namespace   string `json:"namespace"`
		Name        string `json:"name"`
	} `json:"objectRef"`
	ResponseStatus *struct {
		Code int `json:"code"`
	} `json:"responseStatus"`
	ResponseObject *struct {
		Kind string `json:"kind"`
	} `json:"responseObject"`
}

// AuditEvents returns every completed request so far, oldest first. The log is written before a
// response completes, so a request that has returned is in it.
func (c *Cluster) AuditEvents() ([]AuditEvent, error) {
	f, err := os.Open(c.AuditLog)
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	defer f.Close()
	var events []AuditEvent
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64*1024), 16*1024*1024)
	for sc.Scan() {
		var l auditLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			continue // a line being written as we read
		}
		// A request has one ResponseComplete (or Panic) event; long-running ones also have a
		// ResponseStarted, which would count them twice.
		if l.Stage != "ResponseComplete" && l.Stage != "Panic" {
			continue
		}
		e := AuditEvent{Verb: l.Verb, UserAgent: l.UserAgent, User: l.User.Username, RequestURI: l.RequestURI}
		if r := l.ObjectRef; r != nil {
			e.Resource, e.Subresource, e.APIGroup, e.Namespace, e.Name = r.Resource, r.Subresource, r.APIGroup, r.Namespace, r.Name
		}
		if l.ResponseStatus != nil {
			e.Code = l.ResponseStatus.Code
		}
		if l.ResponseObject != nil {
			e.ResponseKind = l.ResponseObject.Kind
		}
		events = append(events, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	return events, nil
}

var writeVerbs = map[string]bool{"create": true, "update": true, "patch": true, "delete": true, "deletecollection": true}

// reviews are the kinds whose create asks the server a question and stores nothing.
var reviews = map[string]bool{"selfsubjectreviews": true, "selfsubjectaccessreviews": true, "selfsubjectrulesreviews": true}

// WritesBy returns the writes (create, update, patch, delete, deletecollection) made with a
// user agent that starts with userAgentPrefix, refused ones included: kockpit must not even try.
// Creating a self-subject review is a question, not a write, and is left out; so is the
// port-forward of the DNS probe (a "create" of pods/portforward over SPDY), which stores nothing.
func (c *Cluster) WritesBy(userAgentPrefix string) ([]AuditEvent, error) {
	events, err := c.AuditEvents()
	if err != nil {
		return nil, err
	}
	var writes []AuditEvent
	for _, e := range events {
		if !strings.HasPrefix(e.UserAgent, userAgentPrefix) || !writeVerbs[e.Verb] {
			continue
		}
		if e.Verb == "create" && reviews[e.Resource] && strings.HasSuffix(e.APIGroup, ".k8s.io") {
			continue
		}
		if e.Verb == "create" && e.Resource == "pods" && e.Subresource == "portforward" && e.APIGroup == "" {
			continue
		}
		writes = append(writes, e)
	}
	return writes, nil
}

// metadataKinds are the answers that carry an object's metadata alone.
var metadataKinds = map[string]bool{"PartialObjectMetadata": true, "PartialObjectMetadataList": true}

// SecretReadsBy returns the reads of Secrets (get, list, watch) made with a user agent that
// starts with userAgentPrefix, and, of those, the ones the server answered with Secret bodies
// (values) rather than metadata alone. A refused read sent nothing and is in neither.
func (c *Cluster) SecretReadsBy(userAgentPrefix string) (reads, bodies []AuditEvent, err error) {
	events, err := c.AuditEvents()
	if err != nil {
		return nil, nil, err
	}
	for _, e := range events {
		if !strings.HasPrefix(e.UserAgent, userAgentPrefix) || e.Resource != "secrets" || e.APIGroup != "" || e.Subresource != "" {
			continue
		}
		if e.Verb != "get" && e.Verb != "list" && e.Verb != "watch" || e.Code < 200 || e.Code > 299 {
			continue
		}
		reads = append(reads, e)
		if !metadataKinds[e.ResponseKind] {
			bodies = append(bodies, e)
		}
	}
	return reads, bodies, nil
}
