package api

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/internal/podinfo"
	"github.com/kockpit/kockpit/kube"
)

// kubeadmStaticComponents are the kubeadm static pods, by their "component" label.
var kubeadmStaticComponents = []string{"kube-apiserver", "kube-controller-manager", "kube-scheduler", "etcd"}

// controlPlaneCheck is the api.control-plane check.
var controlPlaneCheck = checks.Check{
	ID:       "api.control-plane",
	Title:    "Control-plane pods run, are ready and have sane flags",
	Category: checks.CategoryAPI,
	Learn:    learn("api.control-plane"),
	Needs:    checks.NeedsObjects,
	// The workload kinds link a controller switched off to the objects it left behind; they are
	// read only then.
	Reads: []kube.Resource{kube.Pods, kube.Deployments, kube.ReplicaSets, kube.StatefulSets, kube.DaemonSets},
	Run:   runControlPlane,
}

func runControlPlane(ctx context.Context, env *checks.Env) checks.Result {
	pods, err := kube.ListOf[*corev1.Pod](ctx, env.Snapshot, kube.Pods)
	if err != nil {
		return checks.SkipOrError(err)
	}
	now := env.CurrentTime()
	byComponent := map[string][]*corev1.Pod{}
	for _, p := range pods {
		c := p.Labels["component"]
		if p.Namespace == "kube-system" && isControlPlaneComponent(c) {
			byComponent[c] = append(byComponent[c], p)
		}
	}
	if len(byComponent) == 0 {
		return checks.Skipped(checks.SkipNotApplicable, "not applicable: control plane not visible (managed cluster?)")
	}
	// The workload kinds are read only when a flag switches a workload controller off: then
	// they say what it left behind, and a kind not read is named.
	var partial checks.Partial
	var stalledRead stalledObjects
	stalled := func() stalledObjects {
		if stalledRead == nil {
			stalledRead = readStalled(ctx, env, &partial)
		}
		return stalledRead
	}
	for _, list := range byComponent {
		sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
	}

	findings := missingComponents(byComponent)
	total := 0
	for _, c := range kubeadmStaticComponents {
		for _, p := range byComponent[c] {
			total++
			findings = append(findings, podHealthFindings(p, c, now)...)
			findings = append(findings, podFlagFindings(p, c, stalled)...)
		}
	}
	if err := ctx.Err(); err != nil {
		return checks.Errored(fmt.Sprintf("listing for api.control-plane: %v", err))
	}
	status := checks.Worst(findings)
	if status == checks.StatusOK {
		return partial.Note(checks.Result{Status: checks.StatusOK, Findings: findings,
			Summary: fmt.Sprintf("%d control-plane pods run, are ready and have no known-bad flags", total)})
	}
	var bad []string
	for _, f := range findings {
		if f.Severity > checks.StatusOK {
			bad = append(bad, f.Message)
		}
	}
	summary := bad[0]
	if len(bad) > 1 {
		summary = fmt.Sprintf("%s (and %d more)", bad[0], len(bad)-1)
	}
	return partial.Note(checks.Result{Status: status, Summary: summary, Findings: findings})
}

func isControlPlaneComponent(c string) bool {
	for _, name := range kubeadmStaticComponents {
		if c == name {
			return true
		}
	}
	return false
}

