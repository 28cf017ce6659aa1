package dns

import (
	"context"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/clusterdns"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// corefileCheck is the dns.corefile check.
var corefileCheck = checks.Check{
	ID:       "dns.corefile",
	Title:    "CoreDNS's Corefile parses and serves the cluster domain",
	Category: checks.CategoryDNS,
	Learn:    learn("dns.corefile"),
	Needs:    checks.NeedsObjects,
	Reads:    []kube.Resource{kube.ConfigMaps, kube.Deployments, kube.Nodes, kube.Pods},
	Run:      runDNSCorefile,
}

// corefileQuoteLines bounds how many lines of a plugin's block a finding quotes.
const corefileQuoteLines = 12

// corefileSubject is what a Corefile finding is about and how to show it.
type corefileSubject struct {
	namespace, name, key string
	deployment           *appsv1.Deployment
	domain, domainSource string
	nodeNames            map[string]bool
	data                 map[string]string // the ConfigMap's other keys, for hosts files mounted from it
	// pods are the CoreDNS Deployment's pods: a Corefile that stops CoreDNS explains them.
	pods []*corev1.Pod
}

// stopsCoreDNS is a finding about a Corefile that CoreDNS refuses or loops on: it is the cause
// of what the Deployment and its pods show (a crash loop, no ready replica).
func (s *corefileSubject) stopsCoreDNS(f checks.Finding) checks.Finding {
	if s.deployment == nil {
		return f
	}
	f.Cause = true
	f.Explains = append(f.Explains, podinfo.WorkloadRef("Deployment", &s.deployment.ObjectMeta))
	for _, p := range s.pods {
		if len(f.Explains) > maxExplainedPods {
			break
		}
		f.Explains = append(f.Explains, podinfo.Ref(p))
	}
	return f
}

// maxExplainedPods bounds the pods a finding names: CoreDNS runs a few.
const maxExplainedPods = 20

// podsOf are the Deployment's pods: in its namespace, matching its selector.
func podsOf(d *appsv1.Deployment, pods []*corev1.Pod) []*corev1.Pod {
	sel, err := metav1.LabelSelectorAsSelector(d.Spec.Selector)
	if err != nil || sel.Empty() {
		return nil
	}
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Namespace == d.Namespace && sel.Matches(labels.Set(p.Labels)) {
			out = append(out, p)
		}
	}
	return out
}

func (s *corefileSubject) file(line, column int) *checks.FileRef {
	return &checks.FileRef{Path: fmt.Sprintf("configmap %s/%s: %s", s.namespace, s.name, s.key), Line: line, Column: column}
}

func (s *corefileSubject) deploymentName() string {
	if s.deployment == nil {
		return "coredns"
	}
	return s.deployment.Name
}

func (s *corefileSubject) showCommand() checks.Command {
	return checks.Cmd("kubectl", "-n", s.namespace, "get", "configmap", s.name, "-o", "jsonpath={.data."+jsonpathKey(s.key)+"}").Pipe("cat", "-n")
}

// jsonpathKey escapes the dots of a ConfigMap key for kubectl's jsonpath.
func jsonpathKey(k string) string { return strings.ReplaceAll(k, ".", `\.`) }

