package workloads

import (
	"slices"
	"strings"
	"testing"

	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/testcluster"
)

// requireField fails unless f's evidence names the field path.
func requireField(t *testing.T, f checks.Finding, field string) {
	t.Helper()
	for _, e := range f.Evidence {
		if strings.HasPrefix(e, field+":") {
			return
		}
	}
	t.Errorf("finding %q: no evidence names field %s: %q", f.Message, field, f.Evidence)
}

// countProblems counts the Warn and Fail findings.
func countProblems(r checks.Result) int {
	n := 0
	for _, f := range r.Findings {
		if f.Severity > checks.StatusOK {
			n++
		}
	}
	return n
}

func TestReferencesHealthy(t *testing.T) {
	r := checktest.RunLive(t, "workloads.references")
	checktest.RequireNoProblems(t, r)
	if r.Status != checks.StatusOK {
		t.Errorf("status = %v (%s)", r.Status, r.Summary)
	}
	if !strings.Contains(r.Summary, "not served: gatewayclasses.gateway.networking.k8s.io") {
		t.Errorf("summary does not say the Gateway API is not served: %s", r.Summary)
	}
}

func TestReferencesMissingServiceAccount(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("missing-serviceaccount"))
	r := checktest.RunLive(t, "workloads.references")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "StatefulSet", "shop", "db", "names ServiceAccount db-sa, which does not exist")
	requireField(t, f, "spec.template.spec.serviceAccountName")
	if !f.Cause || !slices.Contains(checktest.ExplainedNames(f), "db") {
		t.Errorf("the missing ServiceAccount is no cause explaining StatefulSet db: cause %v, explains %v", f.Cause, f.Explains)
	}
	if countProblems(r) != 1 {
		t.Errorf("want one finding:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestReferencesWorkloadConfigAndClaims(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("references/workloads.yaml"))
	r := checktest.RunLive(t, "workloads.references")
	f := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "api", "names ConfigMap api-config, which does not exist")
	// The first reference is the field named; the second use of the same ConfigMap is evidence.
	requireField(t, f, "spec.template.spec.volumes[1].configMap.name")
	if !slices.Contains(f.Evidence, "spec.template.spec.containers[0].envFrom[0].configMapRef.name too") {
		t.Errorf("the envFrom use is not in the evidence: %q", f.Evidence)
	}
	if want := []string{"api", "api-6b7c8d9e0-a1b2c"}; !f.Cause || !slices.Equal(checktest.ExplainedNames(f), want) {
		t.Errorf("explains %v (cause %v), want the Deployment and its pod %v", checktest.ExplainedNames(f), f.Cause, want)
	}
	if checktest.FindingWith(r, "api-extra") != nil {
		t.Error("an optional reference is a finding")
	}
	c := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Pod", "team-a", "scratch", "names PersistentVolumeClaim scratch-data")
	requireField(t, c, "spec.volumes[0].persistentVolumeClaim.claimName")
	s := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Deployment", "team-a", "worker", "names Secret worker-token")
	requireField(t, s, "spec.template.spec.containers[0].env[1].valueFrom.secretKeyRef.name")
	// The Deployment's pod is judged through its template, not again; regcred is there.
	if countProblems(r) != 3 {
		t.Errorf("want three findings:\n%s", checktest.DescribeObjectFindings(r))
	}
	// Secrets were read as names only: the audit log shows no Secret body sent to kockpit.
	reads, bodies, err := checktest.Cluster(t).SecretReadsBy(kube.UserAgent(checktest.Version))
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) == 0 {
		t.Error("the audit log shows no read of Secrets: the proof proves nothing")
	}
	for _, e := range bodies {
		t.Errorf("a Secret's body was read: %s", e)
	}
}

func TestReferencesIngress(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("references/routes.yaml"))
	r := checktest.RunLive(t, "workloads.references")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Ingress", "team-a", "shop", "names IngressClass nginx-internal")
	requireField(t, f, "spec.ingressClassName")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Ingress", "team-a", "shop", "names Service cart")
	requireField(t, f, "spec.rules[0].http.paths[1].backend.service.name")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Ingress", "team-a", "shop", "port 8080 of Service web")
	requireField(t, f, "spec.rules[0].http.paths[2].backend.service.port")
	if countProblems(r) != 3 {
		t.Errorf("want three findings (the named port http is there):\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestReferencesGatewayAPI(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("gateway/crds.yaml"))
	checktest.Cluster(t).Apply(t, fixture("gateway/routes.yaml"))
	r := checktest.RunLive(t, "workloads.references")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "Gateway", "team-a", "public", "names GatewayClass envoy-gw")
	requireField(t, f, "spec.gatewayClassName")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "HTTPRoute", "team-a", "shop", "names Gateway edge")
	requireField(t, f, "spec.parentRefs[0].name")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "HTTPRoute", "team-a", "shop", "names Service cart")
	requireField(t, f, "spec.rules[1].backendRefs[0].name")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "HTTPRoute", "team-a", "shop", "port 81 of Service web")
	requireField(t, f, "spec.rules[1].backendRefs[1].port")
	if countProblems(r) != 4 || strings.Contains(r.Summary, "not served") {
		t.Errorf("want four findings and the kinds served:\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestReferencesAutoscalerAndBindings(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("references/autoscaling-rbac.yaml"))
	r := checktest.RunLive(t, "workloads.references")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "HorizontalPodAutoscaler", "team-a", "web", "names Deployment webb")
	requireField(t, f, "spec.scaleTargetRef.name")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "RoleBinding", "team-a", "ci-reads-pods", "names Role pod-reader")
	requireField(t, f, "roleRef.name")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "RoleBinding", "team-a", "ci-reads-pods", "names ServiceAccount ci")
	requireField(t, f, "subjects[0].name")
	if countProblems(r) != 3 {
		t.Errorf("want three findings (view and team-a/default exist):\n%s", checktest.DescribeObjectFindings(r))
	}
}

