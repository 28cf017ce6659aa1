package kube

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// canary is in every value of the snapshot-secrets fixture: no object kockpit holds may show it.
const canary = "snapshot-leak-canary"

// secretMetadataOnly fails unless every object is a Secret's metadata and holds no value.
func secretMetadataOnly(t *testing.T, objs []runtime.Object) map[string]*metav1.PartialObjectMetadata {
	t.Helper()
	byName := map[string]*metav1.PartialObjectMetadata{}
	for _, o := range objs {
		m, ok := o.(*metav1.PartialObjectMetadata)
		if !ok {
			t.Fatalf("got a %T, want metadata only", o)
		}
		if gvk := m.GroupVersionKind(); gvk.Kind != "Secret" || gvk.GroupVersion().String() != "v1" {
			t.Errorf("%s: kind %v", m.Name, gvk)
		}
		b, _ := json.Marshal(m)
		if strings.Contains(string(b), canary) || strings.Contains(string(b), lastApplied) || len(m.ManagedFields) > 0 {
			t.Errorf("a Secret's metadata holds more than names: %s", b)
		}
		byName[m.Namespace+"/"+m.Name] = m
	}
	return byName
}

// The live LIST asks for metadata only, and the audit log shows every read of Secrets by
// this client was answered with metadata, never a Secret's body.
func TestSecretMetadataLiveReadsNoValue(t *testing.T) {
	c := testCluster(t)
	c.Apply(t, "../testdata/fixtures/snapshot-secrets")
	const version = "secret-metadata-test"
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = &c.AdminKubeconfig
	cluster, _, err := Connect(flags, version)
	if err != nil {
		t.Fatal(err)
	}
	snap := NewLiveSnapshot(context.Background(), cluster)
	objs, err := snap.List(context.Background(), SecretMetadata)
	if err != nil {
		t.Fatal(err)
	}
	got := secretMetadataOnly(t, objs)
	s := got["team-a/db-credentials"]
	if s == nil || s.UID == "" || len(s.Annotations) > 0 {
		t.Errorf("team-a/db-credentials: %+v", s)
	}
	reads, bodies, err := c.SecretReadsBy(UserAgent(version))
	if err != nil {
		t.Fatal(err)
	}
	if len(reads) == 0 {
		t.Fatal("the audit log shows no read of Secrets: the proof proves nothing")
	}
	for _, e := range bodies {
		t.Errorf("a Secret's body was read: %s", e)
	}
	for _, e := range reads {
		if e.ResponseKind != "PartialObjectMetadataList" {
			t.Errorf("answered %q: %s", e.ResponseKind, e)
		}
	}
}

// A user who may not list Secrets gets Forbidden, which checks name as "cannot tell".
func TestSecretMetadataForbiddenToViewer(t *testing.T) {
	c := testCluster(t)
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = &c.ViewerKubeconfig
	cluster, _, err := Connect(flags, "test")
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewLiveSnapshot(context.Background(), cluster).List(context.Background(), SecretMetadata)
	if !apierrors.IsForbidden(err) {
		t.Errorf("want Forbidden, got %v", err)
	}
}

// Secrets in files are reduced to their metadata as they are decoded: YAML, JSON, a typed list.
func TestSecretMetadataFromFiles(t *testing.T) {
	secretYAML := `apiVersion: v1
kind: Secret
metadata:
  namespace: team-a
  name: db-credentials
  labels: {app: db}
  annotations:
    kubectl.kubernetes.io/last-applied-configuration: '{"stringData":{"password":"snapshot-leak-canary-applied"}}'
  managedFields: [{manager: kubectl, operation: Apply}]
data:
  password: c25hcHNob3QtbGVhay1jYW5hcnktZGF0YQ==
stringData:
  username: snapshot-leak-canary-string
`
	secretList := `{"apiVersion":"v1","kind":"SecretList","items":[{"metadata":{"namespace":"kube-system","name":"token"},"data":{"t":"c25hcHNob3QtbGVhay1jYW5hcnk="}}]}`
	s, err := loadText(t, map[string]string{"a.yaml": secretYAML, "b.json": secretList})
	if err != nil {
		t.Fatal(err)
	}
	objs, err := s.List(context.Background(), SecretMetadata)
	if err != nil {
		t.Fatal(err)
	}
	got := secretMetadataOnly(t, objs)
	if len(got) != 2 || got["team-a/db-credentials"] == nil || got["kube-system/token"] == nil {
		t.Fatalf("got %v", got)
	}
	if got["team-a/db-credentials"].Labels["app"] != "db" {
		t.Errorf("labels lost: %+v", got["team-a/db-credentials"])
	}
	if dump := fmt.Sprintf("%#v", s.src); strings.Contains(dump, canary) {
		t.Errorf("the snapshot holds a value")
	}
}

// Objects built in memory (tests, the demo) are reduced the same way.
func TestSecretMetadataFromObjects(t *testing.T) {
	sec := &corev1.Secret{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Secret"},
		ObjectMeta: metav1.ObjectMeta{Namespace: "team-a", Name: "pull", Annotations: map[string]string{lastApplied: canary}},
		Data:       map[string][]byte{"k": []byte(canary)}}
	s, err := NewObjectSnapshot(context.Background(), sec)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := s.List(context.Background(), SecretMetadata)
	if err != nil {
		t.Fatal(err)
	}
	if got := secretMetadataOnly(t, objs); got["team-a/pull"] == nil {
		t.Errorf("got %v", got)
	}
}

func TestDecodeMetadataListRefusesOtherKinds(t *testing.T) {
	for _, body := range []string{
		`{"kind":"SecretList","apiVersion":"v1","items":[{"metadata":{"name":"a"},"data":{"k":"dg=="}}]}`,
		`{"items":[]}`,
		`not json`,
	} {
		if _, err := decodeMetadataList(strings.NewReader(body)); err == nil {
			t.Errorf("accepted %s", body)
		}
	}
	list, err := decodeMetadataList(strings.NewReader(`{"kind":"PartialObjectMetadataList","apiVersion":"meta.k8s.io/v1","metadata":{"continue":"c"},"items":[{"metadata":{"name":"a","namespace":"n"}}]}`))
	if err != nil || len(list.Items) != 1 || list.Continue != "c" {
		t.Errorf("got %+v, %v", list, err)
	}
	big := `{"kind":"PartialObjectMetadataList","x":"` + strings.Repeat("a", maxMetadataPage) + `"}`
	if _, err := decodeMetadataList(strings.NewReader(big)); err == nil {
		t.Errorf("a page past the cap was accepted")
	}
}

func FuzzDecodeMetadataList(f *testing.F) {
	f.Add(`{"kind":"PartialObjectMetadataList","items":[{"metadata":{"name":"a","annotations":{"kubectl.kubernetes.io/last-applied-configuration":"x"}}}]}`)
	f.Add(`{"kind":"SecretList","items":[]}`)
	f.Add(`[]`)
	f.Fuzz(func(t *testing.T, body string) {
		list, err := decodeMetadataList(strings.NewReader(body))
		if err != nil {
			return
		}
		if list.Kind != "PartialObjectMetadataList" {
			t.Errorf("accepted a %q", list.Kind)
		}
		for i := range list.Items {
			m := reduceToMetadata(&list.Items[i].ObjectMeta, SecretMetadata.GVR().GroupVersion().WithKind("Secret"))
			if _, ok := m.Annotations[lastApplied]; ok || m.ManagedFields != nil {
				t.Errorf("kept %+v", m.ObjectMeta)
			}
		}
	})
}
