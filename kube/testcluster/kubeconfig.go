package testcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
)

// writeConfig writes what the servers read (certificates, keys, tokens, audit policy) and the
// kubeconfigs, and fills the cluster's paths and AdminConfig.
func (c *Cluster) writeConfig(kcmToken string) error {
	p, err := newPKI()
	if err != nil {
		return fmt.Errorf("generating certificates: %w", err)
	}
	d := c.Dir
	// token,user,uid,"group,..."
	tokens := fmt.Sprintf("%s,%s,%s,\"system:masters\"\n%s,%s,%s\n%s,controller-manager,controller-manager,\"system:masters\"\n",
		c.adminToken, AdminUser, AdminUser, c.viewerToken, ViewerUser, ViewerUser, kcmToken)
	if err := writeFiles(map[string][]byte{
		c.CAFile:                              p.caPEM,
		filepath.Join(d, "apiserver.crt"):     p.certPEM,
		filepath.Join(d, "apiserver.key"):     p.keyPEM,
		filepath.Join(d, "sa.key"):            p.saKeyPEM,
		filepath.Join(d, "sa.pub"):            p.saPubPEM,
		filepath.Join(d, "tokens.csv"):        []byte(tokens),
		filepath.Join(d, "audit-policy.yaml"): []byte(auditPolicy),
	}); err != nil {
		return err
	}
	c.AdminConfig = &rest.Config{
		Host:            c.Server,
		BearerToken:     c.adminToken,
		TLSClientConfig: rest.TLSClientConfig{CAFile: c.CAFile},
	}
	c.AdminKubeconfig = filepath.Join(d, "admin.kubeconfig")
	c.ViewerKubeconfig = filepath.Join(d, "viewer.kubeconfig")
	for path, cfg := range map[string]*clientcmdapi.Config{
		c.AdminKubeconfig:  c.kubeconfig(AdminUser, c.adminToken, p.caPEM),
		c.ViewerKubeconfig: c.kubeconfig(ViewerUser, c.viewerToken, p.caPEM),
		filepath.Join(d, "controller-manager.kubeconfig"): c.kubeconfig("controller-manager", kcmToken, p.caPEM),
	} {
		if err := clientcmd.WriteToFile(*cfg, path); err != nil {
			return err
		}
	}
	return nil
}

// kubeconfig is a self-contained kubeconfig for a token user: the CA is embedded, so a test
// may replace it without also clearing a file path.
func (c *Cluster) kubeconfig(user, token string, caPEM []byte) *clientcmdapi.Config {
	cfg := clientcmdapi.NewConfig()
	cluster := clientcmdapi.NewCluster()
	cluster.Server = c.Server
	cluster.CertificateAuthorityData = caPEM
	cfg.Clusters[ClusterName] = cluster
	auth := clientcmdapi.NewAuthInfo()
	auth.Token = token
	cfg.AuthInfos[user] = auth
	ctx := clientcmdapi.NewContext()
	ctx.Cluster, ctx.AuthInfo = ClusterName, user
	name := user + "@" + ClusterName
	cfg.Contexts[name] = ctx
	cfg.CurrentContext = name
	return cfg
}

// KubeconfigWith writes the admin's kubeconfig, changed by mutate, into a temp dir of the test
// and returns its path: for negative tests with a wrong CA, an unknown token or another server
// URL. The config holds cluster ClusterName, user AdminUser and context AdminContext, current;
// the CA is embedded as CertificateAuthorityData.
func (c *Cluster) KubeconfigWith(t testing.TB, mutate func(*clientcmdapi.Config)) string {
	t.Helper()
	ca, err := os.ReadFile(c.CAFile)
	if err != nil {
		t.Fatalf("reading the cluster CA: %v", err)
	}
	cfg := c.kubeconfig(AdminUser, c.adminToken, ca)
	if mutate != nil {
		mutate(cfg)
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*cfg, path); err != nil {
		t.Fatalf("writing kubeconfig: %v", err)
	}
	return path
}
