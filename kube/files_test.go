package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	discoveryv1 "k8s.io/api/discovery/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	sigsyaml "sigs.k8s.io/yaml"
)

const snapshots = "../testdata/snapshots"

var ciliumPolicies = Resource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies", Kind: "CiliumNetworkPolicy", Namespaced: true}

func mustLoad(t *testing.T, path string) *Snapshot {
	t.Helper()
	s, err := LoadSnapshot(context.Background(), path)
	if err != nil {
		t.Fatalf("LoadSnapshot(%s): %v", path, err)
	}
	return s
}

func names[T interface{ GetName() string }](objs []T) []string {
	out := make([]string, len(objs))
	for i, o := range objs {
		out[i] = o.GetName()
	}
	return out
}

func wantNames[T interface{ GetName() string }](t *testing.T, what string, objs []T, err error, want ...string) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if got := strings.Join(names(objs), ","); got != strings.Join(want, ",") {
		t.Errorf("%s: got %q, want %q", what, got, strings.Join(want, ","))
	}
}

func TestLoadMultiDocYAML(t *testing.T) {
	ctx := context.Background()
	s := mustLoad(t, filepath.Join(snapshots, "multi-doc.yaml"))
	if s.Live() || s.Cluster() != nil || s.Source() != filepath.Join(snapshots, "multi-doc.yaml") {
		t.Errorf("Live %v, Cluster %v, Source %q", s.Live(), s.Cluster(), s.Source())
	}
	pods, err := ListOf[*corev1.Pod](ctx, s, Pods)
	wantNames(t, "pods", pods, err, "kube-apiserver-cp1", "web-7d4b9c")
	if p := pods[1]; p.Kind != "Pod" || p.APIVersion != "v1" || p.Spec.Containers[0].Resources.Requests.Cpu().Cmp(resource.MustParse("100m")) != 0 {
		t.Errorf("pod decoded wrongly: %+v", p)
	}
	nodes, err := ListOf[*corev1.Node](ctx, s, Nodes)
	wantNames(t, "nodes", nodes, err, "cp1")
	deps, err := ListOf[*appsv1.Deployment](ctx, s, Deployments)
	wantNames(t, "deployments", deps, err, "web")
	if *deps[0].Spec.Replicas != 2 {
		t.Errorf("replicas = %d", *deps[0].Spec.Replicas)
	}
	apis, err := ListUnstructured(ctx, s, APIServices)
	wantNames(t, "apiservices", apis, err, "v1beta1.metrics.k8s.io")
	cnps, err := ListUnstructured(ctx, s, ciliumPolicies)
	wantNames(t, "cilium policies", cnps, err, "deny-all")
	if cnps[0].GetAPIVersion() != "cilium.io/v2" || cnps[0].GetNamespace() != "default" {
		t.Errorf("CRD object: %v", cnps[0].Object)
	}
}

func TestLoadGetAllList(t *testing.T) {
	ctx := context.Background()
	s := mustLoad(t, filepath.Join(snapshots, "get-all.yaml"))
	ns, err := ListOf[*corev1.Namespace](ctx, s, Namespaces)
	wantNames(t, "namespaces", ns, err, "default")
	if want := time.Date(2024, 11, 2, 9, 14, 3, 0, time.UTC); !ns[0].CreationTimestamp.Equal(&metav1.Time{Time: want}) {
		t.Errorf("creationTimestamp = %v", ns[0].CreationTimestamp)
	}
	pods, err := ListOf[*corev1.Pod](ctx, s, Pods)
	wantNames(t, "pods", pods, err, "web-7d4b9c6f8-x2k9p")
	slices, err := ListOf[*discoveryv1.EndpointSlice](ctx, s, EndpointSlices)
	wantNames(t, "endpointslices", slices, err, "web-abcde")
	ds, err := ListOf[*appsv1.DaemonSet](ctx, s, DaemonSets)
	wantNames(t, "daemonsets", ds, err, "kube-proxy")
	if ds[0].Status.DesiredNumberScheduled != 3 {
		t.Errorf("daemonset status: %+v", ds[0].Status)
	}
	cnps, err := ListUnstructured(ctx, s, ciliumPolicies)
	wantNames(t, "cilium policies", cnps, err, "allow-dns")
}

