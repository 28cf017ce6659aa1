package kube

import (
	"context"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/cli-runtime/pkg/genericclioptions"

	"github.com/kockpit/kockpit/kube/testcluster"
)

// sharedCluster is the real API server the live drill-in tests read, started on first use.
var sharedCluster = testcluster.NewLazy(testcluster.Options{Fixtures: []string{"../testdata/fixtures/healthy"}})

func testCluster(t testing.TB) *testcluster.Cluster {
	t.Helper()
	return sharedCluster.Get(t)
}

// TestMain checks, after the tests, that kockpit never wrote to the cluster (if one started).
func TestMain(m *testing.M) { os.Exit(sharedCluster.Run(m)) }

func crashingPod() *corev1.Pod {
	t0 := metav1.NewTime(time.Date(2026, 11, 25, 9, 58, 0, 0, time.UTC))
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: "web-1", Namespace: "team-a", UID: "uid-web-1",
			Annotations:     map[string]string{lastApplied: `{"kind":"Pod"}`, "team": "a"},
			ManagedFields:   []metav1.ManagedFieldsEntry{{Manager: "kubectl"}, {Manager: "kubelet"}},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "web-6d4b"}}},
		Spec: corev1.PodSpec{NodeName: "worker1", Containers: []corev1.Container{{Name: "web", Image: "nginx"}}},
		Status: corev1.PodStatus{
			InitContainerStatuses: []corev1.ContainerStatus{{Name: "init", Ready: true,
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", ExitCode: 0}}}},
			ContainerStatuses: []corev1.ContainerStatus{{Name: "web", RestartCount: 7,
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "CrashLoopBackOff", Message: "back-off 5m0s"}},
				LastTerminationState: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					Reason: "OOMKilled", ExitCode: 137, FinishedAt: t0}}}},
		},
	}
}

func event(name, kind, ns, obj, uid, reason string, last time.Time) *corev1.Event {
	return &corev1.Event{
		TypeMeta:       metav1.TypeMeta{APIVersion: "v1", Kind: "Event"},
		ObjectMeta:     metav1.ObjectMeta{Name: name, Namespace: ns},
		InvolvedObject: corev1.ObjectReference{Kind: kind, Namespace: ns, Name: obj, UID: types.UID(uid)},
		Reason:         reason, Message: reason + " happened", Type: "Warning", Count: 3,
		LastTimestamp: metav1.NewTime(last),
	}
}

func TestFetchObjectOffline(t *testing.T) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	snap, err := NewObjectSnapshot(ctx, crashingPod(),
		event("e1", "Pod", "team-a", "web-1", "uid-web-1", "BackOff", t0.Add(-time.Minute)),
		event("e2", "Pod", "team-a", "web-1", "", "OOMKilling", t0),
		event("e3", "Pod", "team-a", "web-1", "uid-of-an-earlier-web-1", "Old", t0),
		event("e4", "Pod", "team-a", "web-2", "", "Other", t0),
		event("e5", "Node", "", "web-1", "", "SameNameOtherKind", t0),
	)
	if err != nil {
		t.Fatal(err)
	}
	d, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "v1", Kind: "Pod", Namespace: "team-a", Name: "web-1"})
	if err != nil {
		t.Fatal(err)
	}
	if d.Live {
		t.Error("an object from snapshot files is not live")
	}
	for _, bad := range []string{"  managedFields:", "manager: kubectl", `{"kind":"Pod"}`, "null"} {
		if strings.Contains(d.YAML, bad) {
			t.Errorf("YAML shows %q:\n%s", bad, d.YAML)
		}
	}
	for _, want := range []string{"# managedFields: 2 entries folded", "last-applied-configuration: folded", "name: web-1", "team: a", "nodeName: worker1"} {
		if !strings.Contains(d.YAML, want) {
			t.Errorf("YAML lacks %q:\n%s", want, d.YAML)
		}
	}
	var reasons []string
	for _, e := range d.Events {
		reasons = append(reasons, e.Reason)
	}
	if strings.Join(reasons, ",") != "OOMKilling,BackOff" {
		t.Errorf("events %v, want the pod's own, newest first", reasons)
	}
	if len(d.Containers) != 2 || !d.Containers[0].Init || d.Containers[1].State != "waiting: CrashLoopBackOff" ||
		d.Containers[1].Message != "back-off 5m0s" || d.Containers[1].Restarts != 7 ||
		d.Containers[1].LastTermination != "OOMKilled (exit 137) at 2026-11-25T09:58:00Z" {
		t.Errorf("containers %+v", d.Containers)
	}
	if len(d.Related) != 2 || d.Related[0].String() != "ReplicaSet team-a/web-6d4b" || d.Related[1].String() != "Node worker1" {
		t.Errorf("related %v", d.Related)
	}

	if _, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "v1", Kind: "Pod", Namespace: "team-a", Name: "nope"}); err == nil ||
		!strings.Contains(err.Error(), "not in the snapshot") {
		t.Errorf("a missing pod: %v", err)
	}
	if _, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "v1", Kind: "Node", Name: "cp1"}); err == nil ||
		!strings.Contains(err.Error(), "not in the snapshot files") {
		t.Errorf("a kind the files lack: %v", err)
	}
	if _, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "example.com/v1", Kind: "Widget", Name: "w"}); err == nil {
		t.Error("an unknown kind offline must be an error")
	}
}

