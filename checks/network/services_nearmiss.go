package network

import (
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/labels"

	"github.com/kockpit/kockpit/internal/nearmiss"
	"github.com/kockpit/kockpit/internal/netpolicy"
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
	group *netpolicy.PodGroup
	exact int
	diffs []labelDiff
	// near says every differing label is only a near miss (look-alike, case, one edit): the
	// selector was meant to match these pods.
	near bool
}

// nearestMiss finds the pod group of the namespace closest to the selector: the one whose labels
// differ from it by the fewest and slightest differences. ok is false when no group shares even
// one label or near miss with it.
func nearestMiss(ns *netpolicy.Namespace, selector map[string]string) (nearMiss, bool) {
	keys := make([]string, 0, len(selector))
	for k := range selector {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var best nearMiss
	found := false
	for _, g := range ns.Groups {
		m := nearMiss{group: g, near: true}
		close := 0
		for _, k := range keys {
			d, exact := compareLabel(k, selector[k], g.Labels)
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
	return len(a.group.Pods) > len(b.group.Pods)
}

// compareLabel compares one selector key=value with a pod's labels.
func compareLabel(key, want string, have labels.Set) (labelDiff, bool) {
	if v, ok := have[key]; ok {
		if v == want {
			return labelDiff{}, true
		}
		return labelDiff{key: key, want: want, haveKey: key, have: v, how: nearmiss.Nearness(want, v, "a different value")}, false
	}
	// The key itself may be the near miss.
	var best labelDiff
	for k, v := range have {
		how := nearmiss.Nearness(key, k, "")
		if how == "" {
			continue
		}
		if v != want {
			if nearmiss.Nearness(want, v, "") == "" {
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