func TestLoadClusterInfoDump(t *testing.T) {
	ctx := context.Background()
	s := mustLoad(t, filepath.Join(snapshots, "cluster-info-dump"))
	nodes, err := ListOf[*corev1.Node](ctx, s, Nodes)
	wantNames(t, "nodes", nodes, err, "cp1", "worker1", "worker2")
	pods, err := ListOf[*corev1.Pod](ctx, s, Pods)
	wantNames(t, "pods", pods, err, "coredns-7c65d6cfc9-4xk2p", "kube-apiserver-cp1", "kube-proxy-a7b2c")
	// The dump's list items carry no kind; the list's kind names them.
	if pods[0].Kind != "Pod" || pods[0].APIVersion != "v1" || nodes[0].Kind != "Node" {
		t.Errorf("TypeMeta not set: %v %v", pods[0].TypeMeta, nodes[0].TypeMeta)
	}
	// Empty lists ("items": null) still say the kind was collected.
	events, err := ListOf[*corev1.Event](ctx, s, Events)
	wantNames(t, "events", events, err)
	deps, err := ListOf[*appsv1.Deployment](ctx, s, Deployments)
	wantNames(t, "deployments", deps, err)
	// A kind kockpit does not read stays unstructured, by group and kind.
	rcs := Resource{Version: "v1", Resource: "replicationcontrollers", Kind: "ReplicationController", Namespaced: true}
	if _, err := s.List(ctx, rcs); err != nil {
		t.Errorf("replication controllers: %v", err)
	}
	// The dump has no config maps: not collected, which is not the same as none.
	_, err = s.List(ctx, ConfigMaps)
	if !errors.Is(err, ErrNotCollected) {
		t.Fatalf("config maps: want ErrNotCollected, got %v", err)
	}
	var nc *NotCollectedError
	if !errors.As(err, &nc) || nc.Resource != ConfigMaps || !strings.Contains(err.Error(), "ConfigMap") {
		t.Errorf("error does not name the resource: %v", err)
	}
}

func loadBytes(t *testing.T, name, data string) (*Snapshot, error) {
	t.Helper()
	return LoadSnapshotFS(context.Background(), fstest.MapFS{name: {Data: []byte(data)}}, name, name)
}

