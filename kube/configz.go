package kube

import (
	"context"
	"encoding/json"
	"fmt"
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
		return nil, fmt.Errorf("reading the kubelet configuration of node %s: %w", node, err)
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
