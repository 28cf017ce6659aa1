package safetext

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
		if got := RedactSecrets(in); got != want {
			t.Errorf("RedactSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactSecretsMultiline(t *testing.T) {
	in := "token:\n  name: x\nkey: |\n  -----BEGIN RSA PRIVATE KEY-----\n  MIIEpAIBAAKCAQEA\n  -----END RSA PRIVATE KEY-----\npassword: hunter2\n"
	got := RedactSecrets(in)
	for _, secret := range []string{"MIIEpAIBAAKCAQEA", "hunter2"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q survived:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "  name: x") {
		t.Errorf("a value-less name took the next line:\n%s", got)
	}
}