func TestLoadShapes(t *testing.T) {
	for name, tc := range map[string]struct {
		file, data string
		want       []string
	}{
		"BOM":           {"a.yaml", "\uFEFFapiVersion: v1\nkind: Node\nmetadata: {name: n1}\n", []string{"n1"}},
		"JSON with BOM": {"a.json", "\uFEFF" + `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}`, []string{"n1"}},
		"concatenated JSON": {"a.json", `{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}
			{"apiVersion":"v1","kind":"Node","metadata":{"name":"n2"}}`, []string{"n1", "n2"}},
		"JSON in a .yaml file":               {"a.yaml", `{"apiVersion":"v1","kind":"List","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}]}`, []string{"n1"}},
		"JSON List, kind after items":        {"a.json", `{"apiVersion":"v1","items":[{"apiVersion":"v1","kind":"Node","metadata":{"name":"n1"}}],"kind":"List"}`, []string{"n1"}},
		"typed YAML list without item kinds": {"a.yaml", "apiVersion: v1\nkind: NodeList\nitems:\n- metadata: {name: n1}\n- metadata: {name: n2}\n", []string{"n1", "n2"}},
		"empty documents and comments":       {"a.yaml", "# header\n---\n---\n# nothing\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n---\n", []string{"n1"}},
		"duplicates keep the last, once":     {"a.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {v: first}}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n2}\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1, labels: {v: last}}\n", []string{"n1", "n2"}},
		"anchors and merge keys":             {"a.yaml", "apiVersion: v1\nkind: Node\nmetadata: &m {name: n1}\n---\napiVersion: v1\nkind: List\nitems:\n- &n {apiVersion: v1, kind: Node, metadata: {name: n2}}\n- <<: *n\n  metadata: {name: n3}\n", []string{"n1", "n2", "n3"}},
		"List of Lists":                      {"a.yaml", "apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: NodeList\n  items:\n  - metadata: {name: n1}\n", []string{"n1"}},
		"explicit file of any name":          {"dump.txt", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n", []string{"n1"}},
	} {
		t.Run(name, func(t *testing.T) {
			s, err := loadBytes(t, tc.file, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			nodes, err := ListOf[*corev1.Node](context.Background(), s, Nodes)
			wantNames(t, "nodes", nodes, err, tc.want...)
			if name == "duplicates keep the last, once" && nodes[0].Labels["v"] != "last" {
				t.Errorf("kept %v, want the last", nodes[0].Labels)
			}
		})
	}
}

func TestLoadDuplicatesAcrossFiles(t *testing.T) {
	fsys := fstest.MapFS{
		"d/1.yaml": {Data: []byte("apiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: a}\nspec: {nodeName: first}\n")},
		"d/2.json": {Data: []byte(`{"kind":"PodList","apiVersion":"v1","items":[{"metadata":{"name":"p","namespace":"a"},"spec":{"nodeName":"last"}},{"metadata":{"name":"p","namespace":"b"}}]}`)},
	}
	s, err := LoadSnapshotFS(context.Background(), fsys, "d", "d")
	if err != nil {
		t.Fatal(err)
	}
	pods, err := ListOf[*corev1.Pod](context.Background(), s, Pods)
	if err != nil || len(pods) != 2 || pods[0].Spec.NodeName != "last" || pods[1].Namespace != "b" {
		t.Fatalf("got %d pods (%v), want a/p from the last file and b/p", len(pods), err)
	}
}

// TestListConvertsForm covers a Resource declared outside KnownResources: the files keep its
// objects unstructured, and a typed Resource gets them typed, and the other way round.
func TestListConvertsForm(t *testing.T) {
	ctx := context.Background()
	s, err := loadBytes(t, "a.yaml", "apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: s, namespace: a}\nautomountServiceAccountToken: false\n---\napiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
	if err != nil {
		t.Fatal(err)
	}
	serviceAccounts := Resource{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true, Typed: true}
	got, err := ListOf[*corev1.ServiceAccount](ctx, s, serviceAccounts)
	if err != nil || len(got) != 1 || got[0].AutomountServiceAccountToken == nil || *got[0].AutomountServiceAccountToken || got[0].Kind != "ServiceAccount" {
		t.Fatalf("typed service accounts: %v %v", got, err)
	}
	untypedNodes := Nodes
	untypedNodes.Typed = false
	nodes, err := ListUnstructured(ctx, s, untypedNodes)
	wantNames(t, "untyped nodes", nodes, err, "n1")
	if nodes[0].GetKind() != "Node" {
		t.Errorf("kind %q", nodes[0].GetKind())
	}
}

func TestListAbsentKindIsNotCollected(t *testing.T) {
	s := mustLoad(t, filepath.Join(snapshots, "multi-doc.yaml"))
	for _, r := range []Resource{StatefulSets, Events, ciliumPolicies.withKind("CiliumClusterwideNetworkPolicy")} {
		if _, err := s.List(context.Background(), r); !errors.Is(err, ErrNotCollected) || !strings.Contains(err.Error(), r.String()) {
			t.Errorf("%s: want ErrNotCollected naming it, got %v", r, err)
		}
	}
}

func (r Resource) withKind(kind string) Resource {
	r.Kind, r.Resource = kind, strings.ToLower(kind)+"s"
	return r
}

func TestServerVersionOffline(t *testing.T) {
	ctx := context.Background()
	for path, want := range map[string]string{"multi-doc.yaml": "v1.31.2", "cluster-info-dump": "v1.37.2"} {
		v, err := mustLoad(t, filepath.Join(snapshots, path)).ServerVersion(ctx)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if v.GitVersion != want || v.Major != "1" || v.Minor != strings.Split(want, ".")[1] {
			t.Errorf("%s: got %+v, want %s", path, v, want)
		}
	}
	// No apiserver pod (a managed cluster): not collected.
	_, err := mustLoad(t, filepath.Join(snapshots, "get-all.yaml")).ServerVersion(ctx)
	if !errors.Is(err, ErrNotCollected) {
		t.Errorf("without an apiserver pod: want ErrNotCollected, got %v", err)
	}
	// No pods at all.
	s, _ := loadBytes(t, "a.yaml", "apiVersion: v1\nkind: Node\nmetadata: {name: n1}\n")
	if _, err := s.ServerVersion(ctx); !errors.Is(err, ErrNotCollected) {
		t.Errorf("without pods: want ErrNotCollected, got %v", err)
	}
}

func TestVersionFromImage(t *testing.T) {
	for image, want := range map[string]string{
		"registry.k8s.io/kube-apiserver:v1.31.2":                 "v1.31.2",
		"registry.k8s.io/kube-apiserver:v1.31.2@sha256:0123abcd": "v1.31.2",
		"myregistry:5000/kube-apiserver:v1.30.0-eks-1234":        "v1.30.0-eks-1234",
		"kube-apiserver:v1.32.0-rc.1":                            "v1.32.0-rc.1",
		"myregistry:5000/kube-apiserver":                         "",
		"registry.k8s.io/kube-apiserver:latest":                  "",
		"registry.k8s.io/kube-apiserver@sha256:0123abcd":         "",
		"":                                      "",
		"registry.k8s.io/kube-apiserver:1.31.2": "",
		"registry.k8s.io/kube-apiserver:v1.31":  "",
		"registry.k8s.io/kube-apiserver:v1.31.2-custom_build.tag": "",
	} {
		got := ""
		if v := versionFromImage(image); v != nil {
			got = v.GitVersion
		}
		if got != want {
			t.Errorf("versionFromImage(%q) = %q, want %q", image, got, want)
		}
	}
}

// wantInputError checks the error is an *InputError at file:line and its message has the words.
func wantInputError(t *testing.T, err error, file string, line int, words ...string) *InputError {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("want *InputError, got %T: %v", err, err)
	}
	if ie.File != file || ie.Line != line {
		t.Errorf("at %s:%d, want %s:%d: %v", ie.File, ie.Line, file, line, err)
	}
	prefix := file + ":"
	if line > 0 {
		prefix += fmt.Sprint(line) + ":"
	}
	if !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("message %q does not start with %q", err, prefix)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("message %q lacks %q", err, w)
		}
	}
	return ie
}

