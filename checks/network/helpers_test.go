package network

// Helpers of the network and admission checks' tests.

// ciliumCRDs and calicoCRDs install the policy kinds of Cilium and Calico in the test cluster.
var (
	ciliumCRDs = []string{"../../testdata/crds/cilium-network-policies.yaml", "../../testdata/crds/cilium-clusterwide-network-policies.yaml"}
	calicoCRDs = []string{"../../testdata/crds/calico-network-policies.yaml", "../../testdata/crds/calico-global-network-policies.yaml"}
)