func runDNSCorefile(ctx context.Context, env *checks.Env) checks.Result {
	cms, err := kube.ListOf[*corev1.ConfigMap](ctx, env.Snapshot, kube.ConfigMaps)
	if err != nil {
		return checks.SkipOrError(err)
	}
	// Deployments say where the Corefile is (else kubeadm's names), nodes which hosts entries
	// name nodes: without them the Corefile is still judged, and the summary says so.
	var p checks.Partial
	deps, err := checks.ListPartial[*appsv1.Deployment](ctx, env.Snapshot, &p, kube.Deployments)
	if err != nil {
		return checks.SkipOrError(err)
	}
	depsErr := p.Err(kube.Deployments)
	dep := findDNSDeployment(deps, nil)
	s := &corefileSubject{namespace: clusterdns.Namespace, deployment: dep, nodeNames: map[string]bool{}}
	s.name, s.key = corefileSource(dep)
	var cm *corev1.ConfigMap
	for _, c := range cms {
		if c.Namespace == s.namespace && c.Name == s.name {
			cm = c
		}
	}
	if r, done := corefileMissing(cm, s, depsErr); done {
		return r
	}
	s.data = cm.Data
	nodes, err := checks.ListPartial[*corev1.Node](ctx, env.Snapshot, &p, kube.Nodes)
	if err != nil {
		return checks.SkipOrError(err)
	}
	for _, n := range nodes {
		s.nodeNames[strings.ToLower(n.Name)] = true
	}
	if dep != nil {
		// Without pods the Corefile is judged all the same; its causes name only the Deployment.
		pods, err := checks.ListPartial[*corev1.Pod](ctx, env.Snapshot, &p, kube.Pods)
		if err != nil {
			return checks.SkipOrError(err)
		}
		s.pods = podsOf(dep, pods)
	}
	s.domain, s.domainSource = clusterDomain(ctx, env)
	cf := parseCorefile(cm.Data[s.key])
	findings := judgeCorefile(cf, s)
	for i := range findings {
		findings[i].Written = true // each is about the Corefile's text or the Deployment's spec
	}
	sortFindingsCausesFirst(findings)
	r := checks.Result{Status: checks.Worst(findings), Findings: findings}
	switch {
	case cf.err != nil:
		r.Summary = fmt.Sprintf("the Corefile in configmap %s/%s does not parse: line %d: %s", s.namespace, s.name, cf.err.line, phrase.Clip(cf.err.msg, 120))
	case r.Status == checks.StatusOK:
		r.Summary = fmt.Sprintf("the Corefile in configmap %s/%s parses (%d server blocks) and serves %s", s.namespace, s.name, len(cf.blocks), s.domain)
	default:
		r.Summary = fmt.Sprintf("the Corefile in configmap %s/%s has %d problem(s): %s", s.namespace, s.name, countProblems(findings), firstProblem(findings))
	}
	return p.Note(r)
}

// corefileSource is the ConfigMap and key the DNS Deployment reads its Corefile from: the
// configMap volume that holds it (kubeadm: coredns, key Corefile), else kubeadm's names.
func corefileSource(dep *appsv1.Deployment) (name, key string) {
	name, key = "coredns", "Corefile"
	if dep == nil {
		return name, key
	}
	confFile := "Corefile"
	for _, c := range dep.Spec.Template.Spec.Containers {
		for i, a := range c.Args {
			if a == "-conf" && i+1 < len(c.Args) {
				confFile = path.Base(c.Args[i+1])
			} else if v, ok := strings.CutPrefix(a, "-conf="); ok {
				confFile = path.Base(v)
			}
		}
	}
	for _, v := range dep.Spec.Template.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		if len(v.ConfigMap.Items) == 0 {
			return v.ConfigMap.Name, confFile
		}
		for _, it := range v.ConfigMap.Items {
			if path.Base(it.Path) == confFile {
				return v.ConfigMap.Name, it.Key
			}
		}
	}
	return name, key
}