func TestLoadCanceled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := LoadSnapshot(ctx, filepath.Join(snapshots, "multi-doc.yaml"))
	if !errors.Is(err, context.Canceled) {
		t.Errorf("want context.Canceled, got %v", err)
	}
}

// FuzzLoadSnapshotFile feeds arbitrary bytes as one file: loading must not panic, must fail only
// with *InputError, and a loaded snapshot must list every known resource without panicking.
func FuzzLoadSnapshotFile(f *testing.F) {
	err := filepath.WalkDir(snapshots, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			f.Add(data)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Add([]byte(aliasBomb))
	f.Fuzz(func(t *testing.T, data []byte) {
		// A hang would only stall the fuzzer; a panic records the input.
		watchdog := time.AfterFunc(20*time.Second, func() { panic(fmt.Sprintf("hung on %q", data)) })
		defer watchdog.Stop()
		ctx := context.Background()
		s, err := LoadSnapshotFS(ctx, fstest.MapFS{"f": {Data: data}}, "f", "fuzz")
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("not an *InputError: %T %v", err, err)
			}
			return
		}
		for _, r := range append(KnownResources, ciliumPolicies) {
			objs, err := s.List(ctx, r)
			if err == nil {
				for _, o := range objs {
					_ = o.DeepCopyObject() // panics on values that are not JSON types
				}
			}
		}
		_, _ = s.ServerVersion(ctx)
	})
}

