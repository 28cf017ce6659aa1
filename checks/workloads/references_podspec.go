package workloads

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
)

// podReference is an object a pod spec names and needs: a pod cannot start without it.
type podReference struct {
	kind  string // ServiceAccount, ConfigMap, Secret or PersistentVolumeClaim
	name  string
	field string // the path under the pod spec: "volumes[2].secret.secretName"
}

// podSpecReferences lists what a pod spec names and cannot run without. References marked
// optional are left out: the kubelet starts the pod without them. The default ServiceAccount is
// left out too: the controller-manager creates it in every namespace, and admission fills it in.
func podSpecReferences(spec *corev1.PodSpec) []podReference {
	var out []podReference
	add := func(kind, name, field string) {
		if name != "" {
			out = append(out, podReference{kind: kind, name: name, field: field})
		}
	}
	sa, saField := spec.ServiceAccountName, "serviceAccountName"
	if sa == "" {
		sa, saField = spec.DeprecatedServiceAccount, "serviceAccount"
	}
	if sa != "default" {
		add("ServiceAccount", sa, saField)
	}
	for i, s := range spec.ImagePullSecrets {
		// A pull secret that is missing makes the kubelet pull anonymously: the pull fails only
		// if the registry wants credentials, and runtime.pods says so then. Still a finding.
		add("Secret", s.Name, fmt.Sprintf("imagePullSecrets[%d].name", i))
	}
	for i, v := range spec.Volumes {
		out = append(out, volumeReferences(v, fmt.Sprintf("volumes[%d]", i))...)
	}
	for i, c := range spec.InitContainers {
		out = append(out, containerReferences(c, fmt.Sprintf("initContainers[%d]", i))...)
	}
	for i, c := range spec.Containers {
		out = append(out, containerReferences(c, fmt.Sprintf("containers[%d]", i))...)
	}
	return out
}

func volumeReferences(v corev1.Volume, at string) []podReference {
	var out []podReference
	add := func(kind, name, field string, optional *bool) {
		if name != "" && !isTrue(optional) {
			out = append(out, podReference{kind: kind, name: name, field: at + "." + field})
		}
	}
	switch {
	case v.ConfigMap != nil:
		add("ConfigMap", v.ConfigMap.Name, "configMap.name", v.ConfigMap.Optional)
	case v.Secret != nil:
		add("Secret", v.Secret.SecretName, "secret.secretName", v.Secret.Optional)
	case v.PersistentVolumeClaim != nil:
		add("PersistentVolumeClaim", v.PersistentVolumeClaim.ClaimName, "persistentVolumeClaim.claimName", nil)
	case v.Projected != nil:
		for j, s := range v.Projected.Sources {
			if s.ConfigMap != nil {
				add("ConfigMap", s.ConfigMap.Name, fmt.Sprintf("projected.sources[%d].configMap.name", j), s.ConfigMap.Optional)
			}
			if s.Secret != nil {
				add("Secret", s.Secret.Name, fmt.Sprintf("projected.sources[%d].secret.name", j), s.Secret.Optional)
			}
		}
	}
	return out
}

func containerReferences(c corev1.Container, at string) []podReference {
	var out []podReference
	add := func(kind, name, field string, optional *bool) {
		if name != "" && !isTrue(optional) {
			out = append(out, podReference{kind: kind, name: name, field: at + "." + field})
		}
	}
	for i, e := range c.EnvFrom {
		if e.ConfigMapRef != nil {
			add("ConfigMap", e.ConfigMapRef.Name, fmt.Sprintf("envFrom[%d].configMapRef.name", i), e.ConfigMapRef.Optional)
		}
		if e.SecretRef != nil {
			add("Secret", e.SecretRef.Name, fmt.Sprintf("envFrom[%d].secretRef.name", i), e.SecretRef.Optional)
		}
	}
	for i, e := range c.Env {
		if e.ValueFrom == nil {
			continue
		}
		if r := e.ValueFrom.ConfigMapKeyRef; r != nil {
			add("ConfigMap", r.Name, fmt.Sprintf("env[%d].valueFrom.configMapKeyRef.name", i), r.Optional)
		}
		if r := e.ValueFrom.SecretKeyRef; r != nil {
			add("Secret", r.Name, fmt.Sprintf("env[%d].valueFrom.secretKeyRef.name", i), r.Optional)
		}
	}
	return out
}

func isTrue(b *bool) bool { return b != nil && *b }
