package safetext

import (
	"regexp"
	"strings"
)

// Patterns of credentials that text from a cluster or a node may carry: flags and assignments
// named like secrets, bearer headers, JWTs, PEM private keys. Text quoted from files, commands,
// object YAML or event messages goes through RedactSecrets before it can reach a screen.
var secretPatterns = []*regexp.Regexp{
	// The name must end in the secret word, so "secretName: db" or "tokenTTL: 1h" keep their value;
	// a JSON key's closing quote may stand between the name and the colon.
	regexp.MustCompile(`(?i)((?:--|\b)[\w-]*(?:token|password|passwd|pass|pwd|secret|api[-_]?key|client-key-data|private[-_]?key|secret[\w-]*key)\\?["']?\s*[=:]\s*|(?:--)[\w-]*(?:token|password|secret)\s+)("[^"]*"|'[^']*'|\S+)`),
	regexp.MustCompile(`(?i)(\bbearer\s+|\bauthorization\\?["']?\s*[=:]\s*["']?basic\s+)(\S+)`),
	regexp.MustCompile(`()\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*`),
}

// pemKey is a private key block, possibly cut off: its base64 lines are the secret.
var pemKey = regexp.MustCompile(`(?s)-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)`)

// userPassword is curl's -u user:password (and --user=): the user stays, the password goes;
// a numeric uid:gid (docker run -u 1000:1000) is not a credential.
var userPassword = regexp.MustCompile(`((?:^|\s)(?:-u\s*|--user[=\s]+)["']?([^\s:"']+):)([^\s"']+)`)

// urlPassword is the password of a URL's user info (a proxy's http://user:pass@host): the
// user name and host stay.
var urlPassword = regexp.MustCompile(`(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]+:)[^\s@/]+@`)

// RedactSecrets replaces the value of anything that looks like a credential with "<redacted>",
// keeping the name so a reader still sees that a credential is there. Booleans and empty values
// stay ("automountServiceAccountToken: false" hides nothing).
func RedactSecrets(s string) string {
	s = pemKey.ReplaceAllString(s, "<redacted private key>")
	if strings.Contains(s, "\n") {
		// Line by line, so a name at the end of one line never takes the next line as its value.
		lines := strings.Split(s, "\n")
		for i, l := range lines {
			lines[i] = redactLine(l)
		}
		return strings.Join(lines, "\n")
	}
	return redactLine(s)
}

func redactLine(s string) string {
	s = urlPassword.ReplaceAllString(s, "${1}<redacted>@")
	s = userPassword.ReplaceAllStringFunc(s, func(m string) string {
		sub := userPassword.FindStringSubmatch(m)
		if digits(sub[2]) && digits(sub[3]) || strings.HasPrefix(sub[3], "<redacted") {
			return m
		}
		return sub[1] + "<redacted>"
	})
	for _, p := range secretPatterns {
		s = p.ReplaceAllStringFunc(s, func(m string) string {
			sub := p.FindStringSubmatch(m)
			name, value := sub[1], m[len(sub[1]):]
			switch v := strings.Trim(strings.ToLower(value), `"'`); {
			case v == "true", v == "false", v == "", v == "null", v == "~", strings.HasPrefix(v, "<redacted"):
				return m
			}
			return name + "<redacted>"
		})
	}
	return s
}

// RedactSecretLines returns lines[from:to] redacted like RedactSecrets, one line out for each
// line in, so numbered excerpts of a file stay true. It reads all of lines for what spans
// lines: a private key block whose BEGIN line is above the excerpt (each of its lines becomes
// "<redacted private key>"), an env entry's name and value, a value under its key. Its time
// grows with the number of lines, not their square: a file may hold a million.
func RedactSecretLines(lines []string, from, to int) []string {
	from, to = max(0, min(from, len(lines))), max(0, min(to, len(lines)))
	from = min(from, to)
	out := make([]string, len(lines))
	copy(out, lines)
	text := strings.Join(lines, "\n")
	line, at := 0, 0 // the line that text[at] is on
	for _, span := range pemKey.FindAllStringIndex(text, -1) {
		line += strings.Count(text[at:span[0]], "\n")
		last := line + strings.Count(text[span[0]:span[1]], "\n")
		for i := line; i <= last && i < len(out); i++ {
			out[i] = "<redacted private key>"
		}
		line, at = last, span[1]
	}
	redactYAMLValues(out)
	out = out[from:to]
	for i, l := range out {
		out[i] = redactLine(l)
	}
	return out
}

// yamlKey is a YAML mapping key at the start of a line, after a list item's "- " if any: its
// column is where the key starts.
var yamlKey = regexp.MustCompile(`^(\s*(?:-\s+)?)["']?([\w.-]+)["']?\s*:(?:\s+(.*?))?\s*$`)