// corefileMissing is the result when there is no Corefile to read.
func corefileMissing(cm *corev1.ConfigMap, s *corefileSubject, depsErr error) (checks.Result, bool) {
	cmd := checks.Cmd("kubectl", "-n", s.namespace, "get", "configmap", s.name, "-o", "yaml")
	switch {
	case cm == nil && s.deployment == nil:
		return checks.Skipped(checks.SkipNotInstalled, fmt.Sprintf("no CoreDNS here: no configmap %s/%s and no CoreDNS Deployment%s",
			s.namespace, s.name, unreadNote(map[string]error{"Deployments": depsErr}))), true
	case cm == nil && s.deployment.Name == "kube-dns":
		return checks.Skipped(checks.SkipNotApplicable, "the cluster runs kube-dns, which has no Corefile"), true
	case cm == nil:
		ref := podinfo.WorkloadRef("Deployment", &s.deployment.ObjectMeta)
		return checks.Result{Status: checks.StatusFail, Summary: fmt.Sprintf("configmap %s/%s, the Corefile of CoreDNS, is missing", s.namespace, s.name),
			Findings: []checks.Finding{{
				Severity: checks.StatusFail, Object: &ref, Cause: true,
				Message:  fmt.Sprintf("the %s Deployment mounts configmap %s/%s, which does not exist, so its pods cannot start", s.deployment.Name, s.namespace, s.name),
				Evidence: []string{fmt.Sprintf("no configmap %s/%s", s.namespace, s.name)},
				Hint:     "Restore the ConfigMap (kubeadm init phase addon coredns writes the default one).",
				Commands: []checks.Command{cmd, checks.Cmd("kubectl", "-n", s.namespace, "describe", "deployment", s.deployment.Name)},
			}}}, true
	}
	if _, ok := cm.Data[s.key]; !ok {
		ref := checks.ObjectRef{APIVersion: "v1", Kind: "ConfigMap", Namespace: s.namespace, Name: s.name}
		return checks.Result{Status: checks.StatusFail, Summary: fmt.Sprintf("configmap %s/%s has no %s key", s.namespace, s.name, s.key),
			Findings: []checks.Finding{{
				Severity: checks.StatusFail, Object: &ref, Cause: true,
				Message:  fmt.Sprintf("configmap %s/%s has no key %q, so CoreDNS has no configuration to read", s.namespace, s.name, s.key),
				Evidence: []string{"keys: " + strings.Join(slices.Sorted(maps.Keys(cm.Data)), ", ")},
				Hint:     "Put the Corefile back under the key the Deployment mounts.",
				Commands: []checks.Command{cmd},
			}}}, true
	}
	return checks.Result{}, false
}

func countProblems(fs []checks.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Severity >= checks.StatusWarn {
			n++
		}
	}
	return n
}

func firstProblem(fs []checks.Finding) string {
	for _, f := range fs {
		if f.Severity >= checks.StatusWarn {
			return phrase.Clip(f.Message, 140)
		}
	}
	return ""
}

// judgeCorefile returns what is wrong in a parsed Corefile.
func judgeCorefile(cf *corefile, s *corefileSubject) []checks.Finding {
	findings := corefileLookalikes(cf, s)
	if cf.err != nil {
		return append(findings, corefileSyntaxFinding(cf, s))
	}
	if len(cf.blocks) == 0 {
		return append(findings, checks.Finding{
			Severity: checks.StatusFail, File: s.file(0, 0), Cause: true,
			Message:  "the Corefile defines no server block, so CoreDNS serves nothing",
			Hint:     "Restore the server block \".:53 { ... }\" with the kubernetes and forward plugins.",
			Commands: []checks.Command{s.showCommand()},
		})
	}
	for _, imp := range cf.imports {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusOK, File: s.file(imp.line, cf.column(imp.line, imp.text)),
			Message:  fmt.Sprintf("the Corefile imports %q, a file in the CoreDNS container that kockpit does not read", imp.text),
			Evidence: cf.quote(imp.line, imp.line, 1),
			Hint:     "On AKS such files come from the coredns-custom ConfigMap; check them there.",
			Commands: []checks.Command{s.showCommand()},
		})
	}
	for _, b := range cf.blocks {
		for _, p := range b.plugins {
			switch p.name {
			case "forward":
				findings = append(findings, forwardFindings(cf, s, p)...)
			case "hosts":
				findings = append(findings, corefileHostsFindings(cf, s, b, p)...)
			case "template", "rewrite", "acl", "file":
				findings = append(findings, overrideFinding(cf, s, p))
			}
		}
		findings = append(findings, loopFinding(cf, s, b)...)
	}
	if f, ok := kubernetesZoneFinding(cf, s); ok {
		findings = append(findings, f)
	}
	return findings
}

func corefileSyntaxFinding(cf *corefile, s *corefileSubject) checks.Finding {
	e := cf.err
	evidence := []string{e.msg}
	if t := cf.lineText(e.line); t != "" {
		evidence = append(evidence, fmt.Sprintf("line %d: %s", e.line, t))
	}
	return s.stopsCoreDNS(checks.Finding{
		Severity: checks.StatusFail, File: s.file(e.line, e.column), Cause: true,
		Message: fmt.Sprintf("the Corefile does not parse (line %d): CoreDNS refuses it, so new CoreDNS pods crash and "+
			"running ones keep their old configuration only until they restart", e.line),
		Evidence: evidence,
		Hint: "Fix the line with " + checks.Cmd("kubectl", "-n", s.namespace, "edit", "configmap", s.name).String() +
			"; the errors plugin's log and the CoreDNS pods' previous logs say the same.",
		Commands: []checks.Command{s.showCommand(), checks.Cmd("kubectl", "-n", s.namespace, "logs", "deployment/"+s.deploymentName(), "--previous")},
	})
}