// missingComponents reports a component with no pod on a node that runs other control-plane
// pods. etcd without any pod is fine when the API server talks to an external etcd.
func missingComponents(byComponent map[string][]*corev1.Pod) []checks.Finding {
	nodes := map[string]bool{}
	for _, list := range byComponent {
		for _, p := range list {
			nodes[p.Spec.NodeName] = true
		}
	}
	var nodeNames []string
	for n := range nodes {
		nodeNames = append(nodeNames, n)
	}
	sort.Strings(nodeNames)
	var findings []checks.Finding
	for _, c := range kubeadmStaticComponents {
		if c == "etcd" && len(byComponent[c]) == 0 && !etcdIsLocal(byComponent["kube-apiserver"]) {
			continue
		}
		var missing []string
		for _, n := range nodeNames {
			found := false
			for _, p := range byComponent[c] {
				found = found || p.Spec.NodeName == n
			}
			if !found {
				missing = append(missing, n)
			}
		}
		if len(missing) == 0 {
			continue
		}
		sev, where := checks.StatusWarn, "on node(s) "+strings.Join(missing, ", ")
		if len(byComponent[c]) == 0 {
			sev, where = checks.StatusFail, "anywhere"
		}
		findings = append(findings, checks.Finding{
			Severity: sev,
			Object:   &checks.ObjectRef{APIVersion: "v1", Kind: "Namespace", Name: "kube-system"},
			Message:  fmt.Sprintf("no %s pod %s", c, where),
			Evidence: []string{fmt.Sprintf("control-plane nodes (running other components): %s", strings.Join(nodeNames, ", "))},
			Hint: fmt.Sprintf("The kubelet runs %s from /etc/kubernetes/manifests/%s.yaml on each control-plane node: "+
				"the manifest was moved, renamed or broken (the kubelet's log says which), its component label "+
				"changed, or the kubelet's staticPodPath points elsewhere (grep staticPodPath "+
				"/var/lib/kubelet/config.yaml).", c, c),
			Commands: []checks.Command{checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", "tier=control-plane", "-o", "wide"),
				checks.Cmd("kubectl", "-n", "kube-system", "get", "pods", "-l", "component="+c, "-o", "wide")},
			Cause: true,
		})
	}
	return findings
}

// etcdIsLocal reports whether an API server expects etcd on its own node (kubeadm's stacked
// etcd), so a missing etcd pod is a broken one rather than an external etcd.
func etcdIsLocal(apiservers []*corev1.Pod) bool {
	for _, p := range apiservers {
		for _, c := range p.Spec.Containers {
			for _, f := range parseComponentFlags(append(append([]string(nil), c.Command...), c.Args...)) {
				if f.Name == "etcd-servers" && (strings.Contains(f.Value, "127.0.0.1") || strings.Contains(f.Value, "localhost")) {
					return true
				}
			}
		}
	}
	return false
}

// podHealthFindings reports a control-plane pod that is not ready or restarts.
func podHealthFindings(p *corev1.Pod, component string, now time.Time) []checks.Finding {
	ref := &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
	describe := checks.Cmd("kubectl", "-n", p.Namespace, "describe", "pod", p.Name)
	logs := checks.Cmd("kubectl", "-n", p.Namespace, "logs", p.Name, "--previous")
	var findings []checks.Finding
	var crashing bool
	for _, cs := range p.Status.ContainerStatuses {
		last := cs.LastTerminationState.Terminated
		evidence := []string{fmt.Sprintf("container %s: restartCount %d", cs.Name, cs.RestartCount)}
		if w := cs.State.Waiting; w != nil {
			evidence = append(evidence, fmt.Sprintf("waiting: %s %s", w.Reason, phrase.Clip(w.Message, 300)))
		}
		if last != nil {
			evidence = append(evidence, fmt.Sprintf("last termination: %s, exit code %d, at %s",
				last.Reason, last.ExitCode, last.FinishedAt.UTC().Format(time.RFC3339)))
			if m := strings.TrimSpace(last.Message); m != "" {
				evidence = append(evidence, "last message: "+phrase.Clip(phrase.LastLines(m, 1), 300))
			}
		}
		switch {
		case cs.State.Waiting != nil && cs.State.Waiting.Reason == "CrashLoopBackOff":
			crashing = true
			findings = append(findings, checks.Finding{
				Severity: checks.StatusFail, Object: ref,
				Message:  fmt.Sprintf("%s is crash-looping (%d restarts)", p.Name, cs.RestartCount),
				Evidence: evidence,
				Hint: "The previous container's log says why it exits; a bad flag or manifest edit is the usual " +
					"cause. On the node: " + checks.Cmd("crictl", "ps", "-a", "--name", component).String() + " and crictl logs.",
				Commands: []checks.Command{logs, describe},
				Cause:    true,
			})
		case cs.RestartCount > 0 && last != nil && now.Sub(last.FinishedAt.Time) < podinfo.RecentRestart:
			findings = append(findings, checks.Finding{
				Severity: checks.StatusWarn, Object: ref,
				Message:  fmt.Sprintf("%s restarted %d times, last %s ago", p.Name, cs.RestartCount, now.Sub(last.FinishedAt.Time).Round(time.Second)),
				Evidence: evidence,
				Hint:     "A control-plane component that restarts is failing its liveness probe or crashing; its previous log says why.",
				Commands: []checks.Command{logs, describe},
			})
		}
	}
	if !crashing && !podinfo.Ready(p) {
		evidence := []string{"phase: " + string(p.Status.Phase)}
		for _, c := range p.Status.Conditions {
			if c.Status != corev1.ConditionTrue {
				evidence = append(evidence, fmt.Sprintf("%s=%s %s %s", c.Type, c.Status, c.Reason, phrase.Clip(c.Message, 200)))
			}
		}
		findings = append(findings, checks.Finding{
			Severity: checks.StatusFail, Object: ref,
			Message:  fmt.Sprintf("%s is not ready", p.Name),
			Evidence: evidence,
			Hint:     "Its readiness probe fails or it is not running; describe shows the probe's last error and the events.",
			Commands: []checks.Command{describe},
		})
	}
	return findings
}

