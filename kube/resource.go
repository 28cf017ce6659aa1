package kube

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Resource is a kind of object the snapshot can hold. Each is listed at most once per run.
type Resource struct {
	Group      string
	Version    string
	Resource   string // plural, lower-case, as in the REST path and RBAC rules
	Kind       string
	Namespaced bool
	// Typed resources are decoded into client-go's Go types (and fetched as protobuf);
	// the others (CRDs, aggregated kinds) stay unstructured and are fetched as JSON.
	Typed bool
	// MetadataOnly resources are read as metadata alone (PartialObjectMetadata): the API server
	// never sends the rest, and files drop it as they are decoded (secret_metadata.go).
	MetadataOnly bool
}

// GVR is the resource's group, version and plural name.
func (r Resource) GVR() schema.GroupVersionResource {
	return schema.GroupVersionResource{Group: r.Group, Version: r.Version, Resource: r.Resource}
}

// GroupKind is how offline files name the resource: apiVersion's group plus kind.
func (r Resource) GroupKind() schema.GroupKind {
	return schema.GroupKind{Group: r.Group, Kind: r.Kind}
}

// APIVersion is the apiVersion field of the resource's objects.
func (r Resource) APIVersion() string {
	return r.GVR().GroupVersion().String()
}

// String is the name used in statistics and messages: "pods", "apiservices.apiregistration.k8s.io".
func (r Resource) String() string {
	if r.Group == "" {
		return r.Resource
	}
	return r.Resource + "." + r.Group
}