// TestFetchObjectTooDeep: an object nested thousands of levels deep (the decoders allow 10000)
// is not written as YAML, whose indentation grows with the square of the depth: 50 KB nested
// 9000 deep became 80 MB of YAML and took 10 s, for the cockpit to hold and draw.
func TestFetchObjectTooDeep(t *testing.T) {
	defer debug.SetMaxStack(debug.SetMaxStack(64 << 20))
	ctx := context.Background()
	const depth = 9000
	path := filepath.Join(t.TempDir(), "policy.yaml")
	os.WriteFile(path, []byte("apiVersion: crd.projectcalico.org/v1\nkind: NetworkPolicy\n"+
		"metadata: {name: deep, namespace: team-a}\nspec:\n  x: "+
		strings.Repeat("{a: ", depth)+"1"+strings.Repeat("}", depth)+"\n"), 0o600)
	snap, err := LoadSnapshot(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	key := ObjectKey{APIVersion: "crd.projectcalico.org/v1", Kind: "NetworkPolicy", Namespace: "team-a", Name: "deep"}
	start := time.Now()
	d, err := FetchObject(ctx, snap, key)
	if err == nil || !strings.Contains(err.Error(), "NetworkPolicy team-a/deep nests more than 128 levels deep") ||
		!strings.Contains(err.Error(), "kubectl get -o json") {
		n := 0
		if d != nil {
			n = len(d.YAML)
		}
		t.Errorf("error %.300v (YAML of %d bytes)", err, n)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("took %v", took)
	}
	if deeper(map[string]any{"a": []any{map[string]any{"b": 1}}}, 2) || !deeper(map[string]any{"a": []any{map[string]any{"b": 1}}}, 1) {
		t.Error("deeper miscounts")
	}
}

func TestSecretValuesAreRedacted(t *testing.T) {
	secret := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Secret",
		"metadata": map[string]any{"name": "db", "namespace": "team-a",
			"annotations": map[string]any{lastApplied: `{"data":{"password":"aHVudGVyMg=="}}`,
				"openshift.io/token-secret.value": "eyJhbGciOi.hunter3", "kubernetes.io/service-account.name": "builder"}},
		"data":       map[string]any{"password": "aHVudGVyMg=="},
		"stringData": map[string]any{"token": "hunter2"},
	}}
	y, err := objectYAML(secret)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"aHVudGVyMg==", "hunter2", "hunter3"} {
		if strings.Contains(y, bad) {
			t.Errorf("the Secret's value %q is shown:\n%s", bad, y)
		}
	}
	for _, want := range []string{"password: <redacted, about 9 bytes>", "token: <redacted, about 7 bytes>", "2 Secret values redacted", "service-account.name: builder"} {
		if !strings.Contains(y, want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
	if secret.Object["data"].(map[string]any)["password"] != "aHVudGVyMg==" {
		t.Error("objectYAML changed the object it was given")
	}
}

func liveSnapshot(t *testing.T) *Snapshot {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(true)
	kc := testCluster(t).AdminKubeconfig
	flags.KubeConfig = &kc
	c, _, err := Connect(flags, "test")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return NewLiveSnapshot(ctx, c)
}

func TestFetchObjectLive(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret.yaml")
	os.WriteFile(file, []byte(`apiVersion: v1
kind: Secret
metadata: {name: db-password, namespace: team-a}
stringData: {password: kockpit-must-not-show-this}
---
apiVersion: v1
kind: Event
metadata: {name: web-crash, namespace: kube-system}
involvedObject: {kind: Pod, namespace: kube-system, name: etcd-cp1, apiVersion: v1}
reason: BackOff
type: Warning
message: "Back-off restarting \x1b[31mfailed\x1b[0m container"
firstTimestamp: "2026-11-25T09:00:00Z"
lastTimestamp: "2026-11-25T09:59:00Z"
count: 4
source: {component: kubelet}
`), 0o600)
	testCluster(t).Apply(t, file)
	snap := liveSnapshot(t)
	ctx := context.Background()

	d, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "etcd-cp1"})
	if err != nil {
		t.Fatal(err)
	}
	if !d.Live || !strings.Contains(d.YAML, "name: etcd-cp1") || strings.Contains(d.YAML, "\nmanagedFields") ||
		strings.Contains(d.YAML, "  managedFields:") {
		t.Errorf("live pod: live %v\n%s", d.Live, d.YAML)
	}
	if len(d.Events) != 1 || d.Events[0].Reason != "BackOff" || !strings.Contains(d.Events[0].Message, "\x1b[31m") {
		t.Errorf("events %+v (the message is kept exact; the cockpit makes it visible)", d.Events)
	}
	if len(d.Containers) == 0 || d.Containers[0].State != "running" {
		t.Errorf("containers %+v", d.Containers)
	}

	s, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "v1", Kind: "Secret", Namespace: "team-a", Name: "db-password"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(s.YAML, "kockpit-must-not-show-this") || strings.Contains(s.YAML, "a29ja3BpdC1tdXN0LW5vdC1zaG93LXRoaXM") ||
		!strings.Contains(s.YAML, "password: <redacted") {
		t.Errorf("a live Secret's value is shown:\n%s", s.YAML)
	}
	if _, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "v1", Kind: "Pod", Namespace: "kube-system", Name: "nope"}); err == nil ||
		!strings.Contains(err.Error(), "not found") {
		t.Errorf("a missing pod: %v", err)
	}
	// A kind known only through discovery.
	if _, err := FetchObject(ctx, snap, ObjectKey{APIVersion: "scheduling.k8s.io/v1", Kind: "PriorityClass", Name: "system-node-critical"}); err != nil {
		t.Errorf("a kind found by discovery: %v", err)
	}
}

