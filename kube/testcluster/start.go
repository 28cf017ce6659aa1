package testcluster

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
)

// startTimeout bounds each wait of a start: the API server's readiness, the roles' aggregation.
const startTimeout = 60 * time.Second

// serviceCIDR is the service IP range; fixture Services pick their cluster IPs in it.
const serviceCIDR = "10.96.0.0/16"

const auditPolicy = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: ["RequestReceived"]
rules:
# Secrets' responses are logged whole, so a test can prove from the log what kind of answer a
# read of Secrets got: metadata only (PartialObjectMetadataList), or their values.
- level: RequestResponse
  resources: [{group: "", resources: ["secrets"]}]
- level: Metadata
`

func start(opts Options, binDir, etcd string) (_ *Cluster, err error) {
	dir, err := os.MkdirTemp("", "kockpit-testcluster-")
	if err != nil {
		return nil, err
	}
	c := &Cluster{
		Dir:             dir,
		BinDir:          binDir,
		ViewerNamespace: viewerNamespace,
		CAFile:          filepath.Join(dir, "ca.crt"),
		AuditLog:        filepath.Join(dir, "audit.log"),
		adminToken:      token(),
		viewerToken:     token(),
	}
	defer func() {
		if err != nil {
			c.Stop()
		}
	}()
	ports, err := freePorts(3)
	if err != nil {
		return nil, err
	}
	etcdClient, etcdPeer, apiPort := ports[0], ports[1], ports[2]
	c.Server = "https://127.0.0.1:" + strconv.Itoa(apiPort)

	if err := c.startEtcd(etcd, etcdClient, etcdPeer); err != nil {
		return nil, err
	}
	kcmToken := token()
	if err := c.writeConfig(kcmToken); err != nil {
		return nil, fmt.Errorf("writing the cluster's files: %w", err)
	}
	if err := c.startAPIServer(apiPort, etcdClient); err != nil {
		return nil, err
	}
	if err := c.waitReady(); err != nil {
		return nil, err
	}
	// The controller manager gives up if the API server is not healthy within seconds of its
	// start, so it starts only now.
	kcm, err := spawn(dir, "kube-controller-manager", filepath.Join(binDir, "kube-controller-manager"),
		"--kubeconfig="+filepath.Join(dir, "controller-manager.kubeconfig"),
		"--controllers=clusterrole-aggregation",
		"--leader-elect=false",
		"--secure-port=0",
	)
	if err != nil {
		return nil, err
	}
	c.procs = append(c.procs, kcm)

	cs, err := kubernetes.NewForConfig(c.setupConfig("setup"))
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), startTimeout)
	defer cancel()
	if err := bindViewer(ctx, cs); err != nil {
		return nil, err
	}
	if err := c.waitAggregated(ctx, cs); err != nil {
		return nil, err
	}
	// The authorizer sees the binding and the aggregated rules a moment after they exist.
	api, err := c.clients()
	if err != nil {
		return nil, err
	}
	viewerMayList := map[string]any{"user": ViewerUser, "resourceAttributes": map[string]any{"resource": "pods", "verb": "list", "namespace": viewerNamespace}}
	if err := api.waitAllowed(ctx, viewerMayList); err != nil {
		return nil, fmt.Errorf("the viewer's binding: %w", err)
	}
	if len(opts.Fixtures) > 0 {
		if _, err := c.apply(ctx, opts.Fixtures); err != nil {
			return nil, fmt.Errorf("applying Options.Fixtures: %w", err)
		}
	}
	return c, nil
}

// startEtcd starts etcd on loopback with its data in Dir. Fsync is skipped where etcd can
// (3.5+); with 3.4 a start was measured no faster with the data on tmpfs, so it stays in Dir.
func (c *Cluster) startEtcd(etcd string, clientPort, peerPort int) error {
	client := "http://127.0.0.1:" + strconv.Itoa(clientPort)
	peer := "http://127.0.0.1:" + strconv.Itoa(peerPort)
	args := []string{
		"--name=testcluster",
		"--data-dir=" + filepath.Join(c.Dir, "etcd"),
		"--listen-client-urls=" + client,
		"--advertise-client-urls=" + client,
		"--listen-peer-urls=" + peer,
		"--initial-advertise-peer-urls=" + peer,
		"--initial-cluster=testcluster=" + peer,
		"--log-level=warn",
	}
	if etcdHasFlag(etcd, "--unsafe-no-fsync") {
		args = append(args, "--unsafe-no-fsync")
	}
	p, err := spawn(c.Dir, "etcd", etcd, args...)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	return nil
}

func etcdHasFlag(etcd, flag string) bool {
	out, _ := exec.Command(etcd, "--help").CombinedOutput()
	return strings.Contains(string(out), flag)
}

func (c *Cluster) startAPIServer(port, etcdPort int) error {
	d := c.Dir
	p, err := spawn(d, "kube-apiserver", filepath.Join(c.BinDir, "kube-apiserver"),
		"--bind-address=127.0.0.1",
		// The endpoint reconciler refuses a loopback address, and would only publish the
		// "kubernetes" Service's endpoints, which nothing here uses.
		"--advertise-address=127.0.0.1",
		"--endpoint-reconciler-type=none",
		"--secure-port="+strconv.Itoa(port),
		"--cert-dir="+d,
		"--tls-cert-file="+filepath.Join(d, "apiserver.crt"),
		"--tls-private-key-file="+filepath.Join(d, "apiserver.key"),
		"--token-auth-file="+filepath.Join(d, "tokens.csv"),
		"--authorization-mode=Node,RBAC",
		"--service-account-issuer=https://kubernetes.default.svc.cluster.local",
		"--service-account-key-file="+filepath.Join(d, "sa.pub"),
		"--service-account-signing-key-file="+filepath.Join(d, "sa.key"),
		"--service-cluster-ip-range="+serviceCIDR,
		"--audit-policy-file="+filepath.Join(d, "audit-policy.yaml"),
		"--audit-log-path="+c.AuditLog,
		"--audit-log-format=json",
		// Blocking: an event is written before its response completes, so the log read after a
		// request has returned holds it.
		"--audit-log-mode=blocking",
		// The ServiceAccount plugin would want each namespace's "default" account, which only
		// the controller manager's service-account controller creates.
		"--disable-admission-plugins=ServiceAccount",
		"--allow-privileged=true",
		"--etcd-servers=http://127.0.0.1:"+strconv.Itoa(etcdPort),
		"--profiling=false",
	)
	if err != nil {
		return err
	}
	c.procs = append(c.procs, p)
	return nil
}

// waitReady polls /readyz until it answers ok, a server dies, or the time is up.
func (c *Cluster) waitReady() error {
	pool := x509.NewCertPool()
	ca, err := os.ReadFile(c.CAFile)
	if err != nil {
		return err
	}
	pool.AppendCertsFromPEM(ca)
	client := &http.Client{
		Timeout:   2 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	defer client.CloseIdleConnections()
	deadline := time.Now().Add(startTimeout)
	last := "no answer"
	for time.Now().Before(deadline) {
		for _, p := range c.procs {
			if err := p.died(); err != nil {
				return err
			}
		}
		req, _ := http.NewRequest(http.MethodGet, c.Server+"/readyz", nil)
		req.Header.Set("Authorization", "Bearer "+c.adminToken)
		req.Header.Set("User-Agent", "kockpit-testcluster/setup")
		if resp, err := client.Do(req); err != nil {
			last = err.Error()
		} else {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = resp.Status
		}
		time.Sleep(50 * time.Millisecond)
	}
	api := c.procs[len(c.procs)-1]
	return fmt.Errorf("kube-apiserver not ready after %s (last: %s); end of %s:\n%s", startTimeout, last, api.logPath, api.tail(30))
}

// bindViewer creates the viewer's namespace and binds the viewer to ClusterRole view there.
func bindViewer(ctx context.Context, cs kubernetes.Interface) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: viewerNamespace}}
	if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("creating namespace %s: %w", viewerNamespace, err)
	}
	rb := &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "viewer-view", Namespace: viewerNamespace},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "view"},
		Subjects:   []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: ViewerUser}},
	}
	if _, err := cs.RbacV1().RoleBindings(viewerNamespace).Create(ctx, rb, metav1.CreateOptions{}); err != nil {
		return fmt.Errorf("binding the viewer to ClusterRole view: %w", err)
	}
	return nil
}

// waitAggregated waits until the controller manager has filled the aggregated roles: until
// then "view" grants nothing and the viewer's tests would fail for the wrong reason.
func (c *Cluster) waitAggregated(ctx context.Context, cs kubernetes.Interface) error {
	kcm := c.procs[len(c.procs)-1]
	for _, name := range []string{"view", "edit", "admin"} {
		for {
			role, err := cs.RbacV1().ClusterRoles().Get(ctx, name, metav1.GetOptions{})
			if err == nil && len(role.Rules) > 0 {
				break
			}
			if err := kcm.died(); err != nil {
				return err
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("ClusterRole %s still has no rules (%v); end of %s:\n%s", name, ctx.Err(), kcm.logPath, kcm.tail(30))
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
	return nil
}

// setupConfig is the admin's REST config with a user agent naming what the test cluster does:
// never "kockpit/", so the read-only proof does not count the harness's own writes.
func (c *Cluster) setupConfig(purpose string) *rest.Config {
	cfg := rest.CopyConfig(c.AdminConfig)
	cfg.UserAgent = "kockpit-testcluster/" + purpose
	cfg.QPS, cfg.Burst = -1, 0 // no client-side rate limit
	return cfg
}
