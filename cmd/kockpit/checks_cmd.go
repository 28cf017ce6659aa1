package main

import (
	"fmt"
	"text/tabwriter"

	"github.com/kockpit/kockpit/checks/catalog"
	"github.com/spf13/cobra"
)

// newChecksCommand lists the checks, for --only and --skip.
func newChecksCommand(o *options) *cobra.Command {
	return &cobra.Command{
		Use:   "checks",
		Short: "List every check: ID, category and title",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			w := tabwriter.NewWriter(o.streams.Out, 0, 4, 2, ' ', 0)
			fmt.Fprintln(w, "ID\tCATEGORY\tTITLE")
			for _, c := range catalog.All() {
				fmt.Fprintf(w, "%s\t%s\t%s\n", c.ID, c.Category, c.Title)
			}
			return w.Flush()
		},
	}
}
