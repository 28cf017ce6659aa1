package api

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
)

// TestLookalikesPerFieldFamily applies one fixture per family of fields where a look-alike can
// hide in a real cluster, and wants one finding naming the object, the field path, the column
// and the code point.
func TestLookalikesPerFieldFamily(t *testing.T) {
	tests := []struct {
		file, kind, namespace, name string
		severity                    checks.Status
		message                     string
		evidence                    []string
		// explains is how many objects the finding names as those it explains: a look-alike
		// where a program looks a value up is the cause of what they show; 0 for no cause.
		explains int
	}{
		{"env.yaml", "Deployment", "team-a", "checkout", checks.StatusFail,
			`a look-alike character in the env value field spec.template.spec.containers[0].env[1].value: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`,
			[]string{"spec.template.spec.containers[0].env[1].value: http://orders.shop.svc.cluster.loсal:8080",
				`column 34: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`,
				"the same value in 2 more objects: ReplicaSet team-a/checkout-6d8f7b9c4, Pod team-a/checkout-6d8f7b9c4-x7k2p"}, 3},
		{"env-secret.yaml", "Pod", "team-a", "billing", checks.StatusFail,
			`a look-alike character in the env value field spec.containers[0].env[0].value: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`,
			[]string{"spec.containers[0].env[0].value: value not shown (the variable's name says it holds a credential)",
				`column 10: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`}, 1},
		{"image.yaml", "Pod", "team-a", "cache", checks.StatusFail,
			`a look-alike character in the image reference field spec.containers[0].image: е U+0435 CYRILLIC SMALL LETTER IE (looks like "e")`,
			[]string{"spec.containers[0].image: docker.io/library/rеdis:7.4", `column 20: е U+0435 CYRILLIC SMALL LETTER IE (looks like "e")`}, 1},
		{"command.yaml", "Pod", "team-a", "worker", checks.StatusFail,
			"an invisible character in the command or argument field spec.containers[0].command[2]: U+200B ZERO WIDTH SPACE (invisible (zero-width))",
			[]string{"spec.containers[0].command[2]: exec worker --queue=jobs\u200b --verbose", "column 25: U+200B ZERO WIDTH SPACE (invisible (zero-width))"}, 1},
		{"configmap.yaml", "ConfigMap", "team-a", "shop-config", checks.StatusFail,
			`a look-alike character in the text field data["app.properties"]: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`,
			[]string{`data["app.properties"] line 2: orders.url=http://orders.shop.svc.cluster.loсal:8080`,
				`line 2, column 45: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")`}, 0},
		{"annotation.yaml", "ConfigMap", "team-a", "annotated", checks.StatusWarn,
			`a look-alike character in the text field metadata.annotations["team.example.com/owner"]: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`,
			[]string{`metadata.annotations["team.example.com/owner"]: Maintained by the plаtform team`,
				`column 21: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`}, 0},
		{"ingress.yaml", "Ingress", "team-a", "shop", checks.StatusFail,
			`a punycode label that decodes to look-alike characters in the host field spec.rules[0].host: о U+043E CYRILLIC SMALL LETTER O (looks like "o")`,
			[]string{"spec.rules[0].host: xn--shp-ted.example.com",
				`column 1: the punycode label decodes to "shоp", where о U+043E CYRILLIC SMALL LETTER O (looks like "o")`}, 1},
		{"externalname.yaml", "Service", "team-a", "payments", checks.StatusFail,
			`a punycode label that decodes to look-alike characters in the host field spec.externalName: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`,
			[]string{"spec.externalName: xn--pyments-2fg.example.com",
				`column 1: the punycode label decodes to "pаyments", where а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`}, 1},
		{"webhook.yaml", "ValidatingWebhookConfiguration", "", "audit-hook", checks.StatusFail,
			`a look-alike character in the URL field webhooks[0].clientConfig.url: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`,
			[]string{"webhooks[0].clientConfig.url: https://hooks.exаmple.com/validate", `column 17: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`}, 1},
		{"rbac.yaml", "RoleBinding", "team-a", "alice-edit", checks.StatusFail,
			`a look-alike character in the RBAC subject field subjects[0].name: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`,
			[]string{"subjects[0].name: аlice@example.com", `column 1: а U+0430 CYRILLIC SMALL LETTER A (looks like "a")`}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			checktest.Cluster(t).Apply(t, checktest.Fixture("api-lookalikes/"+tt.file))
			r := checktest.RunLive(t, "api.lookalikes")
			if len(r.Findings) != 1 {
				t.Fatalf("%d findings, want 1: %s", len(r.Findings), checktest.DescribeObjectFindings(r))
			}
			f := checktest.RequireObjectFinding(t, r, tt.severity, tt.kind, tt.namespace, tt.name, tt.message)
			if r.Status != tt.severity {
				t.Errorf("status %v, want %v", r.Status, tt.severity)
			}
			if got := strings.Join(f.Evidence, "\n"); got != strings.Join(tt.evidence, "\n") {
				t.Errorf("evidence:\n%s\nwant:\n%s", got, strings.Join(tt.evidence, "\n"))
			}
			if f.Cause != (tt.explains > 0) || len(f.Explains) != tt.explains || !f.Written ||
				tt.explains > 0 && f.Explains[0] != *f.Object {
				t.Errorf("cause %v, explains %v, written %v: want the %d objects holding the value, the finding's first",
					f.Cause, f.Explains, f.Written, tt.explains)
			}
			if len(f.Commands) != 1 || !strings.Contains(f.Commands[0].String(), tt.name) {
				t.Errorf("commands %v", f.Commands)
			}
		})
	}
}

