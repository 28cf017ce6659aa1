package storage

import (
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// errUnresolved is a template that needs what the claim does not have yet: ${pv.name} before
// the claim is bound.
var errUnresolved = errors.New("not resolvable yet")

// hasTemplate says whether a secret parameter holds a ${...} template.
func hasTemplate(s string) bool { return strings.Contains(s, "${") }

// resolveSecretTemplate resolves the templates the CSI external provisioner allows in a class's
// secret parameters, for one claim: ${pvc.namespace} and ${pv.name} everywhere, ${pvc.name} in
// names, and ${pvc.annotations['KEY']} in the names of every role but the provisioner's. Any
// other ${...} is one the provisioner refuses.
func resolveSecretTemplate(tmpl string, c *corev1.PersistentVolumeClaim, namespace bool, role string) (string, error) {
	var b strings.Builder
	rest := tmpl
	for {
		i := strings.Index(rest, "${")
		if i < 0 {
			b.WriteString(rest)
			return b.String(), nil
		}
		b.WriteString(rest[:i])
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return "", fmt.Errorf("%q: a template without its closing brace", tmpl)
		}
		token := rest[i+2 : i+j]
		rest = rest[i+j+1:]
		v, err := templateValue(token, c, namespace, role)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
}

func templateValue(token string, c *corev1.PersistentVolumeClaim, namespace bool, role string) (string, error) {
	switch {
	case token == "pvc.namespace":
		return c.Namespace, nil
	case token == "pv.name":
		if c.Spec.VolumeName == "" {
			return "", errUnresolved
		}
		return c.Spec.VolumeName, nil
	case token == "pvc.name" && !namespace:
		return c.Name, nil
	case strings.HasPrefix(token, "pvc.annotations['") && strings.HasSuffix(token, "']") && !namespace && role != "provisioner":
		key := token[len("pvc.annotations['") : len(token)-len("']")]
		v, ok := c.Annotations[key]
		if !ok {
			return "", fmt.Errorf("the claim has no annotation %q, which the class's template needs", key)
		}
		return v, nil
	}
	where := "name"
	if namespace {
		where = "namespace"
	}
	return "", fmt.Errorf("${%s} is not a template the external provisioner allows in the %s secret's %s", token, role, where)
}
