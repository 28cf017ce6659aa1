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
	regexp.MustCompile(`(?i)((?:--|\b)[\w-]*(?:token|password|passwd|secret|api[-_]?key|client-key-data|private[-_]?key|secret[\w-]*key)\\?["']?\s*[=:]\s*|(?:--)[\w-]*(?:token|password|secret)\s+)("[^"]*"|'[^']*'|\S+)`),
	regexp.MustCompile(`(?i)(\bbearer\s+|\bauthorization\\?["']?\s*[=:]\s*["']?basic\s+)(\S+)`),
	regexp.MustCompile(`()\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*`),
}

// pemKey is a private key block, possibly cut off: its base64 lines are the secret.
var pemKey = regexp.MustCompile(`(?s)-----BEGIN [A-Z ]*PRIVATE KEY(?: BLOCK)?-----.*?(?:-----END [A-Z ]*PRIVATE KEY(?: BLOCK)?-----|$)`)

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

// RedactSecretLines redacts like RedactSecrets but keeps one line out for each line in, so
// numbered excerpts of a file stay true: each line of a private key block becomes
// "<redacted private key>".
func RedactSecretLines(lines []string) []string {
	out := make([]string, len(lines))
	copy(out, lines)
	text := strings.Join(lines, "\n")
	for _, span := range pemKey.FindAllStringIndex(text, -1) {
		first := strings.Count(text[:span[0]], "\n")
		last := first + strings.Count(text[span[0]:span[1]], "\n")
		for i := first; i <= last && i < len(out); i++ {
			out[i] = "<redacted private key>"
		}
	}
	for i, l := range out {
		out[i] = redactLine(l)
	}
	return out
}