// TestLookalikesLegitimateText: text in other scripts, emoji and the invisible characters such
// text needs give no finding, and neither does the healthy cluster.
func TestLookalikesLegitimateText(t *testing.T) {
	r := checktest.RunLive(t, "api.lookalikes")
	if r.Status != checks.StatusOK || len(r.Findings) != 0 {
		t.Fatalf("healthy cluster: %v %q %s", r.Status, r.Summary, checktest.DescribeObjectFindings(r))
	}
	checktest.Cluster(t).Apply(t, checktest.Fixture("api-lookalikes-legit"))
	r = checktest.RunLive(t, "api.lookalikes")
	if r.Status != checks.StatusOK || len(r.Findings) != 0 || !strings.HasPrefix(r.Summary, "no look-alike or invisible characters in ") {
		t.Fatalf("legitimate text: %v %q %s", r.Status, r.Summary, checktest.DescribeObjectFindings(r))
	}
}

// TestLookalikesCommandShowsTheField: the suggested command prints the field and greps it.
func TestLookalikesCommandShowsTheField(t *testing.T) {
	r := runLookalikesOffline(t, &corev1.Pod{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "web", Image: "nginx:lаtest"}}},
	})
	if len(r.Findings) != 1 {
		t.Fatalf("findings: %+v", r.Findings)
	}
	want := `kubectl -n shop get pods web -o 'jsonpath={.spec.containers[0].image}' | grep -nP '[^\x00-\x7F]'`
	if got := r.Findings[0].Commands[0].String(); got != want {
		t.Errorf("command\n%s\nwant\n%s", got, want)
	}
}

// TestLookalikesLeavesFieldsToTheirChecks: the Corefile, Service selectors and APIService names
// are reported by the checks that read them, not twice.
func TestLookalikesLeavesFieldsToTheirChecks(t *testing.T) {
	r := runLookalikesOffline(t,
		&corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "coredns"},
			Data:       map[string]string{"Corefile": ".:53 {\n    forward . /etс/resolv.conf\n}\n"}},
		&corev1.Service{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"},
			Spec:       corev1.ServiceSpec{Selector: map[string]string{"app": "wеb"}}},
		apiService("v1.аpps", "apps", nil),
	)
	if len(r.Findings) != 0 || r.Status != checks.StatusOK {
		t.Errorf("%v: %s", r.Status, checktest.DescribeObjectFindings(r))
	}
}

// TestLookalikesBounded: a cluster with many distinct look-alikes gets the first ones and a
// count of the rest, never a flood.
func TestLookalikesBounded(t *testing.T) {
	var pods []*corev1.Pod
	for i := range maxLookalikeFindings + 7 {
		pods = append(pods, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "p" + strings.Repeat("x", i)},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "nginx:lаtest" + strings.Repeat("1", i)}}}})
	}
	objs := make([]any, len(pods))
	for i, p := range pods {
		objs[i] = p
	}
	r := runLookalikesOffline(t, objs...)
	if len(r.Findings) != maxLookalikeFindings+1 {
		t.Fatalf("%d findings", len(r.Findings))
	}
	if last := r.Findings[maxLookalikeFindings]; last.Message != "7 more fields hold look-alike or invisible characters" || last.Severity != checks.StatusFail {
		t.Errorf("last finding %+v", last)
	}
}

