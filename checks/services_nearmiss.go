package checks

import (
	"fmt"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/safetext"
)

// labelDiff is how a pod's label differs from one key=value of a selector.
type labelDiff struct {
	key, want string // the selector's key and value
	haveKey   string // the pod's key ("" when the pod has nothing close)
	have      string // the pod's value
	how       string // "a look-alike character", "case", "one character", "a different value"
}

func (d labelDiff) String() string {
	if d.haveKey == "" {
		return fmt.Sprintf("%s=%s: the pods have no such label", d.key, d.want)
	}
	return fmt.Sprintf("%s=%s: the pods have %s=%s (%s)", d.key, d.want, d.haveKey, d.have, d.how)
}

// nearMiss is the pod group that comes closest to a selector that matches nothing.
type nearMiss struct {
	group *podGroup
	exact int
	diffs []labelDiff
	// near says every differing label is only a near miss (look-alike, case, one edit): the
	// selector was meant to match these pods.
	near bool
}

// nearestMiss finds the pod group of the namespace closest to the selector: the one whose labels
// differ from it by the fewest and slightest differences. ok is false when no group shares even
// one label or near miss with it.
func nearestMiss(ns *netNamespace, selector map[string]string) (nearMiss, bool) {
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var best nearMiss
	found := false
	for _, g := range ns.groups {
		m := nearMiss{group: g, near: true}
		close := 0
		for _, k := range keys {
			d, exact := compareLabel(k, selector[k], g.labels)
			if exact {
				m.exact++
				continue
			}
			if d.how == "" || d.how == "a different value" {
				m.near = false
			} else {
				close++
			}
			m.diffs = append(m.diffs, d)
		}
		if m.exact+close == 0 {
			continue
		}
		if !found || better(m, best) {
			best, found = m, true
		}
	}
	return best, found
}

// better orders near misses: near ones first, then by more exact labels, then more pods.
func better(a, b nearMiss) bool {
	if a.near != b.near {
		return a.near
	}
	if a.exact != b.exact {
		return a.exact > b.exact
	}
	if len(a.diffs) != len(b.diffs) {
		return len(a.diffs) < len(b.diffs)
	}
	return len(a.group.pods) > len(b.group.pods)
}

// compareLabel compares one selector key=value with a pod's labels.
func compareLabel(key, want string, have labels.Set) (labelDiff, bool) {
	if v, ok := have[key]; ok {
		if v == want {
			return labelDiff{}, true
		}
		return labelDiff{key: key, want: want, haveKey: key, have: v, how: nearness(want, v, "a different value")}, false
	}
	// The key itself may be the near miss.
	var best labelDiff
	for k, v := range have {
		how := nearness(key, k, "")
		if how == "" {
			continue
		}
		if v != want {
			if nearness(want, v, "") == "" {
				continue
			}
		}
		if best.haveKey == "" || k < best.haveKey {
			best = labelDiff{key: key, want: want, haveKey: k, have: v, how: how + " in the key"}
		}
	}
	if best.haveKey != "" {
		return best, false
	}
	return labelDiff{key: key, want: want}, false
}

// nearness says how two different strings are close: "a look-alike character", "case", "one
// character", or otherwise fallback.
func nearness(want, have, fallback string) string {
	switch {
	case safetext.LooksSame(want, have) || len(safetext.Suspicious(want)) > 0 && oneEdit(want, have):
		return "a look-alike character"
	case strings.EqualFold(want, have):
		return "case"
	case oneEdit(want, have):
		return "one character"
	}
	return fallback
}

// oneEdit reports whether a and b differ by exactly one inserted, deleted or replaced character.
func oneEdit(a, b string) bool {
	if a == b {
		return false
	}
	ra, rb := []rune(a), []rune(b)
	if len(ra) < len(rb) {
		ra, rb = rb, ra
	}
	if len(ra)-len(rb) > 1 {
		return false
	}
	i := 0
	for i < len(rb) && ra[i] == rb[i] {
		i++
	}
	if len(ra) == len(rb) {
		return string(ra[i+1:]) == string(rb[i+1:])
	}
	return string(ra[i+1:]) == string(rb[i:])
}

// selectorSuspicious describes the non-ASCII characters of a selector's keys and values.
func selectorSuspicious(selector map[string]string) []string {
	var out []string
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		for _, part := range []string{k, selector[k]} {
			if chars := safetext.Suspicious(part); len(chars) > 0 {
				for _, d := range safetext.Describe(chars) {
					out = append(out, fmt.Sprintf("in %q %s", part, d))
				}
			}
		}
	}
	return out
}
