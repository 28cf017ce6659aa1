package ui

import (
	"fmt"
	"strings"

	"github.com/kockpit/kockpit/checks"
)

// cardLines lay out the node's runtime card under a Runtime finding: what the runtime is,
// its conditions, what it starts pods with, and what it runs that Kubernetes does not know.
// Every value is the runtime's and is drawn through safe, as cluster text is.
func (m Model) cardLines(fr *drillFrame, width int) []dline {
	if !(fr.cardLoading || fr.card != nil || fr.cardErr != nil) {
		return nil
	}
	var out []dline
	add := func(kind dkind, prefix, text string) {
		pw := cellWidth(prefix)
		for i, l := range wrap(m.text.prepare(text), max(8, width-pw)) {
			p := strings.Repeat(" ", pw)
			if i == 0 {
				p = prefix
			}
			out = append(out, dline{kind: kind, prefix: p, text: l, link: -1})
		}
	}
	status := func(st checks.Status, text string) {
		for i, l := range wrap(m.text.prepare(text), max(8, width-2)) {
			if i == 0 {
				out = append(out, dline{kind: dStatus, status: st, text: l, link: -1})
			} else {
				out = append(out, dline{kind: dText, prefix: "  ", text: l, link: -1})
			}
		}
	}
	out = append(out, dline{link: -1}, dline{kind: dLabel, text: "RUNTIME  the node's container runtime, asked just now", link: -1})
	switch {
	case fr.cardLoading:
		return append(out, dline{kind: dSpinner, text: "the runtime's status", link: -1})
	case fr.cardErr != nil:
		add(dError, "✖ ", "could not ask the runtime: "+fr.cardErr.Error())
		return out
	}
	c := fr.card
	status(checks.StatusOK, fmt.Sprintf("%s %s · CRI %s", c.Name, c.Version, c.APIVersion))
	add(dMuted, "    ", fmt.Sprintf("socket %s (from %s)", c.Socket, c.From))
	for _, cond := range c.Conditions {
		if cond.Status {
			status(checks.StatusOK, cond.Type)
			continue
		}
		text := cond.Type + "=false"
		if cond.Reason != "" {
			text += ": " + cond.Reason
		}
		if cond.Message != "" {
			text += ": " + cond.Message
		}
		status(checks.StatusFail, text)
	}
	if c.CNIStatus != "" && c.CNIStatus != "OK" {
		status(checks.StatusFail, "last CNI load: "+c.CNIStatus)
	}
	if c.SandboxImage != "" {
		add(dText, "sandbox image  ", c.SandboxImage)
	}
	if len(c.Handlers) > 0 {
		add(dText, "handlers       ", strings.Join(c.Handlers, ", "))
	}
	if c.ListErr != "" {
		add(dError, "✖ ", "its containers are not known: "+c.ListErr)
		return out
	}
	add(dText, "runs           ", fmt.Sprintf("%d sandboxes, %d containers", c.Sandboxes, c.Containers))
	if len(c.NotKubernetes) == 0 {
		return out
	}
	status(checks.StatusWarn, fmt.Sprintf("%d not created by the kubelet:", len(c.NotKubernetes)))
	for _, s := range c.NotKubernetes {
		add(dMuted, "    ", s)
	}
	return out
}
