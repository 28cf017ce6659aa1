package checks

import (
	"io/fs"
	"strings"
)

// LearnText reads a check's Learn text from learn/<id>.md in an area's embedded files. The
// Markdown is kept as a reader wrote it: the lines of a paragraph are joined with spaces and
// paragraphs are separated by one blank line, so every view can wrap it to its own width. A
// missing file gives "", which the catalog's tests refuse.
func LearnText(files fs.FS, id string) string {
	data, err := fs.ReadFile(files, "learn/"+id+".md")
	if err != nil {
		return ""
	}
	var paragraphs []string
	for _, p := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n\n") {
		if p = strings.Join(strings.Fields(p), " "); p != "" {
			paragraphs = append(paragraphs, p)
		}
	}
	return strings.Join(paragraphs, "\n\n")
}
