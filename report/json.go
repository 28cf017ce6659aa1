package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// writeJSON writes the report as indented JSON. Strings are kept exactly as the cluster gave
// them, for programs need the true names; what a terminal would obey is escaped instead, so
// `cat report.json` on camera cannot move the cursor: encoding/json escapes the C0 controls
// (ESC among them) and escapeControls DEL and the C1 ones (U+009B is a CSI to many terminals).
func writeJSON(w io.Writer, r *Report) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return err
	}
	_, err := w.Write(escapeControls(buf.Bytes()))
	return err
}

// escapeControls rewrites DEL (7F) and the UTF-8 encodings of U+0080..U+009F (C2 80..C2 9F)
// as JSON \u escapes, the control characters encoding/json writes raw. In its output they can
// only stand inside strings, 7F is never part of a longer UTF-8 sequence and 0xC2 is never a
// continuation byte, so a byte scan finds exactly them.
func escapeControls(b []byte) []byte {
	var out []byte
	last := 0
	for i := 0; i < len(b); i++ {
		var r byte
		switch {
		case b[i] == 0x7f:
			r = 0x7f
		case b[i] == 0xc2 && i+1 < len(b) && b[i+1] >= 0x80 && b[i+1] <= 0x9f:
			r = b[i+1]
		default:
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b)+16)
		}
		out = append(out, b[last:i]...)
		out = fmt.Appendf(out, `\u%04x`, r)
		if r != 0x7f {
			i++
		}
		last = i + 1
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}