func TestReferencesSelectorsMatchingNothing(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("references/selectors.yaml"))
	r := checktest.RunLive(t, "workloads.references")
	f := checktest.RequireObjectFinding(t, r, checks.StatusWarn, "NetworkPolicy", "team-a", "web-api-ingress", "NetworkPolicy team-a/web-api-ingress selects no pod")
	requireField(t, f, "spec.podSelector")
	requireEvidence(t, f, "app=web-api: the pods have app=web")
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PodDisruptionBudget", "team-a", "wbe", "PodDisruptionBudget team-a/wbe selects no pod")
	requireField(t, f, "spec.selector")
	requireEvidence(t, f, "app=wbe: the pods have app=web")
	if strings.Contains(strings.Join(f.Evidence, "\n"), "near miss") {
		t.Errorf("wbe is two characters from web, no near miss: %q", f.Evidence)
	}
	f = checktest.RequireObjectFinding(t, r, checks.StatusWarn, "PodDisruptionBudget", "team-a", "web-case", "PodDisruptionBudget team-a/web-case selects no pod")
	requireEvidence(t, f, "app=Web: the pods have app=web (near miss: case)")
	if countProblems(r) != 3 {
		t.Errorf("want three findings (PDB web selects the web pods):\n%s", checktest.DescribeObjectFindings(r))
	}
}

// A kind that could not be read is "cannot tell": no reference to it is called missing.
func TestReferencesUnreadKindIsNotMissing(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("missing-serviceaccount"))
	r := checktest.LiveWithout(t, "workloads.references", func(kind, _, _ string) bool { return kind == "ServiceAccount" })
	if f := checktest.FindingWith(r, "db-sa"); f != nil {
		t.Errorf("a ServiceAccount not read is called missing: %s", f.Message)
	}
	if !strings.Contains(r.Summary, "serviceaccounts (not collected)") {
		t.Errorf("summary does not name the unread kind: %s", r.Summary)
	}
}

// Forbidden kinds, live: a viewer may not list roles and bindings, so none is judged.
func TestReferencesForbiddenKinds(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("runtime-viewer"), fixture("references/autoscaling-rbac.yaml"))
	kc := c.KubeconfigWith(t, func(cfg *clientcmdapi.Config) { cfg.AuthInfos[testcluster.AdminUser].Impersonate = "runtime-viewer" })
	r := checktest.RunCheck(t, checktest.LiveEnv(t, kc), "workloads.references")
	if checktest.FindingWith(r, "pod-reader") != nil || checktest.FindingWith(r, "ServiceAccount ci") != nil {
		t.Errorf("a binding the viewer may not read is judged:\n%s", checktest.DescribeObjectFindings(r))
	}
	checktest.RequireObjectFinding(t, r, checks.StatusWarn, "HorizontalPodAutoscaler", "team-a", "web", "names Deployment webb")
	if !strings.Contains(r.Summary, "rolebindings.rbac.authorization.k8s.io (forbidden)") {
		t.Errorf("summary does not name the forbidden kinds: %s", r.Summary)
	}
}

// A Job whose pods admission refuses has no pod to judge, and a CronJob has none until it
// runs: their templates are judged, with the field path in each.
func TestReferencesJobAndCronJobTemplates(t *testing.T) {
	checktest.Cluster(t).Apply(t, fixture("references/jobs.yaml"))
	r := checktest.RunLive(t, "workloads.references")
	job := checktest.RequireObjectFinding(t, r, checks.StatusFail, "Job", "team-a", "report-gen", "Job team-a/report-gen names ServiceAccount report-sa, which does not exist")
	requireField(t, job, "spec.template.spec.serviceAccountName")
	cron := checktest.RequireObjectFinding(t, r, checks.StatusFail, "CronJob", "team-a", "cleanup", "CronJob team-a/cleanup names Secret cleanup-creds, which does not exist")
	requireField(t, cron, "spec.jobTemplate.spec.template.spec.containers[0].envFrom[0].secretRef.name")
	if !job.Cause || !slices.Contains(checktest.ExplainedNames(job), "report-gen") {
		t.Errorf("the missing ServiceAccount does not explain its Job: cause %v, explains %v", job.Cause, job.Explains)
	}
	if countProblems(r) != 2 {
		t.Errorf("want two findings:\n%s", checktest.DescribeObjectFindings(r))
	}
	checktest.RequireLiteralCommands(t, r)
}
