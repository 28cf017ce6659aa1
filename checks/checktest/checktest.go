package checktest

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"debug/elf"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/cli-runtime/pkg/genericclioptions"
)

// Snapshot is an offline snapshot of the objects, for the api.* checks' pure-logic tests.
func Snapshot(t *testing.T, objs ...runtime.Object) *kube.Snapshot {
	t.Helper()
	snap, err := kube.NewObjectSnapshot(t.Context(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	return snap
}

func PEMCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// Authority is a throw-away CA for certificates with chosen names and dates.
type Authority struct {
	Cert *x509.Certificate
	Key  *ecdsa.PrivateKey
}

func NewCA(t *testing.T) *Authority {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "kockpit-test-ca"},
		NotBefore:             time.Now().Add(-72 * time.Hour),
		NotAfter:              time.Now().Add(10 * 365 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &Authority{Cert: cert, Key: key}
}

// LeafPair issues a serving certificate for the name (a DNS name or an IP) with the dates.
func (a *Authority) LeafPair(t *testing.T, cn string, notBefore, notAfter time.Time, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    notBefore,
		NotAfter:     notAfter,
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
	}
	if ip := net.ParseIP(name); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{name}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.Cert, &key.PublicKey, a.Key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func (a *Authority) Leaf(t *testing.T, cn string, notBefore, notAfter time.Time, name string) *x509.Certificate {
	c, _ := a.LeafPair(t, cn, notBefore, notAfter, name)
	return c
}

// Server starts a TLS server that answers /version with a certificate from this CA.
func (a *Authority) Server(t *testing.T, notBefore, notAfter time.Time, name string) *httptest.Server {
	t.Helper()
	cert, key := a.LeafPair(t, "kube-apiserver", notBefore, notAfter, name)
	srv := httptest.NewUnstartedServer(VersionHandler(0))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{cert.Raw}, PrivateKey: key, Leaf: cert}}}
	srv.StartTLS()
	return srv
}

// ELFHeader builds the first 20 bytes of an ELF file.
func ELFHeader(class elf.Class, data elf.Data, osabi elf.OSABI, typ elf.Type, machine elf.Machine) []byte {
	b := make([]byte, 64)
	copy(b, elf.ELFMAG)
	b[elf.EI_CLASS], b[elf.EI_DATA], b[elf.EI_VERSION], b[elf.EI_OSABI] = byte(class), byte(data), 1, byte(osabi)
	var order binary.ByteOrder = binary.LittleEndian
	if data == elf.ELFDATA2MSB {
		order = binary.BigEndian
	}
	order.PutUint16(b[16:], uint16(typ))
	order.PutUint16(b[18:], uint16(machine))
	return b
}

// MachOHeader builds the first 8 bytes of a thin Mach-O file, as written on little-endian Macs.
func MachOHeader(cpu uint32) []byte {
	b := make([]byte, 32)
	binary.LittleEndian.PutUint32(b, 0xfeedfacf)
	binary.LittleEndian.PutUint32(b[4:], cpu)
	return b
}

