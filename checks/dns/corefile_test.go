package dns

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube"
)

// The dns.corefile judgement on objects in memory, for distributions and cases the fixtures do
// not cover.

func corefileConfigMap(name string, data map[string]string) *corev1.ConfigMap {
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: name},
		Data:       data,
	}
}

func node(name string) *corev1.Node {
	return &corev1.Node{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Node"}, ObjectMeta: metav1.ObjectMeta{Name: name}}
}

func runCorefile(t *testing.T, objs ...runtime.Object) checks.Result {
	t.Helper()
	snap, err := kube.NewObjectSnapshot(t.Context(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	r := runDNSCorefile(t.Context(), &checks.Env{Snapshot: snap})
	// The snapshot holds only the kinds a test gives; the note on the others is tested in
	// TestDNSCorefileNamesWhatItCouldNotRead.
	r.Findings = slices.DeleteFunc(r.Findings, func(f checks.Finding) bool { return f.Problem == "kinds-not-read" })
	return r
}

// Without Deployments and nodes the Corefile is still judged, from kubeadm's ConfigMap, and
// the result names both kinds, with why.
func TestDNSCorefileNamesWhatItCouldNotRead(t *testing.T) {
	snap, err := kube.NewObjectSnapshot(t.Context(), corefileConfigMap("coredns", map[string]string{"Corefile": ".:53 {\n    kubernetes cluster.local\n    forward . /etc/resolv.conf\n    loop\n}\n"}))
	if err != nil {
		t.Fatal(err)
	}
	r := runDNSCorefile(t.Context(), &checks.Env{Snapshot: snap})
	if r.Status != checks.StatusOK || !strings.HasSuffix(r.Summary, "; not read: deployments.apps (not collected), nodes (not collected)") {
		t.Errorf("%v %q", r.Status, r.Summary)
	}
	note := checktest.FindingWith(r, "not judged: deployments.apps, nodes")
	if note == nil || note.Severity != checks.StatusOK || len(note.Evidence) != 2 {
		t.Errorf("note = %+v", note)
	}
}

// TestDNSCorefileK3s: k3s's Corefile has a hosts plugin reading NodeHosts, a key of the same
// ConfigMap that lists the nodes; that is no hijack. An extra entry in it is.
func TestDNSCorefileK3s(t *testing.T) {
	text := `.:53 {
    errors
    health
    ready
    kubernetes cluster.local in-addr.arpa ip6.arpa {
      pods insecure
      fallthrough in-addr.arpa ip6.arpa
    }
    hosts /etc/coredns/NodeHosts {
      ttl 60
      reload 15s
      fallthrough
    }
    prometheus :9153
    forward . /etc/resolv.conf
    cache 30
    loop
    reload
    loadbalance
    import /etc/coredns/custom/*.override
}
import /etc/coredns/custom/*.server
`
	hosts := "192.168.1.10 server-1\n192.168.1.11 agent-1\n"
	r := runCorefile(t, corefileConfigMap("coredns", map[string]string{"Corefile": text, "NodeHosts": hosts}), node("server-1"), node("agent-1"))
	if r.Status != checks.StatusOK {
		t.Fatalf("k3s's default Corefile: %v %+v", r.Status, r.Findings)
	}
	if len(r.Findings) != 2 || r.Findings[0].Severity != checks.StatusOK || !strings.Contains(r.Findings[0].Message, `imports "/etc/coredns/custom/*.override"`) {
		t.Errorf("the skipped imports are said: %+v", r.Findings)
	}
	r = runCorefile(t, corefileConfigMap("coredns", map[string]string{"Corefile": text, "NodeHosts": hosts + "203.0.113.7 registry.k8s.io\n"}), node("server-1"), node("agent-1"))
	f := findingAt(r, 9, checks.StatusWarn)
	if r.Status != checks.StatusWarn || f == nil || f.Evidence[len(f.Evidence)-1] != "NodeHosts: 203.0.113.7 registry.k8s.io" {
		t.Errorf("a hijack in NodeHosts: %v %+v", r.Status, r.Findings)
	}
}

func TestDNSCorefileMissing(t *testing.T) {
	dep := corednsDeployment(2, 2)
	dep.Spec.Template.Spec.Volumes = []corev1.Volume{{Name: "config-volume", VolumeSource: corev1.VolumeSource{
		ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "coredns-custom-cfg"},
			Items: []corev1.KeyToPath{{Key: "Corefile.main", Path: "Corefile"}}}}}}
	r := runCorefile(t, dep, corefileConfigMap("coredns", map[string]string{"Corefile": kubeadmCorefile}))
	if r.Status != checks.StatusFail || !strings.Contains(r.Findings[0].Message, "mounts configmap kube-system/coredns-custom-cfg, which does not exist") {
		t.Errorf("the Deployment's own ConfigMap is the one read: %v %+v", r.Status, r.Findings)
	}
	r = runCorefile(t, dep, corefileConfigMap("coredns-custom-cfg", map[string]string{"Corefile": kubeadmCorefile}))
	if r.Status != checks.StatusFail || r.Findings[0].Message != `configmap kube-system/coredns-custom-cfg has no key "Corefile.main", so CoreDNS has no configuration to read` {
		t.Errorf("missing key: %v %+v", r.Status, r.Findings)
	}
	r = runCorefile(t, dep, corefileConfigMap("coredns-custom-cfg", map[string]string{"Corefile.main": kubeadmCorefile}))
	if r.Status != checks.StatusOK {
		t.Errorf("the key the volume maps is read: %v %+v", r.Status, r.Findings)
	}
	r = runCorefile(t, corefileConfigMap("other", nil))
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotInstalled {
		t.Errorf("no CoreDNS at all: %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
	kubeDNS := deployment("kube-system", "kube-dns", corev1.PodSpec{})
	r = runCorefile(t, kubeDNS, corefileConfigMap("kube-dns", nil))
	if r.Status != checks.StatusSkip || r.SkipReason != checks.SkipNotApplicable {
		t.Errorf("kube-dns has no Corefile: %v %s %q", r.Status, r.SkipReason, r.Summary)
	}
}

func TestDNSCorefileDetails(t *testing.T) {
	text := "# upstreams: \u200bthe resolvers of the node\n" + `.:53 {
    errors
    kubernetes cluster.local
    forward . {$UPSTREAM} 10.0.0.2:53 dns.google
    loop
}
`
	r := runCorefile(t, corefileConfigMap("coredns", map[string]string{"Corefile": text}))
	if r.Status != checks.StatusFail {
		t.Fatalf("status = %v %+v", r.Status, r.Findings)
	}
	var upstreams []string
	for _, f := range r.Findings {
		if strings.HasPrefix(f.Message, "forward sends") {
			upstreams = append(upstreams, f.Message)
		}
	}
	if len(upstreams) != 1 || !strings.Contains(upstreams[0], `to "dns.google"`) {
		t.Errorf("only the host name is a bad upstream; {$UPSTREAM} comes from CoreDNS's environment: %q", upstreams)
	}
	comment := findingAt(r, 1, checks.StatusWarn)
	if comment == nil || !strings.Contains(comment.Message, "in a comment") || !strings.Contains(comment.Evidence[1], "U+200B") {
		t.Errorf("a look-alike in a comment is a Warn: %+v", r.Findings)
	}
}

func TestDNSCorefileLookalikeLines(t *testing.T) {
	var b strings.Builder
	b.WriteString("\ufeff.:53 {\n    kubernetes cluster.local\n    forward . /etc/resolv.conf\n    loop\n")
	for i := range 15 {
		fmt.Fprintf(&b, "    # заметка %d\n", i)
	}
	b.WriteString("}\n")
	r := runCorefile(t, corefileConfigMap("coredns", map[string]string{"Corefile": b.String()}))
	if r.Status != checks.StatusWarn || len(r.Findings) != corefileLookalikeLines+1 {
		t.Fatalf("got %v with %d findings: %+v", r.Status, len(r.Findings), r.Findings)
	}
	if bom := r.Findings[0]; bom.File.Line != 1 || !strings.Contains(bom.Message, "U+FEFF") || bom.Severity != checks.StatusWarn {
		t.Errorf("a leading byte order mark is dropped by CoreDNS too: %+v", bom)
	}
	last := r.Findings[len(r.Findings)-1]
	if last.Message != "6 more lines of the Corefile have characters outside ASCII" || last.Evidence[0] != "lines 14 to 19" {
		t.Errorf("the rest is one finding: %+v", last)
	}
}