// TestLookalikesPartialSnapshot: kinds the snapshot lacks are named in the summary; the check
// still judges what is there.
func TestLookalikesPartialSnapshot(t *testing.T) {
	r := runLookalikesOffline(t, &corev1.Pod{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "web"}})
	if r.Status != checks.StatusOK || !strings.Contains(r.Summary, "no look-alike or invisible characters in 1 object of 1 kind") ||
		!strings.Contains(r.Summary, "not read: deployments.apps, statefulsets.apps, daemonsets.apps, replicasets.apps, services, ") ||
		!strings.Contains(r.Summary, "globalnetworkpolicies.crd.projectcalico.org (not in snapshot)") {
		t.Errorf("%v %q", r.Status, r.Summary)
	}
}

func runLookalikesOffline(t *testing.T, objs ...any) checks.Result {
	t.Helper()
	var list []runtime.Object
	for _, o := range objs {
		list = append(list, o.(runtime.Object))
	}
	return checktest.RunCheck(t, checktest.OfflineEnv(t, list...), "api.lookalikes")
}

// TestLookalikesClassify: what a field holds decides its rank and whether a space look-alike
// counts; free-form maps are judged as text whatever their keys say.
func TestLookalikesClassify(t *testing.T) {
	path := func(parts ...any) *fieldPath {
		p := &fieldPath{}
		for _, x := range parts {
			switch x := x.(type) {
			case int:
				p.push(pathSeg{index: x})
			case string:
				key := strings.HasPrefix(x, "=")
				p.push(pathSeg{name: strings.TrimPrefix(x, "="), index: -1, key: key})
			}
		}
		return p
	}
	tests := []struct {
		p     *fieldPath
		isKey bool
		want  fieldClass
	}{
		{path("spec", "containers", 0, "image"), false, classImage},
		{path("spec", "template", "spec", "containers", 0, "env", 1, "value"), false, classEnvValue},
		{path("spec", "containers", 0, "args", 2), false, classCommand},
		{path("spec", "rules", 0, "host"), false, classHost},
		{path("spec", "externalName"), false, classHost},
		{path("webhooks", 0, "clientConfig", "url"), false, classURL},
		{path("spec", "volumes", 0, "hostPath", "path"), false, classPath},
		{path("subjects", 0, "name"), false, classSubject},
		{path("metadata", "annotations", "=url"), false, classText},
		{path("metadata", "annotations", "=image"), false, classText},
		{path("data", "=host"), false, classText},
		{path("=spec", "=endpointSelector", "=matchLabels", "=app"), false, classSelector},
		{path("metadata", "labels", "=app"), true, classKey},
		{path("spec", "provisioner"), false, classField},
	}
	for _, tt := range tests {
		if got := classify(tt.p, tt.isKey); got != tt.want {
			t.Errorf("classify(%s) = %s, want %s", tt.p, got, tt.want)
		}
	}
	if got := path("data", "=app.properties").JSONPath(); got != `{.data.app\.properties}` {
		t.Errorf("JSONPath = %s", got)
	}
	if got := path("metadata", "annotations", "=team example/owner").String(); got != `metadata.annotations["team example/owner"]` {
		t.Errorf("String = %s", got)
	}
}

// TestLookalikesManyCharactersInOneValue: a value full of look-alikes is one finding that
// shows the first characters and counts the rest.
func TestLookalikesManyCharactersInOneValue(t *testing.T) {
	r := runLookalikesOffline(t, &corev1.ConfigMap{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "hosts"},
		Data:       map[string]string{"hosts": strings.Repeat("orders.shop.svc.cluster.loсal\n", 12)}})
	if len(r.Findings) != 1 {
		t.Fatalf("findings: %s", checktest.DescribeObjectFindings(r))
	}
	f := r.Findings[0]
	if !strings.HasPrefix(f.Message, "a look-alike character (and 11 more) in the text field data.hosts: ") || f.Severity != checks.StatusFail {
		t.Errorf("message %q severity %v", f.Message, f.Severity)
	}
	if len(f.Evidence) != 1+maxCharsShown+1 || f.Evidence[1] != `line 1, column 27: с U+0441 CYRILLIC SMALL LETTER ES (looks like "c")` ||
		f.Evidence[len(f.Evidence)-1] != "... and 7 more characters" {
		t.Errorf("evidence:\n%s", strings.Join(f.Evidence, "\n"))
	}
}