// corefileLookalikeLines bounds the lines reported one by one: a Corefile commented in another
// script would otherwise flood the report.
const corefileLookalikeLines = 10

// corefileLookalikes reports each line with characters outside ASCII: Fail outside comments,
// where CoreDNS reads them as part of a name, path or zone; Warn in comments.
func corefileLookalikes(cf *corefile, s *corefileSubject) []checks.Finding {
	cmd := checks.Cmd("kubectl", "-n", s.namespace, "get", "configmap", s.name, "-o", "jsonpath={.data."+jsonpathKey(s.key)+"}").
		Pipe("grep", "-nP", `[^\x00-\x7F]`)
	chars := safetext.Suspicious(cf.text)
	var findings []checks.Finding
	var more []int
	for i := 0; i < len(chars); {
		j := i
		for j < len(chars) && chars[j].Line == chars[i].Line {
			j++
		}
		if len(findings) < corefileLookalikeLines {
			findings = append(findings, lookalikeLineFinding(cf, s, chars[i:j], cmd))
		} else {
			more = append(more, chars[i].Line)
		}
		i = j
	}
	if len(more) > 0 {
		findings = append(findings, checks.Finding{
			Severity: checks.StatusWarn, File: s.file(more[0], 0),
			Message:  fmt.Sprintf("%d more lines of the Corefile have characters outside ASCII", len(more)),
			Evidence: []string{fmt.Sprintf("lines %d to %d", more[0], more[len(more)-1])},
			Hint:     "Show them all with the command below.",
			Commands: []checks.Command{cmd},
		})
	}
	return findings
}

// lookalikeLineFinding reports the characters outside ASCII on one line.
func lookalikeLineFinding(cf *corefile, s *corefileSubject, onLine []safetext.Char, cmd checks.Command) checks.Finding {
	line := onLine[0].Line
	text := ""
	if line <= len(cf.lines) {
		text = cf.lines[line-1]
	}
	start, comment := lineOffset(cf.text, line), commentStart(text)
	severity, where := checks.StatusWarn, "in a comment"
	for _, c := range onLine {
		leadingBOM := c.Offset == 0 && c.Rune == '\uFEFF' // the lexer drops it, as CoreDNS does
		if !leadingBOM && (comment < 0 || c.Offset-start < comment) {
			severity, where = checks.StatusFail, "where CoreDNS reads it as part of a name, zone or path"
			break
		}
	}
	evidence := []string{fmt.Sprintf("line %d: %s", line, strings.TrimSpace(text))}
	for _, c := range onLine {
		evidence = append(evidence, fmt.Sprintf("line %d, column %d: %s", c.Line, c.Column, c))
	}
	return checks.Finding{
		Severity: severity, File: s.file(line, onLine[0].Column),
		Message: fmt.Sprintf("line %d of the Corefile has %s outside ASCII (%s) %s, so it names something other than what it seems",
			line, phrase.Plural(len(onLine), "a character", "characters"), onLine[0], where),
		Evidence: evidence,
		Hint:     "Retype the line in plain ASCII; a look-alike letter makes a path, zone or plugin name that does not exist.",
		Commands: []checks.Command{cmd},
	}
}

// commentStart is the byte offset of the "#" that starts a comment on the line, -1 without one.
// A "#" inside quotes is not a comment.
func commentStart(line string) int {
	quoted := false
	for i := 0; i < len(line); i++ {
		switch {
		case line[i] == '\\' && quoted:
			i++
		case line[i] == '"':
			quoted = !quoted
		case line[i] == '#' && !quoted:
			return i
		}
	}
	return -1
}

// lineOffset is the byte offset where the 1-based line starts in text.
func lineOffset(text string, line int) int {
	off := 0
	for l := 1; l < line; l++ {
		i := strings.IndexByte(text[off:], '\n')
		if i < 0 {
			return len(text)
		}
		off += i + 1
	}
	return off
}