// LiveEnv connects to the test cluster with a kubeconfig, as kockpit's command line does, and
// returns the Env a run would give the checks.
func LiveEnv(t testing.TB, kubeconfig string) *checks.Env {
	t.Helper()
	flags := genericclioptions.NewConfigFlags(true)
	flags.KubeConfig = &kubeconfig
	cluster, kc, err := kube.Connect(flags, Version)
	if err != nil {
		t.Fatalf("connecting with %s: %v", kubeconfig, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return &checks.Env{
		Snapshot:   kube.NewLiveSnapshot(ctx, cluster),
		Cluster:    cluster,
		Kubeconfig: kc,
		Now:        time.Now,
		Selected:   area,
	}
}

// RunCheck runs one registered check through the runner, as a real run does.
func RunCheck(t testing.TB, env *checks.Env, id string) checks.Result {
	t.Helper()
	list, err := checks.Select(area, []string{id}, nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []checks.Result
	for r := range checks.Run(context.Background(), list, env, checks.RunOptions{Timeout: 20 * time.Second}) {
		got = append(got, r)
	}
	if len(got) != 1 {
		t.Fatalf("check %s gave %d results", id, len(got))
	}
	return got[0]
}

// RunLive runs one check against the test cluster as admin.
func RunLive(t *testing.T, id string) checks.Result {
	t.Helper()
	return RunCheck(t, LiveEnv(t, Cluster(t).AdminKubeconfig), id)
}

// LiveWithout runs a check on what the test cluster holds, minus the objects drop matches: for
// breakages that remove what the healthy fixture has (the cluster keeps it; fixtures only add).
func LiveWithout(t *testing.T, id string, drop func(kind, namespace, name string) bool) checks.Result {
	t.Helper()
	live := LiveEnv(t, Cluster(t).AdminKubeconfig)
	var keep []runtime.Object
	for _, r := range kube.KnownResources {
		objs, err := live.Snapshot.List(t.Context(), r)
		if errors.Is(err, kube.ErrNotInstalled) {
			continue
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range objs {
			m, err := meta.Accessor(o)
			if err != nil {
				t.Fatal(err)
			}
			if !drop(r.Kind, m.GetNamespace(), m.GetName()) {
				keep = append(keep, o)
			}
		}
	}
	snap, err := kube.NewObjectSnapshot(t.Context(), keep...)
	if err != nil {
		t.Fatal(err)
	}
	return RunCheck(t, &checks.Env{Snapshot: snap, Selected: area}, id)
}

// requireFinding returns the finding whose message contains msg, failing the test when there is
// none or when its severity or object differ.
func RequireObjectFinding(t *testing.T, r checks.Result, severity checks.Status, kind, namespace, name, msg string) checks.Finding {
	t.Helper()
	for _, f := range r.Findings {
		if !strings.Contains(f.Message, msg) {
			continue
		}
		if f.Severity != severity {
			t.Errorf("finding %q: severity %v, want %v", f.Message, f.Severity, severity)
		}
		if f.Object == nil || f.Object.Kind != kind || f.Object.Namespace != namespace || f.Object.Name != name {
			t.Errorf("finding %q: object %+v, want %s %s/%s", f.Message, f.Object, kind, namespace, name)
		}
		if len(f.Commands) == 0 {
			t.Errorf("finding %q has no command", f.Message)
		}
		return f
	}
	t.Fatalf("no finding says %q; got:\n%s", msg, DescribeObjectFindings(r))
	return checks.Finding{}
}

// RequireNoProblems fails unless the result is OK (or a Skip) with no Warn or Fail finding.
func RequireNoProblems(t *testing.T, r checks.Result) {
	t.Helper()
	if r.Status > checks.StatusOK {
		t.Fatalf("status = %v (%s), want ok:\n%s", r.Status, r.Summary, DescribeObjectFindings(r))
	}
	for _, f := range r.Findings {
		if f.Severity > checks.StatusOK {
			t.Errorf("unexpected %v finding: %s", f.Severity, f.Message)
		}
	}
}

func DescribeObjectFindings(r checks.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "status %v: %s\n", r.Status, r.Summary)
	for _, f := range r.Findings {
		obj := "-"
		if f.Object != nil {
			obj = fmt.Sprintf("%s %s/%s", f.Object.Kind, f.Object.Namespace, f.Object.Name)
		}
		fmt.Fprintf(&b, "  %v [%s] %s\n", f.Severity, obj, f.Message)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "      %s\n", e)
		}
	}
	return b.String()
}

// ExplainedNames returns the names of the objects a finding explains, sorted.
func ExplainedNames(f checks.Finding) []string {
	var out []string
	for _, o := range f.Explains {
		out = append(out, o.Name)
	}
	slices.Sort(out)
	return out
}

// FindingWith returns the first finding whose message contains s.
func FindingWith(r checks.Result, s string) *checks.Finding {
	for i := range r.Findings {
		if strings.Contains(r.Findings[i].Message, s) {
			return &r.Findings[i]
		}
	}
	return nil
}

func OfflineEnv(t *testing.T, objs ...runtime.Object) *checks.Env {
	t.Helper()
	snap, err := kube.NewObjectSnapshot(context.Background(), objs...)
	if err != nil {
		t.Fatal(err)
	}
	return &checks.Env{Snapshot: snap}
}

func FindingsWith(r checks.Result, s string) []checks.Finding {
	var out []checks.Finding
	for _, f := range r.Findings {
		if strings.Contains(f.Message, s) {
			out = append(out, f)
		}
	}
	return out
}

func VersionHandler(delay time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(delay)
		if r.URL.Path != "/version" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"major":"1","minor":"37","gitVersion":"v1.37.2","platform":"linux/amd64"}`)
	})
}
