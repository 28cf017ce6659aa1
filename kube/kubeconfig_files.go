// The files a kubeconfig comes from, and those it names (certificates, keys, a token), are
// judged before client-go reads them: client-go reads a file whole, whatever it is, so a FIFO
// would block kockpit forever and /dev/zero would fill its memory.

package kube

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"

	"k8s.io/cli-runtime/pkg/genericclioptions"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"

	"github.com/kockpit/kockpit/internal/inputfile"
)

// MaxKubeconfigBytes bounds a kubeconfig file: the largest real ones, with hundreds of
// contexts and embedded certificates, are a few MiB.
const MaxKubeconfigBytes = 16 << 20

// MaxCredentialFileBytes bounds a file a kubeconfig names: a CA bundle, a certificate, a key
// or a token. A system CA bundle is a few hundred KiB.
const MaxCredentialFileBytes = 4 << 20

// checkKubeconfigFiles refuses a kubeconfig file that is not a regular file or is over
// MaxKubeconfigBytes, before client-go opens it. A file that does not exist is left to
// client-go, which says so for --kubeconfig and skips it in a KUBECONFIG list.
func checkKubeconfigFiles(access clientcmd.ConfigAccess) error {
	files := access.GetLoadingPrecedence()
	if rules, ok := access.(*clientcmd.ClientConfigLoadingRules); ok {
		// client-go copies ~/.kube/.kubeconfig to ~/.kube/config when only the old one exists.
		for dst, src := range rules.MigrationRules {
			if _, err := os.Stat(dst); errors.Is(err, fs.ErrNotExist) {
				files = append(files, src)
			}
		}
	}
	for _, f := range files {
		if f == "" {
			continue
		}
		fi, err := os.Stat(f)
		if err != nil {
			continue // missing or unreadable: client-go's own error says which
		}
		if err := inputfile.Check(f, fi, false, MaxKubeconfigBytes, "a kubeconfig"); err != nil {
			return fmt.Errorf("kubeconfig %s %w", f, err)
		}
	}
	return nil
}

// CheckCredentialFile judges one file a kubeconfig or a flag names (field says which, as the
// kubeconfig spells it): a regular file within MaxCredentialFileBytes. A missing file is not
// its business (nil): the client's own error, or the api.kubeconfig check, says so.
func CheckCredentialFile(field, path string) error {
	if path == "" {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil
	}
	if err := inputfile.Check(path, fi, false, MaxCredentialFileBytes, credentialWhat(field)); err != nil {
		return fmt.Errorf("%s %s %w", field, path, err)
	}
	return nil
}

// credentialWhat names what a kubeconfig field or flag holds, for messages.
func credentialWhat(field string) string {
	switch strings.TrimPrefix(field, "--") {
	case "certificate-authority":
		return "a CA certificate"
	case "client-certificate":
		return "a client certificate"
	case "client-key":
		return "a client key"
	case "tokenFile", "token-file":
		return "a token"
	}
	return "a credential"
}

// checkContextFiles judges the files the context in use names, before client-go opens them to
// validate the kubeconfig (it opens the CA and client certificate files even before building
// a client). Flags that name such files are judged by the caller.
func checkContextFiles(flags *genericclioptions.ConfigFlags, raw clientcmdapi.Config, context string) error {
	ctx := raw.Contexts[context]
	if ctx == nil {
		return nil
	}
	clusterName, userName := ctx.Cluster, ctx.AuthInfo
	if flags.ClusterName != nil && *flags.ClusterName != "" {
		clusterName = *flags.ClusterName
	}
	if flags.AuthInfoName != nil && *flags.AuthInfoName != "" {
		userName = *flags.AuthInfoName
	}
	if c := raw.Clusters[clusterName]; c != nil && len(c.CertificateAuthorityData) == 0 {
		if err := CheckCredentialFile("certificate-authority", c.CertificateAuthority); err != nil {
			return err
		}
	}
	if u := raw.AuthInfos[userName]; u != nil {
		for _, f := range []struct {
			field, path string
			data        []byte
		}{
			{"client-certificate", u.ClientCertificate, u.ClientCertificateData},
			{"client-key", u.ClientKey, u.ClientKeyData},
			{"tokenFile", u.TokenFile, nil},
		} {
			if len(f.data) > 0 {
				continue
			}
			if err := CheckCredentialFile(f.field, f.path); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkCredentialFiles judges the files the REST config will read when its clients are built.
func checkCredentialFiles(cfg *rest.Config) error {
	files := []struct{ field, path string }{{"tokenFile", cfg.BearerTokenFile}}
	if len(cfg.CAData) == 0 {
		files = append(files, struct{ field, path string }{"certificate-authority", cfg.CAFile})
	}
	if len(cfg.CertData) == 0 {
		files = append(files, struct{ field, path string }{"client-certificate", cfg.CertFile})
	}
	if len(cfg.KeyData) == 0 {
		files = append(files, struct{ field, path string }{"client-key", cfg.KeyFile})
	}
	for _, f := range files {
		if err := CheckCredentialFile(f.field, f.path); err != nil {
			return err
		}
	}
	return nil
}
