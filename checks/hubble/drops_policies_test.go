package hubble

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/checktest"
	"github.com/kockpit/kockpit/kube/hubble"
)

// TestPolicyDropsNameTheSelectingPolicies: flows dropped by policy with no *_denied_by name the
// policies that select the dropped endpoint in the real API server: the egress policy of the
// source pod (not its ingress policy), and for a pod gone from the cluster, the ingress policy
// its flow's labels select. A flow that names its policy keeps it.
func TestPolicyDropsNameTheSelectingPolicies(t *testing.T) {
	c := checktest.Cluster(t)
	c.Apply(t, checktest.Fixture("hubble-policy-denied"))
	rec, err := hubble.OpenRecording(t.Context(), filepath.Join(checktest.Testdata(), "hubble", "policy-denied.jsonpb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	env := checktest.LiveEnv(t, c.AdminKubeconfig)
	env.Flows = rec
	r := checktest.RunCheck(t, env, "hubble.drops")

	egress := checktest.FindingWith(r, "3 flows from shop/Deployment orders to world on TCP/443 dropped: policy denied; the policies that select shop/Deployment orders (egress): NetworkPolicy shop/orders-egress")
	if egress == nil {
		t.Fatalf("no egress group naming orders-egress (%v %s):\n%s", r.Status, r.Summary, messages(r))
	}
	if strings.Contains(egress.Message, "orders-ingress") {
		t.Errorf("an ingress-only policy named for an egress drop: %s", egress.Message)
	}
	if ev := strings.Join(egress.Evidence, "\n"); !strings.Contains(ev, "evaluated from pod shop/orders-5c6b7-klmno (the flows name none)") {
		t.Errorf("evidence does not say it was evaluated from the pod: %q", egress.Evidence)
	}
	want := checks.ObjectRef{APIVersion: "networking.k8s.io/v1", Kind: "NetworkPolicy", Namespace: "shop", Name: "orders-egress"}
	if len(egress.ExplainedBy) != 1 || egress.ExplainedBy[0] != want || !egress.Cause {
		t.Errorf("explained by %+v (cause %v), want the policy %+v", egress.ExplainedBy, egress.Cause, want)
	}
	if !slices.ContainsFunc(egress.Commands, func(c checks.Command) bool {
		return c.String() == "kubectl -n shop get networkpolicy orders-egress -o yaml"
	}) {
		t.Errorf("no command showing the policy: %v", egress.Commands)
	}

	// POLICY_DENY groups with POLICY_DENIED; reports-9x8y7-zzzzz is not in the cluster.
	ingress := checktest.FindingWith(r, "2 flows from shop/Deployment frontend to shop/Deployment reports on TCP/8080 dropped: policy denied; the policies that select shop/Deployment reports (ingress): NetworkPolicy shop/reports-ingress")
	if ingress == nil {
		t.Fatalf("no ingress group naming reports-ingress:\n%s", messages(r))
	}
	if ev := strings.Join(ingress.Evidence, "\n"); !strings.Contains(ev, "evaluated from the flow's endpoint labels (k8s:app=reports,k8s:io.kubernetes.pod.namespace=shop), the pod is no longer in the cluster") {
		t.Errorf("evidence does not say the labels came from the flow: %q", ingress.Evidence)
	}

	named := checktest.FindingWith(r, "1 flow from shop/Deployment frontend to shop/Deployment payments on TCP/8443 dropped: policy denied by NetworkPolicy shop/payments-ingress")
	if named == nil || len(named.ExplainedBy) != 1 || named.ExplainedBy[0].Name != "payments-ingress" {
		t.Fatalf("the policy the flow names is not kept as what explains the drop:\n%s", messages(r))
	}
}

// Offline with flows only, nothing is evaluated and the hint says where to look.
func TestPolicyDropsWithoutObjectsSayWhereToLook(t *testing.T) {
	rec, err := hubble.OpenRecording(t.Context(), filepath.Join(checktest.Testdata(), "hubble", "policy-denied.jsonpb"), nil)
	if err != nil {
		t.Fatal(err)
	}
	r := checktest.RunCheck(t, flowsOnly(rec), "hubble.drops")
	f := checktest.FindingWith(r, "3 flows from shop/Deployment orders to world on TCP/443 dropped: policy denied")
	if f == nil || strings.Contains(f.Message, "select") || len(f.ExplainedBy) != 0 || !strings.Contains(f.Hint, "shop/Deployment orders (egress) (network.policies lists them)") {
		t.Fatalf("%+v\n%s", f, messages(r))
	}
}

func TestEndpointPod(t *testing.T) {
	pod, ok := endpointPod("", []string{"reserved:host", "k8s:app=reports", "k8s:io.kubernetes.pod.namespace=shop",
		"k8s:io.cilium.k8s.policy.serviceaccount=reporter", "k8s:io.cilium.k8s.namespace.labels.team=a", "k8s:tier", "container:x=y"})
	if !ok || pod.Namespace != "shop" || pod.Spec.ServiceAccountName != "reporter" || len(pod.Labels) != 2 ||
		pod.Labels["app"] != "reports" || pod.Labels["tier"] != "" {
		t.Fatalf("%v %+v %v", ok, pod.ObjectMeta, pod.Spec.ServiceAccountName)
	}
	if _, ok := endpointPod("shop", []string{"reserved:world"}); ok {
		t.Error("a reserved identity is no pod")
	}
	if _, ok := endpointPod("", []string{"k8s:app=x"}); ok {
		t.Error("no namespace: no pod to evaluate")
	}
}

// FuzzEndpointPod: whatever labels a flow carries, the pod has only the k8s: labels it gave,
// none of Cilium's derived ones, and a namespace.
func FuzzEndpointPod(f *testing.F) {
	f.Add("shop", "k8s:app=orders\nk8s:io.kubernetes.pod.namespace=shop")
	f.Add("", "k8s:io.kubernetes.pod.namespace=a\nk8s:io.cilium.k8s.policy.cluster=default\nk8s:=x")
	f.Add("ns", "reserved:world\ncidr:10.0.0.0/8\nk8s:a=b=c\nk8s:\u0430pp=x")
	f.Fuzz(func(t *testing.T, namespace, joined string) {
		labels := strings.Split(joined, "\n")
		pod, ok := endpointPod(namespace, labels)
		if !ok {
			return
		}
		if pod.Namespace == "" || len(pod.Labels) == 0 {
			t.Fatalf("ok with %+v", pod.ObjectMeta)
		}
		for k, v := range pod.Labels {
			if strings.HasPrefix(k, "io.cilium.k8s.") || k == "io.kubernetes.pod.namespace" || k == "" {
				t.Errorf("derived or empty key %q kept", k)
			}
			if !slices.Contains(labels, "k8s:"+k+"="+v) && !(v == "" && slices.Contains(labels, "k8s:"+k)) {
				t.Errorf("label %q=%q not in the flow's labels", k, v)
			}
		}
	})
}
