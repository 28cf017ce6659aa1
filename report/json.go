package report

import (
	"encoding/json"
	"io"
)

// writeJSON writes the report as indented JSON. Strings are kept exactly as the cluster gave
// them: JSON escapes control characters, and programs need the true names.
func writeJSON(w io.Writer, r *Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}