// podFlagFindings quotes the known-bad flags on a control-plane pod's command line.
// A flag that switches a workload controller off explains the objects that controller left
// behind (stalled).
func podFlagFindings(p *corev1.Pod, component string, stalled func() stalledObjects) []checks.Finding {
	ref := &checks.ObjectRef{APIVersion: "v1", Kind: "Pod", Namespace: p.Namespace, Name: p.Name}
	manifest := "the pod's manifest"
	if p.Annotations["kubernetes.io/config.source"] == "file" {
		manifest = fmt.Sprintf("/etc/kubernetes/manifests/%s.yaml on node %s", component, p.Spec.NodeName)
	}
	var findings []checks.Finding
	for i, c := range p.Spec.Containers {
		argv := append(append([]string(nil), c.Command...), c.Args...)
		for _, prob := range flagProblems(component, parseComponentFlags(argv)) {
			f := checks.Finding{
				Severity: prob.Severity,
				Object:   ref,
				Message:  fmt.Sprintf("%s: %s", p.Name, prob.Message),
				Evidence: prob.Evidence,
				Hint:     prob.Hint + " Edit " + manifest + "; the kubelet restarts the pod when the file changes.",
				Commands: []checks.Command{checks.Cmd("kubectl", "-n", p.Namespace, "get", "pod", p.Name, "-o", fmt.Sprintf("jsonpath={.spec.containers[%d].command}", i))},
				Cause:    true,
			}
			if len(prob.Disables) > 0 {
				explainStalled(&f, prob.Disables, stalled())
			}
			findings = append(findings, f)
		}
	}
	return findings
}

// cmdFlag is one flag of a command line, as written.
type cmdFlag struct {
	Name     string // without dashes
	Value    string
	HasValue bool
	Raw      string // as written, "--controllers=*,-replicaset" (or two words joined by a space)
}

// componentBoolFlags never take the next word as their value: pflag reads "--leader-elect false" as a
// bare flag followed by an argument.
var componentBoolFlags = map[string]bool{
	"anonymous-auth": true, "leader-elect": true, "allow-privileged": true, "profiling": true,
	"enable-bootstrap-token-auth": true, "use-service-account-credentials": true,
	"allocate-node-cidrs": true, "client-cert-auth": true, "peer-client-cert-auth": true,
	"enable-aggregator-routing": true, "enable-priority-and-fairness": true,
}

// parseComponentFlags reads a command line (command then args) the way the components' flag
// library does: "--name=value", "--name value", "-name=value", and a bare "--name" for
// booleans. Words that are not flags (the binary itself) are skipped.
func parseComponentFlags(argv []string) []cmdFlag {
	var out []cmdFlag
	for i := 0; i < len(argv); i++ {
		word := argv[i]
		if !strings.HasPrefix(word, "-") || word == "-" || word == "--" {
			continue
		}
		body := strings.TrimLeft(word, "-")
		if name, value, ok := strings.Cut(body, "="); ok {
			out = append(out, cmdFlag{Name: name, Value: value, HasValue: true, Raw: word})
			continue
		}
		// pflag gives a non-boolean flag the next word whatever it is ("--controllers -replicaset");
		// a word starting with "--" is taken for the next flag, in case this one is a boolean
		// kockpit does not know.
		if i+1 < len(argv) && !strings.HasPrefix(argv[i+1], "--") && !componentBoolFlags[body] {
			out = append(out, cmdFlag{Name: body, Value: argv[i+1], HasValue: true, Raw: word + " " + argv[i+1]})
			i++
			continue
		}
		out = append(out, cmdFlag{Name: body, Raw: word})
	}
	return out
}

