package storage

import (
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/internal/phrase"
	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/safetext"
)

// secretRoles are the CSI operations a StorageClass can name a Secret for, in the order the
// volume meets them: csi.storage.k8s.io/ROLE-secret-name and -namespace.
var secretRoles = []string{"provisioner", "controller-publish", "node-stage", "node-publish", "controller-expand", "node-expand"}

const secretParamPrefix = "csi.storage.k8s.io/"

// classSecret is one Secret a class names, as written: name and namespace may hold templates.
type classSecret struct {
	role            string
	name, namespace string
}

// classSecrets are the Secrets the class's parameters name, by role; a role with only one of
// its two keys is returned too (the provisioner refuses it).
func classSecrets(sc *storagev1.StorageClass) []classSecret {
	var out []classSecret
	for _, role := range secretRoles {
		name, hasName := sc.Parameters[secretParamPrefix+role+"-secret-name"]
		ns, hasNS := sc.Parameters[secretParamPrefix+role+"-secret-namespace"]
		if hasName || hasNS {
			out = append(out, classSecret{role: role, name: name, namespace: ns})
		}
	}
	return out
}

// secretProblem is one Secret a class names that is not there, or cannot be told.
type secretProblem struct {
	line   string // evidence
	claim  *corev1.PersistentVolumeClaim
	ns     string
	name   string
	broken bool // judged broken (missing, half set, a template the provisioner refuses)
}

// classSecretsFinding is a class whose parameters name Secrets that do not exist (names only:
// kockpit never reads their values). A template is resolved for each claim of the class; with
// no claim it is said, not judged.
func classSecretsFinding(w *world, sc *storagev1.StorageClass) (checks.Finding, bool) {
	refs := classSecrets(sc)
	if len(refs) == 0 || !w.readAll(kube.SecretMetadata) {
		return checks.Finding{}, false
	}
	claims := w.claimsOf(sc.Name)
	var problems []secretProblem
	var unjudged []string
	for _, ref := range refs {
		what := ref.role + " secret"
		if ref.name == "" || ref.namespace == "" {
			problems = append(problems, secretProblem{broken: true, line: fmt.Sprintf("%s: only one of %s-secret-name and %s-secret-namespace is set; the provisioner refuses the class",
				what, ref.role, ref.role)})
			continue
		}
		if !hasTemplate(ref.name) && !hasTemplate(ref.namespace) {
			if !w.secrets[ref.namespace+"/"+ref.name] {
				problems = append(problems, secretProblem{broken: true, ns: ref.namespace, name: ref.name,
					line: fmt.Sprintf("%s %s: missing", what, safetext.Visible(ref.namespace+"/"+ref.name))})
			}
			continue
		}
		if len(claims) == 0 {
			unjudged = append(unjudged, fmt.Sprintf("%s %s: a template, resolved per claim; no claim uses the class, so not judged",
				what, safetext.Visible(ref.namespace+"/"+ref.name)))
			continue
		}
		for _, c := range claims {
			ns, errNS := resolveSecretTemplate(ref.namespace, c, true, ref.role)
			name, errName := resolveSecretTemplate(ref.name, c, false, ref.role)
			who := "for claim " + safetext.Visible(c.Namespace+"/"+c.Name)
			switch err := firstErr(errNS, errName); {
			case err == errUnresolved:
				unjudged = append(unjudged, fmt.Sprintf("%s %s %s: cannot be resolved yet (the claim has no volume), so not judged", what, who, safetext.Visible(ref.namespace+"/"+ref.name)))
			case err != nil:
				problems = append(problems, secretProblem{broken: true, claim: c, line: fmt.Sprintf("%s %s: %s", what, who, safetext.Visible(err.Error()))})
			case !w.secrets[ns+"/"+name]:
				problems = append(problems, secretProblem{broken: true, claim: c, ns: ns, name: name,
					line: fmt.Sprintf("%s %s: %s: missing", what, who, safetext.Visible(ns+"/"+name))})
			}
		}
	}
	if len(problems) == 0 && len(unjudged) == 0 {
		return checks.Finding{}, false
	}
	f := checks.Finding{
		Severity: checks.StatusOK,
		Problem:  "class-secret-missing",
		Object:   ptr(classRef(sc.Name)),
		Commands: []checks.Command{checks.Cmd("kubectl", "get", "storageclass", sc.Name, "-o", "jsonpath={.parameters}")},
		Hint: "Create the Secret the class names (in the namespace it names), or fix the class's csi.storage.k8s.io/*-secret-name " +
			"and -namespace parameters (recreate the class: its parameters are immutable). kockpit compares names only, never values.",
	}
	var affected []*corev1.PersistentVolumeClaim
	seen := map[string]bool{}
	for _, p := range problems {
		f.Evidence = append(f.Evidence, p.line)
		if p.ns != "" && !seen[p.ns+"/"+p.name] && len(f.Commands) < 4 {
			seen[p.ns+"/"+p.name] = true
			f.Commands = append(f.Commands, checks.Cmd("kubectl", "-n", p.ns, "get", "secret", p.name))
		}
		if p.claim != nil && !containsClaim(affected, p.claim) {
			affected = append(affected, p.claim)
		}
	}
	f.Evidence = append(f.Evidence, unjudged...)
	if len(problems) == 0 {
		f.Message = fmt.Sprintf("StorageClass %s names its Secrets by templates that no claim resolves yet: not judged", safetext.Visible(sc.Name))
		return f, true
	}
	for _, p := range problems {
		if p.claim == nil {
			affected = claims // a fixed name, or a class the provisioner refuses: every claim of the class meets it
			break
		}
	}
	f.Severity, f.Cause = checks.StatusWarn, true
	f.Message = fmt.Sprintf("StorageClass %s's parameters name %s that do not exist: %s",
		safetext.Visible(sc.Name), phrase.Count(len(problems), "Secret", "Secrets"), "the CSI operations that need them fail")
	if len(affected) > 0 {
		f.Severity = checks.StatusFail
		f.Message += fmt.Sprintf(" for %s", phrase.Count(len(affected), "claim", "claims"))
		f.Evidence = append(f.Evidence, "claims of the class: "+claimNames(affected, 5))
		w.explainClaims(&f, pendingOnly(affected))
	}
	return f, true
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}

func containsClaim(cs []*corev1.PersistentVolumeClaim, c *corev1.PersistentVolumeClaim) bool {
	for _, x := range cs {
		if x == c {
			return true
		}
	}
	return false
}

func pendingOnly(cs []*corev1.PersistentVolumeClaim) []*corev1.PersistentVolumeClaim {
	var out []*corev1.PersistentVolumeClaim
	for _, c := range cs {
		if c.Status.Phase == corev1.ClaimPending && c.DeletionTimestamp == nil {
			out = append(out, c)
		}
	}
	return out
}

// claimsOf are the claims that name the class, sorted by namespace and name.
func (w *world) claimsOf(class string) []*corev1.PersistentVolumeClaim {
	var out []*corev1.PersistentVolumeClaim
	for _, c := range w.claims {
		if c.Spec.StorageClassName != nil && *c.Spec.StorageClassName == class {
			out = append(out, c)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return before(&out[i].ObjectMeta, &out[j].ObjectMeta) })
	return out
}