func TestEnvValuesNamedLikeCredentialsAreRedacted(t *testing.T) {
	container := func(env ...any) map[string]any { return map[string]any{"name": "app", "env": env} }
	deploy := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "apps/v1", "kind": "Deployment",
		"metadata": map[string]any{"name": "web", "namespace": "team-a"},
		"spec": map[string]any{"template": map[string]any{"spec": map[string]any{
			"initContainers": []any{container(map[string]any{"name": "GITHUB_TOKEN", "value": "ghp_abcdef"})},
			"containers": []any{container(
				map[string]any{"name": "DB_PASSWORD", "value": "hunter2"},
				map[string]any{"name": "LOG_LEVEL", "value": "debug"},
				map[string]any{"name": "API_KEY", "valueFrom": map[string]any{
					"secretKeyRef": map[string]any{"name": "api", "key": "key"}}},
			)},
		}}},
	}}
	y, err := objectYAML(deploy)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"hunter2", "ghp_abcdef"} {
		if strings.Contains(y, bad) {
			t.Errorf("the env value %q is shown:\n%s", bad, y)
		}
	}
	for _, want := range []string{"value: debug", "name: api", "# 2 env values named like credentials redacted", "value: <redacted, 7 bytes>"} {
		if !strings.Contains(y, want) {
			t.Errorf("YAML lacks %q:\n%s", want, y)
		}
	}
}

func TestRelatedOfAMirrorPod(t *testing.T) {
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "etcd-cp1", "namespace": "kube-system",
			"ownerReferences": []any{map[string]any{"apiVersion": "v1", "kind": "Node", "name": "cp1", "uid": "u"}}},
		"spec": map[string]any{"nodeName": "cp1"},
	}}
	got := related(pod)
	want := []ObjectKey{{APIVersion: "v1", Kind: "Node", Name: "cp1"}}
	if !slices.Equal(got, want) {
		t.Errorf("related of a mirror pod: %v, want %v (the Node once, without a namespace)", got, want)
	}
}

