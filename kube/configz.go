package kube

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// KubeletConfig is the part of a kubelet's running configuration kockpit reads.
type KubeletConfig struct {
	// ClusterDNS are the nameservers the kubelet writes into the resolv.conf of ClusterFirst pods:
	// the kube-dns Service's ClusterIP when all is well.
	ClusterDNS []string `json:"clusterDNS"`
	// ClusterDomain is the cluster's DNS domain, "cluster.local" unless configured otherwise.
	ClusterDomain string `json:"clusterDomain"`
	// ResolvConf is the node file whose nameservers pods with dnsPolicy Default get.
	ResolvConf string `json:"resolvConf"`
}

// KubeletConfig asks the kubelet of a node for its running configuration, through the API
// server's node proxy (GET /api/v1/nodes/NAME/proxy/configz), within the request timeout. It
// needs "get nodes/proxy"; a forbidden or unreachable kubelet is the returned error.
func (c *Cluster) KubeletConfig(ctx context.Context, node string) (*KubeletConfig, error) {
	ctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	raw, err := c.Clientset.CoreV1().RESTClient().Get().
		AbsPath("/api/v1/nodes", node, "proxy", "configz").
		SetHeader("Accept", "application/json").
		DoRaw(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the kubelet configuration of node %s: %w", node, proxyError(err, raw))
	}
	var doc struct {
		KubeletConfig *KubeletConfig `json:"kubeletconfig"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("reading the kubelet configuration of node %s: not the JSON of /configz: %w", node, err)
	}
	if doc.KubeletConfig == nil {
		return nil, fmt.Errorf("reading the kubelet configuration of node %s: /configz has no kubeletconfig", node)
	}
	return doc.KubeletConfig, nil
}

// proxyError keeps what the API server said when the node proxy failed: for a body it cannot
// decode, client-go says "an unknown reason" and DoRaw returns the body beside the error.
func proxyError(err error, body []byte) error {
	var se *apierrors.StatusError
	if !errors.As(err, &se) || len(body) == 0 {
		return err
	}
	text := strings.TrimSpace(string(body))
	var st metav1.Status
	if json.Unmarshal(body, &st) == nil && st.Message != "" {
		text = st.Message
	}
	if n := 300; len(text) > n {
		for !utf8.RuneStart(text[n]) {
			n--
		}
		text = text[:n] + "…"
	}
	return &proxyStatusError{StatusError: se, text: fmt.Sprintf("HTTP %d: %s", se.ErrStatus.Code, text)}
}

// proxyStatusError is a StatusError (so IsForbidden and friends still work) with a readable text.
type proxyStatusError struct {
	*apierrors.StatusError
	text string
}

func (e *proxyStatusError) Error() string { return e.text }

func (e *proxyStatusError) Unwrap() error { return e.StatusError }