// flagProblem is one known-bad flag, before it is tied to a pod.
type flagProblem struct {
	Severity checks.Severity
	Message  string
	Evidence []string
	Hint     string
	// Disables names the workload controllers the flag switches off.
	Disables []string
}

// defaultOffControllers are off unless named; "-name" for them changes nothing.
var defaultOffControllers = map[string]bool{"bootstrapsigner": true, "tokencleaner": true}

// controllerEffects says what breaks without a controller, for the ones guests meet.
var controllerEffects = map[string]string{
	"replicaset":              "ReplicaSets never create pods, so Deployments never get any",
	"deployment":              "Deployments never create or update ReplicaSets: nothing rolls out",
	"statefulset":             "StatefulSets never create pods",
	"daemonset":               "DaemonSets never create pods on nodes (CNI, kube-proxy, CSI)",
	"job":                     "Jobs never start pods",
	"cronjob":                 "CronJobs never create Jobs",
	"endpointslice":           "Services get no EndpointSlices: traffic to them goes nowhere",
	"endpoint":                "Services get no Endpoints",
	"namespace":               "deleted namespaces stay Terminating forever",
	"garbagecollector":        "deleted owners leave their dependents behind",
	"serviceaccount":          "new namespaces get no default ServiceAccount, so their pods are refused",
	"serviceaccount-token":    "legacy ServiceAccount token Secrets are never filled",
	"nodelifecycle":           "dead nodes are never marked NotReady and their pods never evicted",
	"nodeipam":                "new nodes get no pod CIDR",
	"persistentvolume-binder": "PersistentVolumeClaims never bind",
	"csrsigning":              "certificate requests (kubelet client certificates) are never signed",
	"csrapproving":            "kubelet certificate requests are never approved",
}

// flagProblems applies the rules for one component's flags. Every repeated flag with different
// values is a problem for any component: which one wins is not what its reader expects.
func flagProblems(component string, flags []cmdFlag) []flagProblem {
	probs := repeatedFlagProblems(flags)
	for _, f := range flags {
		switch component {
		case "kube-apiserver":
			probs = append(probs, apiserverFlagProblems(f)...)
		case "kube-controller-manager":
			if f.Name == "controllers" {
				probs = append(probs, controllersFlagProblems(f)...)
			}
		case "etcd":
			probs = append(probs, etcdFlagProblems(f)...)
		}
	}
	return probs
}

func repeatedFlagProblems(flags []cmdFlag) []flagProblem {
	byName := map[string][]cmdFlag{}
	var order []string
	for _, f := range flags {
		if _, seen := byName[f.Name]; !seen {
			order = append(order, f.Name)
		}
		byName[f.Name] = append(byName[f.Name], f)
	}
	var probs []flagProblem
	for _, name := range order {
		list := byName[name]
		differ := false
		for _, f := range list[1:] {
			differ = differ || f.Value != list[0].Value || f.HasValue != list[0].HasValue
		}
		if !differ {
			continue
		}
		var evidence []string
		for _, f := range list {
			evidence = append(evidence, f.Raw)
		}
		probs = append(probs, flagProblem{
			Severity: checks.StatusFail,
			Message:  fmt.Sprintf("--%s is given %d times with different values", name, len(list)),
			Evidence: evidence,
			Hint: "A repeated flag hides what is really in force: the last value wins, and list flags such as " +
				"--enable-admission-plugins add up, so a value tucked into the second copy is easy to miss. " +
				"Keep one copy with the value you mean.",
		})
	}
	return probs
}