// podListJSON writes a PodList of n realistic pods, as kubectl cluster-info dump does.
func podListJSON(tb testing.TB, n int) []byte {
	tb.Helper()
	list := corev1.PodList{TypeMeta: metav1.TypeMeta{Kind: "PodList", APIVersion: "v1"}}
	start := metav1.NewTime(time.Date(2024, 11, 2, 9, 0, 0, 0, time.UTC))
	for i := range n {
		name := fmt.Sprintf("app-%d-7d4b9c6f8-x2k9p", i)
		list.Items = append(list.Items, corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{
				Name: name, Namespace: fmt.Sprintf("team-%d", i%50), UID: "0f6f3a2e-5b1c-4a7e-8d2f-1c9e4b7a6d33",
				ResourceVersion: "123456", CreationTimestamp: start,
				Labels:          map[string]string{"app": "app", "pod-template-hash": "7d4b9c6f8"},
				OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "app-7d4b9c6f8", UID: "1f6f3a2e"}},
			},
			Spec: corev1.PodSpec{
				NodeName: fmt.Sprintf("worker-%d", i%100),
				Containers: []corev1.Container{{
					Name: "app", Image: "registry.example.com/team/app:v1.2.3",
					Ports: []corev1.ContainerPort{{ContainerPort: 8080, Protocol: "TCP"}},
					Env:   []corev1.EnvVar{{Name: "MODE", Value: "production"}, {Name: "LOG_LEVEL", Value: "info"}},
					Resources: corev1.ResourceRequirements{
						Requests: corev1.ResourceList{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("128Mi")},
						Limits:   corev1.ResourceList{"memory": resource.MustParse("256Mi")},
					},
					VolumeMounts: []corev1.VolumeMount{{Name: "token", MountPath: "/var/run/secrets/kubernetes.io/serviceaccount", ReadOnly: true}},
				}},
				Volumes:     []corev1.Volume{{Name: "token", VolumeSource: corev1.VolumeSource{Projected: &corev1.ProjectedVolumeSource{}}}},
				Tolerations: []corev1.Toleration{{Key: "node.kubernetes.io/not-ready", Operator: "Exists", Effect: "NoExecute"}},
			},
			Status: corev1.PodStatus{
				Phase: corev1.PodRunning, PodIP: "10.244.1.17", HostIP: "192.168.1.10", StartTime: &start,
				Conditions: []corev1.PodCondition{
					{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: start},
					{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: start},
				},
				ContainerStatuses: []corev1.ContainerStatus{{
					Name: "app", Ready: true, RestartCount: 2, Image: "registry.example.com/team/app:v1.2.3",
					ImageID: "registry.example.com/team/app@sha256:4f0c8d", ContainerID: "containerd://4f0c8d",
					State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: start}},
				}},
			},
		})
	}
	data, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// configMapListJSON writes a ConfigMapList of n small ConfigMaps.
func configMapListJSON(tb testing.TB, n int) []byte {
	tb.Helper()
	list := corev1.ConfigMapList{TypeMeta: metav1.TypeMeta{Kind: "ConfigMapList", APIVersion: "v1"}}
	for i := range n {
		list.Items = append(list.Items, corev1.ConfigMap{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("cm-%d", i), Namespace: fmt.Sprintf("team-%d", i%50), ResourceVersion: "1"},
			Data:       map[string]string{"mode": "production"},
		})
	}
	data, err := json.MarshalIndent(list, "", "    ")
	if err != nil {
		tb.Fatal(err)
	}
	return data
}

// BenchmarkLoadSnapshot loads 20k pods and 50k small ConfigMaps, as a cluster-info dump's JSON
// and as the YAML of `kubectl get -A -o yaml` (block style, items at column 0), in MB/s.
func BenchmarkLoadSnapshot(b *testing.B) {
	for _, set := range []struct {
		name string
		n    int
		json func(testing.TB, int) []byte
		r    Resource
	}{{"pods", 20000, podListJSON, Pods}, {"configmaps", 50000, configMapListJSON, ConfigMaps}} {
		data := set.json(b, set.n)
		yamlData, err := sigsyaml.JSONToYAML(data)
		if err != nil {
			b.Fatal(err)
		}
		for _, f := range []struct {
			name string
			data []byte
		}{{set.name + ".json", data}, {set.name + ".yaml", yamlData}} {
			b.Run(f.name, func(b *testing.B) {
				fsys := fstest.MapFS{f.name: {Data: f.data}}
				b.SetBytes(int64(len(f.data)))
				for b.Loop() {
					s, err := LoadSnapshotFS(context.Background(), fsys, f.name, f.name)
					if err != nil {
						b.Fatal(err)
					}
					if objs, err := s.List(context.Background(), set.r); err != nil || len(objs) != set.n {
						b.Fatalf("%d objects, %v", len(objs), err)
					}
				}
			})
		}
	}
}
