package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/kockpit/kockpit/safetext"
)

// learnWidth is the column the Learn text wraps at: readable in any terminal and on a slide.
const learnWidth = 80

// newChecksCommand lists the checks, for --only and --skip, or shows one check's Learn text.
func newChecksCommand(o *options) *cobra.Command {
	var learn string
	cmd := &cobra.Command{
		Use:   "checks",
		Short: "List every check: ID, category and title; --learn ID explains one",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if learn != "" {
				return writeLearn(o.streams.Out, learn)
			}
			w := tabwriter.NewWriter(o.streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tCATEGORY\tTITLE")
			for _, c := range catalog.All() {
				fmt.Fprintf(w, "%s\t%s\t%s\n", c.ID, c.Category, c.Title)
			}
			return w.Flush()
		},
	}
	cmd.Flags().StringVar(&learn, "learn", "", "show what check `ID` looks at, why that breaks clusters and how to fix it")
	return cmd
}

// writeLearn prints a check's title and its Learn text, wrapped, paragraph by paragraph.
func writeLearn(w io.Writer, id string) error {
	var found *checks.Check
	for _, c := range catalog.All() {
		if c.ID == id {
			found = &c
			break
		}
	}
	if found == nil {
		return usagef("--learn %s: no such check (see 'kockpit checks' for the list)", safetext.Visible(id))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s · %s\n", found.ID, found.Title)
	for _, para := range strings.Split(found.Learn, "\n\n") {
		b.WriteString("\n")
		line := 0
		for i, word := range strings.Fields(para) {
			if i > 0 && line+1+len(word) > learnWidth {
				b.WriteString("\n")
				line = 0
			} else if i > 0 {
				b.WriteString(" ")
				line++
			}
			b.WriteString(word)
			line += len(word)
		}
		b.WriteString("\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
