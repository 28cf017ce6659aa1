package checks

import "regexp"

// Patterns of credentials that files on a node or a wrapper script may carry: flags and
// assignments named like secrets, bearer headers, JWTs, PEM private keys. A quoted line goes
// through redactSecrets before it can reach a finding, as findings are shown on camera.
var secretPatterns = []*regexp.Regexp{
	regexp.MustCompile(`(?i)((?:--|\b)[\w-]*(?:token|password|passwd|secret|api[-_]?key|client-key-data)[\w-]*\s*[=:]\s*|(?:--)[\w-]*(?:token|password|secret)[\w-]*\s+)("[^"]*"|'[^']*'|\S+)`),
	regexp.MustCompile(`(?i)(\bbearer\s+)(\S+)`),
	regexp.MustCompile(`()\beyJ[\w-]{8,}\.[\w-]{8,}\.[\w-]*`),
	regexp.MustCompile(`()-----BEGIN [A-Z ]*PRIVATE KEY-----.*`),
}

// redactSecrets replaces the value of anything that looks like a credential with "<redacted>",
// keeping the name so a reader still sees that a credential is there.
func redactSecrets(s string) string {
	for _, p := range secretPatterns {
		s = p.ReplaceAllString(s, "${1}<redacted>")
	}
	return s
}