func TestCredentialsInArgsAndConfigMapsAreRedacted(t *testing.T) {
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "sync", "namespace": "team-a"},
		"spec": map[string]any{"containers": []any{map[string]any{
			"name": "sync", "image": "example/sync:1",
			"args": []any{"--token=eyJhbGciOiJSUzI1NiJ9.c2VjcmV0c2VjcmV0.c2ln", "--verbose"},
		}}},
	}}
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "kubeconfig", "namespace": "team-a"},
		"data":     map[string]any{"config": "users:\n- name: ci\n  user:\n    token: s3cr3t-t0ken\n"},
	}}
	for _, obj := range []*unstructured.Unstructured{pod, cm} {
		y, err := objectYAML(obj)
		if err != nil {
			t.Fatal(err)
		}
		for _, bad := range []string{"c2VjcmV0c2VjcmV0", "s3cr3t-t0ken"} {
			if strings.Contains(y, bad) {
				t.Errorf("%s shows %q:\n%s", obj.GetKind(), bad, y)
			}
		}
		if !strings.Contains(y, "<redacted>") {
			t.Errorf("%s: no redaction marker:\n%s", obj.GetKind(), y)
		}
	}
}

// TestCredentialsSplitByYAMLAreRedacted: the YAML writer folds long strings at about 80
// columns and writes values with a newline as blocks, so a name and its value can land on
// different lines of the drill-in.
func TestCredentialsSplitByYAMLAreRedacted(t *testing.T) {
	cm := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "ConfigMap",
		"metadata": map[string]any{"name": "sync", "namespace": "team-a"},
		"data": map[string]any{
			// kubectl create configmap --from-file=token: files end in a newline.
			"token": "FILETOKEN\n",
			// Folded after "--token" or after "Bearer".
			"run.sh": strings.Repeat("a", 65) + " --token FOLDTOKEN x",
			"curl":   strings.Repeat("x", 48) + " -H 'Authorization: Bearer FOLDBEARER' -o out",
		},
	}}
	y, err := objectYAML(cm)
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"FILETOKEN", "FOLDTOKEN", "FOLDBEARER"} {
		if strings.Contains(y, bad) {
			t.Errorf("the drill-in shows %q:\n%s", bad, y)
		}
	}
}

// TestSplitFlagValuesAreRedactedInTheDrillIn: a container's command and args are a YAML
// sequence where a credential flag and its value are two items; the value item is redacted,
// whatever spells the flag (a look-alike letter, an invisible character), and so are
// credentials known by their shape wherever they stand. What is not a credential stays.
func TestSplitFlagValuesAreRedactedInTheDrillIn(t *testing.T) {
	pod := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "api", "namespace": "kube-system",
			"annotations": map[string]any{"ci/pushed-by": "ghp_0123456789abcdefghijABCDEFGHIJ012345"}},
		"spec": map[string]any{"containers": []any{
			map[string]any{
				"name": "api", "image": "registry.k8s.io/kube-apiserver:v1.31.0",
				"command": []any{"kube-apiserver", "--password", "hunter2-split", "--token", "tok-split-1",
					"--client-secret", "cs-split-1", "--tok\u0435n", "lookalike-split", "--tok\u200ben", "zw-split",
					"--oidc-client-secret=eq-split", "--v=2"},
				"env": []any{map[string]any{"name": "AWS_ACCESS_KEY_ID", "value": "AKIAIOSFODNN7EXAMPLE"}},
			},
			map[string]any{
				"name": "push", "image": "example/push:1",
				"command": []any{"sshpass", "-p", "ssh-pw-split", "ssh", "-p", "2222", "deploy@host"},
				"args":    []any{"--token", "--insecure", "--api-key", "ak-split-1"},
			},
		}},
	}}
	y, err := objectYAML(pod)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range []string{"hunter2-split", "tok-split-1", "cs-split-1", "lookalike-split", "zw-split", "eq-split",
		"ssh-pw-split", "ak-split-1", "AKIAIOSFODNN7EXAMPLE", "ghp_0123456789"} {
		if strings.Contains(y, secret) {
			t.Errorf("the drill-in YAML shows %q:\n%s", secret, y)
		}
	}
	for _, kept := range []string{"- --password\n", "- --v=2\n", "- --insecure\n", "- \"2222\"\n", "- deploy@host\n", "- ssh\n", "--oidc-client-secret=<redacted>"} {
		if !strings.Contains(y, kept) {
			t.Errorf("the drill-in YAML lost %q:\n%s", kept, y)
		}
	}
}