// The resources kockpit reads. A check names the ones it reads, so an access review can say
// which checks a restricted user degrades.
var (
	Nodes                = Resource{Version: "v1", Resource: "nodes", Kind: "Node", Typed: true}
	Pods                 = Resource{Version: "v1", Resource: "pods", Kind: "Pod", Namespaced: true, Typed: true}
	Services             = Resource{Version: "v1", Resource: "services", Kind: "Service", Namespaced: true, Typed: true}
	ConfigMaps           = Resource{Version: "v1", Resource: "configmaps", Kind: "ConfigMap", Namespaced: true, Typed: true}
	Events               = Resource{Version: "v1", Resource: "events", Kind: "Event", Namespaced: true, Typed: true}
	Namespaces           = Resource{Version: "v1", Resource: "namespaces", Kind: "Namespace", Typed: true}
	EndpointSlices       = Resource{Group: "discovery.k8s.io", Version: "v1", Resource: "endpointslices", Kind: "EndpointSlice", Namespaced: true, Typed: true}
	Deployments          = Resource{Group: "apps", Version: "v1", Resource: "deployments", Kind: "Deployment", Namespaced: true, Typed: true}
	DaemonSets           = Resource{Group: "apps", Version: "v1", Resource: "daemonsets", Kind: "DaemonSet", Namespaced: true, Typed: true}
	ReplicaSets          = Resource{Group: "apps", Version: "v1", Resource: "replicasets", Kind: "ReplicaSet", Namespaced: true, Typed: true}
	StatefulSets         = Resource{Group: "apps", Version: "v1", Resource: "statefulsets", Kind: "StatefulSet", Namespaced: true, Typed: true}
	NetworkPolicies      = Resource{Group: "networking.k8s.io", Version: "v1", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true, Typed: true}
	StorageClasses       = Resource{Group: "storage.k8s.io", Version: "v1", Resource: "storageclasses", Kind: "StorageClass", Typed: true}
	CSIDrivers           = Resource{Group: "storage.k8s.io", Version: "v1", Resource: "csidrivers", Kind: "CSIDriver", Typed: true}
	CSINodes             = Resource{Group: "storage.k8s.io", Version: "v1", Resource: "csinodes", Kind: "CSINode", Typed: true}
	VolumeAttachments    = Resource{Group: "storage.k8s.io", Version: "v1", Resource: "volumeattachments", Kind: "VolumeAttachment", Typed: true}
	PersistentVolumes    = Resource{Version: "v1", Resource: "persistentvolumes", Kind: "PersistentVolume", Typed: true}
	PVCs                 = Resource{Version: "v1", Resource: "persistentvolumeclaims", Kind: "PersistentVolumeClaim", Namespaced: true, Typed: true}
	RuntimeClasses       = Resource{Group: "node.k8s.io", Version: "v1", Resource: "runtimeclasses", Kind: "RuntimeClass", Typed: true}
	ValidatingWebhooks   = Resource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "validatingwebhookconfigurations", Kind: "ValidatingWebhookConfiguration", Typed: true}
	MutatingWebhooks     = Resource{Group: "admissionregistration.k8s.io", Version: "v1", Resource: "mutatingwebhookconfigurations", Kind: "MutatingWebhookConfiguration", Typed: true}
	Ingresses            = Resource{Group: "networking.k8s.io", Version: "v1", Resource: "ingresses", Kind: "Ingress", Namespaced: true, Typed: true}
	RoleBindings         = Resource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "rolebindings", Kind: "RoleBinding", Namespaced: true, Typed: true}
	ClusterRoleBindings  = Resource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterrolebindings", Kind: "ClusterRoleBinding", Typed: true}
	Jobs                 = Resource{Group: "batch", Version: "v1", Resource: "jobs", Kind: "Job", Namespaced: true, Typed: true}
	CronJobs             = Resource{Group: "batch", Version: "v1", Resource: "cronjobs", Kind: "CronJob", Namespaced: true, Typed: true}
	ResourceQuotas       = Resource{Version: "v1", Resource: "resourcequotas", Kind: "ResourceQuota", Namespaced: true, Typed: true}
	LimitRanges          = Resource{Version: "v1", Resource: "limitranges", Kind: "LimitRange", Namespaced: true, Typed: true}
	PodDisruptionBudgets = Resource{Group: "policy", Version: "v1", Resource: "poddisruptionbudgets", Kind: "PodDisruptionBudget", Namespaced: true, Typed: true}
	Roles                = Resource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "roles", Kind: "Role", Namespaced: true, Typed: true}
	ClusterRoles         = Resource{Group: "rbac.authorization.k8s.io", Version: "v1", Resource: "clusterroles", Kind: "ClusterRole", Typed: true}
	ServiceAccounts      = Resource{Version: "v1", Resource: "serviceaccounts", Kind: "ServiceAccount", Namespaced: true, Typed: true}
	IngressClasses       = Resource{Group: "networking.k8s.io", Version: "v1", Resource: "ingressclasses", Kind: "IngressClass", Typed: true}
	HPAs                 = Resource{Group: "autoscaling", Version: "v2", Resource: "horizontalpodautoscalers", Kind: "HorizontalPodAutoscaler", Namespaced: true, Typed: true}
	// APIServices stay unstructured: their typed client lives in k8s.io/kube-aggregator, a heavy
	// dependency for the few fields kockpit reads.
	APIServices = Resource{Group: "apiregistration.k8s.io", Version: "v1", Resource: "apiservices", Kind: "APIService"}

	// The network policies of Cilium and Calico are CRDs: unstructured, and not installed on
	// most clusters (a LIST answers ErrNotInstalled). Calico's are read through the CRDs it
	// stores them in, which exist with or without the Calico API server.
	CiliumNetworkPolicies            = Resource{Group: "cilium.io", Version: "v2", Resource: "ciliumnetworkpolicies", Kind: "CiliumNetworkPolicy", Namespaced: true}
	CiliumClusterwideNetworkPolicies = Resource{Group: "cilium.io", Version: "v2", Resource: "ciliumclusterwidenetworkpolicies", Kind: "CiliumClusterwideNetworkPolicy"}
	CalicoNetworkPolicies            = Resource{Group: "crd.projectcalico.org", Version: "v1", Resource: "networkpolicies", Kind: "NetworkPolicy", Namespaced: true}
	CalicoGlobalNetworkPolicies      = Resource{Group: "crd.projectcalico.org", Version: "v1", Resource: "globalnetworkpolicies", Kind: "GlobalNetworkPolicy"}

	// Gateway API kinds are CRDs: unstructured, and not installed on many clusters.
	GatewayClasses = Resource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gatewayclasses", Kind: "GatewayClass"}
	Gateways       = Resource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "gateways", Kind: "Gateway", Namespaced: true}
	HTTPRoutes     = Resource{Group: "gateway.networking.k8s.io", Version: "v1", Resource: "httproutes", Kind: "HTTPRoute", Namespaced: true}
)

// KnownResources lists every resource above; offline files of these kinds are decoded and indexed.
var KnownResources = []Resource{
	Nodes, Pods, Services, ConfigMaps, Events, Namespaces, EndpointSlices,
	Deployments, DaemonSets, ReplicaSets, StatefulSets, NetworkPolicies,
	StorageClasses, CSIDrivers, CSINodes, VolumeAttachments, PersistentVolumes, PVCs, RuntimeClasses, ValidatingWebhooks, MutatingWebhooks, Ingresses, RoleBindings, ClusterRoleBindings, APIServices,
	Jobs, CronJobs, ResourceQuotas, LimitRanges, PodDisruptionBudgets,
	Roles, ClusterRoles, ServiceAccounts, IngressClasses, HPAs,
	CiliumNetworkPolicies, CiliumClusterwideNetworkPolicies, CalicoNetworkPolicies, CalicoGlobalNetworkPolicies,
	GatewayClasses, Gateways, HTTPRoutes,
	SecretMetadata,
}

// ResourceForGroupKind finds a known resource by the group and kind an object declares.
func ResourceForGroupKind(gk schema.GroupKind) (Resource, bool) {
	for _, r := range KnownResources {
		if r.GroupKind() == gk {
			return r, true
		}
	}
	return Resource{}, false
}
