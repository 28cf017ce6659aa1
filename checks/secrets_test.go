package checks

import (
	"strings"
	"testing"
)

func TestRedactSecrets(t *testing.T) {
	cases := map[string]string{
		`exec /usr/bin/kubectl.real --token=abc123 "$@"`:           `exec /usr/bin/kubectl.real --token=<redacted> "$@"`,
		`kubectl --token abc123 get pods`:                          `kubectl --token <redacted> get pods`,
		`export KUBE_TOKEN="s3cr3t"`:                               `export KUBE_TOKEN=<redacted>`,
		`curl -H "Authorization: Bearer abc.def"`:                  `curl -H "Authorization: Bearer <redacted>`,
		`password: hunter2`:                                        `password: <redacted>`,
		`x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl`: `x <redacted>`,
		`#!/bin/sh`:              `#!/bin/sh`,
		`exec kubectl.real "$@"`: `exec kubectl.real "$@"`,
	}
	for in, want := range cases {
		if got := redactSecrets(in); got != want {
			t.Errorf("redactSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestScriptQuoteRedactsTokens(t *testing.T) {
	lines := printableLines([]byte("#!/bin/sh\nexec /usr/bin/kubectl.real --token=SUPERSECRET \"$@\"\n"), 5)
	if joined := strings.Join(lines, "\n"); strings.Contains(joined, "SUPERSECRET") {
		t.Errorf("a wrapper's token reached the quoted lines: %q", joined)
	}
}
