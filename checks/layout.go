package checks

import (
	"strconv"
	"strings"
)

// SectionKind is one part of a finding as every view lays it out.
type SectionKind int

// The parts of a finding, in the order every view shows them.
const (
	// SectionAbout names what the finding is about: "Pod kube-system/etcd-cp1", "/etc/hosts:3:7".
	SectionAbout SectionKind = iota
	// SectionMessage says what is wrong.
	SectionMessage
	// SectionEvidence quotes what was seen, a line each.
	SectionEvidence
	// SectionFix says how to fix it (the finding's Hint).
	SectionFix
	// SectionCommands are the commands that show the same thing without kockpit, one each.
	SectionCommands
	// SectionExplains names, for a cause, what it explains.
	SectionExplains
)

// Section is one labelled part of a finding. Its lines are the finding's text as the runner
// emitted it (credentials redacted); each view makes them safe for its medium.
type Section struct {
	Kind SectionKind
	// Label is the word a view may write before the part ("evidence", "fix", "$", "explains");
	// "" for the subject and the message, which need none.
	Label string
	Lines []string
}

// Layout is a finding laid out for a person, once for every view: what it is about, the
// message, the evidence, the fix, the commands, then what a cause explains (the objects it
// names; the findings, by ID, when it names no object: those about the objects are the same
// findings). Parts the finding lacks are left out. The cockpit's detail pane and drill-in and
// the report's human formats each draw these sections in their own medium.
func (f *Finding) Layout() []Section {
	commands := make([]string, len(f.Commands))
	for i, c := range f.Commands {
		commands[i] = c.String()
	}
	return f.LayoutWith(commands)
}

// LayoutWith is Layout with the commands already rendered to lines: a report's finding holds
// them as the lines it prints.
func (f *Finding) LayoutWith(commands []string) []Section {
	var out []Section
	add := func(kind SectionKind, label string, lines ...string) {
		if len(lines) > 0 {
			out = append(out, Section{Kind: kind, Label: label, Lines: lines})
		}
	}
	if about := f.About(); about != "" {
		add(SectionAbout, "", about)
	}
	add(SectionMessage, "", f.Message)
	add(SectionEvidence, "evidence", f.Evidence...)
	if f.Hint != "" {
		add(SectionFix, "fix", f.Hint)
	}
	add(SectionCommands, "$", commands...)
	var explains []string
	for _, o := range f.Explains {
		explains = append(explains, o.String())
	}
	if len(explains) == 0 {
		explains = f.ExplainsFindings
	}
	add(SectionExplains, "explains", explains...)
	return out
}

// About names what a finding is about: "Pod kube-system/etcd-cp1", "/etc/hosts:3:7"; "" when
// it is about neither an object nor a file.
func (f *Finding) About() string {
	switch {
	case f.Object != nil:
		return f.Object.String()
	case f.File != nil:
		return f.File.String()
	}
	return ""
}

// String names the object as kubectl's users read it: "Pod kube-system/etcd-cp1", "Node cp1".
func (o ObjectRef) String() string {
	if o.Namespace == "" {
		return o.Kind + " " + o.Name
	}
	return o.Kind + " " + o.Namespace + "/" + o.Name
}

// String names the file and the position in it as editors take it: "/etc/hosts:3:7".
func (r FileRef) String() string {
	var b strings.Builder
	b.WriteString(r.Path)
	if r.Line > 0 {
		b.WriteString(":" + strconv.Itoa(r.Line))
		if r.Column > 0 {
			b.WriteString(":" + strconv.Itoa(r.Column))
		}
	}
	return b.String()
}