// credentialEnvName is an env var's name that says it holds a credential, as kube redacts them.
var credentialEnvName = regexp.MustCompile(`(?i)(pass(word|wd)?|secret|token|api[-_]?key|private[-_]?key|credential|auth)`)

// yamlLine is what redactYAMLValues needs of a line, read once.
type yamlLine struct {
	key, value string // key "" when the line holds none
	col        int    // the key's column, or the line's indentation without a key
	item       bool   // the line starts a list item ("- name: x")
	blank      bool
}

func readYAMLLine(l string) yamlLine {
	if strings.Contains(l, ":") {
		if m := yamlKey.FindStringSubmatch(l); m != nil {
			return yamlLine{key: m[2], value: m[3], col: len(m[1]), item: strings.Contains(m[1], "-")}
		}
	}
	body := strings.TrimLeft(l, " ")
	return yamlLine{col: len(l) - len(body), blank: strings.TrimSpace(body) == ""}
}

// redactYAMLValues redacts the credentials YAML writes on lines other than their name's, which a
// line on its own does not show: an env entry's value ("- name: DB_PASSWORD" with "value: x"
// above or below it) and a value under its key ("token: |", or "password:" and the next line).
func redactYAMLValues(lines []string) {
	parsed := make([]yamlLine, len(lines))
	for i, l := range lines {
		parsed[i] = readYAMLLine(l)
	}
	credentialKey := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		y := parsed[i]
		if y.key == "" {
			continue
		}
		secret, seen := credentialKey[y.key]
		if !seen {
			secret = redactLine(y.key+": x") != y.key+": x"
			credentialKey[y.key] = secret
		}
		switch {
		case y.key == "name" && credentialEnvName.MatchString(strings.Trim(y.value, `"'`)):
			for _, j := range siblingKeys(parsed, i) {
				if parsed[j].key == "value" {
					redactYAMLValue(lines, parsed, j)
				}
			}
		case secret:
			i = max(i, redactYAMLValue(lines, parsed, i))
		}
	}
}

// redactYAMLValue redacts the value of the key at line i: on its line, or the lines under it
// that continue it (a block scalar, or a plain scalar on the next lines). A mapping or list
// under the key is not a value and stays. It returns the last line it redacted.
func redactYAMLValue(lines []string, parsed []yamlLine, i int) int {
	y := parsed[i]
	v := strings.TrimSpace(y.value)
	block := strings.HasPrefix(v, "|") || strings.HasPrefix(v, ">")
	if v != "" && !block {
		l := strings.TrimRight(lines[i], " \t\n\f\r") // what \s* left out of the value
		lines[i] = l[:len(l)-len(y.value)] + redactedValue(y.value)
		return i
	}
	last := i
	for j := i + 1; j < len(lines); j++ {
		c := parsed[j]
		if c.blank {
			continue
		}
		if c.col <= y.col {
			break
		}
		body := strings.TrimLeft(lines[j], " ")
		if !block && (c.key != "" || strings.HasPrefix(body, "- ") || body == "-") {
			break // a mapping or a list: the key holds no scalar
		}
		lines[j] = lines[j][:len(lines[j])-len(body)] + "<redacted>"
		parsed[j] = yamlLine{col: c.col}
		last = j
	}
	return last
}

// redactedValue replaces a value on a key's line, keeping the values that hide nothing.
func redactedValue(value string) string {
	switch v := strings.Trim(strings.ToLower(value), `"'`); {
	case v == "true", v == "false", v == "", v == "null", v == "~", strings.HasPrefix(v, "<redacted"):
		return value
	}
	return "<redacted>"
}

// maxSiblingLines bounds how far siblingKeys looks from a name: an env entry is a few lines,
// and a file of a million "name: TOKEN" lines must not take a million squared steps.
const maxSiblingLines = 64

// siblingKeys are the lines of the other keys of the mapping whose key is at line i: above it up
// to the list item's "- ", below it until the indentation drops or a new item starts.
func siblingKeys(parsed []yamlLine, i int) []int {
	var out []int
	col := parsed[i].col
	if !parsed[i].item {
		for j := i - 1; j >= 0 && j >= i-maxSiblingLines; j-- {
			p := parsed[j]
			if p.blank || p.col > col {
				continue
			}
			if p.col < col {
				break
			}
			out = append(out, j)
			if p.item {
				break
			}
		}
	}
	for j := i + 1; j < len(parsed) && j <= i+maxSiblingLines; j++ {
		p := parsed[j]
		if p.blank || p.col > col {
			continue
		}
		if p.col < col || p.item {
			break
		}
		out = append(out, j)
	}
	return out
}

func digits(s string) bool {
	return s != "" && strings.Trim(s, "0123456789") == ""
}