func apiserverFlagProblems(f cmdFlag) []flagProblem {
	switch f.Name {
	case "enable-admission-plugins", "admission-control":
		if flagListHas(f.Value, "AlwaysDeny") {
			return []flagProblem{{
				Severity: checks.StatusFail,
				Message:  "the AlwaysDeny admission plugin is enabled: every create, update and delete is refused",
				Evidence: []string{f.Raw},
				Hint:     "AlwaysDeny exists only for tests. Remove it from --" + f.Name + ".",
			}}
		}
	case "authorization-mode":
		if flagListHas(f.Value, "AlwaysDeny") {
			return []flagProblem{{
				Severity: checks.StatusFail,
				Message:  "--authorization-mode includes AlwaysDeny: requests no earlier mode allows are refused",
				Evidence: []string{f.Raw},
				Hint:     "kubeadm's default is --authorization-mode=Node,RBAC.",
			}}
		}
	case "anonymous-auth":
		if b, err := strconv.ParseBool(f.Value); f.HasValue && err == nil && !b {
			return []flagProblem{{
				Severity: checks.StatusWarn,
				Message:  "anonymous requests are refused (--anonymous-auth=false): the kubelet's health probes of the API server fail",
				Evidence: []string{f.Raw},
				Hint: "The liveness and readiness probes call /livez and /readyz without credentials; refused, they " +
					"get the API server restarted in a loop. Keep anonymous auth on (RBAC still limits what anonymous " +
					"may do), or limit it to the health paths with an AuthenticationConfiguration.",
			}}
		}
	}
	return nil
}

func controllersFlagProblems(f cmdFlag) []flagProblem {
	var probs []flagProblem
	items := splitFlagList(f.Value)
	hasStar := false
	for _, it := range items {
		hasStar = hasStar || it == "*"
	}
	if !hasStar {
		var off []string
		for _, c := range workloadControllers {
			if !slices.Contains(items, c) {
				off = append(off, c)
			}
		}
		probs = append(probs, flagProblem{
			Disables: off,
			Severity: checks.StatusFail,
			Message:  "--controllers does not include \"*\": only the controllers it names run",
			Evidence: []string{f.Raw},
			Hint: "Without \"*\" every default controller not listed is off: Deployments, ReplicaSets, Services' " +
				"endpoints, namespaces and more stop being reconciled. kubeadm's default is " +
				"--controllers=*,bootstrapsigner,tokencleaner.",
		})
	}
	for _, it := range items {
		name, disabled := strings.CutPrefix(it, "-")
		if !disabled || defaultOffControllers[name] {
			continue
		}
		effect := controllerEffects[name]
		if effect == "" {
			effect = "the " + name + " controller does not run"
		}
		probs = append(probs, flagProblem{
			Severity: checks.StatusFail,
			Message:  fmt.Sprintf("the %s controller is switched off: %s", name, effect),
			Evidence: []string{f.Raw},
			Hint:     fmt.Sprintf("Remove \"-%s\" from --controllers.", name),
			Disables: []string{name},
		})
	}
	return probs
}

// etcd limits below these break a cluster: the defaults are 2 GiB and 1.5 MiB.
const (
	minQuotaBackendBytes = 100 << 20
	minMaxRequestBytes   = 1 << 20
)

func etcdFlagProblems(f cmdFlag) []flagProblem {
	var floor int64
	var effect, hint string
	switch f.Name {
	case "quota-backend-bytes":
		floor = minQuotaBackendBytes
		effect = "etcd raises its NOSPACE alarm and refuses writes (\"database space exceeded\")"
		hint = "The default is 2 GiB. After raising it, clear the alarm: etcdctl alarm disarm (after a defrag if needed)."
	case "max-request-bytes":
		floor = minMaxRequestBytes
		effect = "etcd refuses larger requests, so big objects (ConfigMaps, CRDs, Secrets) cannot be written"
		hint = "The default is 1.5 MiB (1572864)."
	default:
		return nil
	}
	n, err := strconv.ParseInt(f.Value, 10, 64)
	if err != nil {
		return []flagProblem{{Severity: checks.StatusWarn, Message: fmt.Sprintf("--%s is not a number", f.Name),
			Evidence: []string{f.Raw}, Hint: "etcd refuses to start with a malformed number. " + hint}}
	}
	if n <= 0 || n >= floor {
		return nil // 0 means the default
	}
	return []flagProblem{{
		Severity: checks.StatusFail,
		Message:  fmt.Sprintf("--%s is tiny (%s): %s", f.Name, flagByteSize(n), effect),
		Evidence: []string{f.Raw},
		Hint:     hint,
	}}
}

func splitFlagList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

func flagListHas(v, item string) bool {
	for _, s := range splitFlagList(v) {
		if s == item {
			return true
		}
	}
	return false
}

// flagByteSize writes a byte count for humans: 16 KiB, 10 MiB.
func flagByteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
