package ui

import (
	"fmt"
	"strconv"
	"strings"
)

// The Flows pane's filter, typed after `/` as in the checklist: words, each a `key:value` or
// free text, e.g. `ns:prod verdict:dropped port:53 checkout`. Keys: ns (either side's
// namespace), pod (either side's pod, a part of its name), verdict (a part of it: `drop`),
// port (either side's port). The same key twice is either value; different keys and free
// words must all match. Matching ignores case.

// flowQuery is a parsed filter.
type flowQuery struct {
	ns, pods, verdicts []string // lower case
	ports              []uint32
	words              []string // free text, lower case
	problem            string   // what in the text was not understood, "" when all was
}

// parseFlowQuery reads a filter. A word it does not understand is said in problem and left
// out, so the rest still filters.
func parseFlowQuery(s string) flowQuery {
	var q flowQuery
	var problems []string
	for _, w := range strings.Fields(strings.ToLower(s)) {
		k, v, ok := strings.Cut(w, ":")
		if !ok {
			q.words = append(q.words, w)
			continue
		}
		if v == "" {
			problems = append(problems, fmt.Sprintf("%s: needs a value", k))
			continue
		}
		switch k {
		case "ns", "namespace":
			q.ns = append(q.ns, v)
		case "pod":
			q.pods = append(q.pods, v)
		case "verdict":
			q.verdicts = append(q.verdicts, v)
		case "port":
			p, err := strconv.ParseUint(v, 10, 16)
			if err != nil || p == 0 {
				problems = append(problems, fmt.Sprintf("port:%s is not a port (1-65535)", v))
				continue
			}
			q.ports = append(q.ports, uint32(p))
		default:
			// A word with a colon that names no key is text: an IPv6 address, a label.
			q.words = append(q.words, w)
		}
	}
	q.problem = strings.Join(problems, "; ")
	return q
}

func (q flowQuery) empty() bool {
	return len(q.ns)+len(q.pods)+len(q.verdicts)+len(q.ports)+len(q.words) == 0
}

// matches reports whether a flow passes the filter.
func (q flowQuery) matches(l *flowLine) bool {
	if len(q.ns) > 0 && !anyOf(q.ns, func(v string) bool {
		return strings.EqualFold(l.src.Namespace, v) || strings.EqualFold(l.dst.Namespace, v)
	}) {
		return false
	}
	if len(q.pods) > 0 && !anyOf(q.pods, func(v string) bool {
		return (l.src.Pod != "" && containsFold(sideName(l.src), v)) || (l.dst.Pod != "" && containsFold(sideName(l.dst), v))
	}) {
		return false
	}
	if len(q.verdicts) > 0 && !anyOf(q.verdicts, func(v string) bool { return containsFold(l.verdict, v) }) {
		return false
	}
	if len(q.ports) > 0 {
		ok := false
		for _, p := range q.ports {
			ok = ok || l.port == p || l.srcPort == p
		}
		if !ok {
			return false
		}
	}
	for _, w := range q.words {
		if !l.hasText(w) {
			return false
		}
	}
	return true
}

// hasText reports whether a lower-case word is in what the line shows, or its addresses.
func (l *flowLine) hasText(w string) bool {
	for _, s := range []string{sideName(l.src), sideName(l.dst), l.src.Name, l.dst.Name, l.srcIP, l.dstIP,
		l.verdict, l.reason, reasonWords(l.reason), l.portText(), l.node, l.direction} {
		if containsFold(s, w) {
			return true
		}
	}
	return false
}

func anyOf(vs []string, ok func(string) bool) bool {
	for _, v := range vs {
		if ok(v) {
			return true
		}
	}
	return false
}
