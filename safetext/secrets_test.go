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

// TestRedactSecretsBeyondFlags: credentials as JSON keys, basic auth, URL passwords, names that
// only start with the secret word, and PGP keys.
func TestRedactSecretsBeyondFlags(t *testing.T) {
	cases := map[string]string{
		`{"token":"s3cr3t","user":"x"}`:                                                      `{"token":<redacted>,"user":"x"}`,
		`{"password": "s3cr3t"}`:                                                             `{"password": <redacted>}`,
		`"client-key-data": "LS0tLS1CRUdJTg=="`:                                              `"client-key-data": <redacted>`,
		`curl -H 'Authorization: Basic dXNlcjpwYXNz' x`:                                      `curl -H 'Authorization: Basic <redacted> x`,
		`AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI`:                                                `AWS_SECRET_ACCESS_KEY=<redacted>`,
		`HTTPS_PROXY=http://proxy-user:hunter2@proxy:3128`:                                   `HTTPS_PROXY=http://proxy-user:<redacted>@proxy:3128`,
		`server: https://admin:hunter2@10.0.0.1:6443/healthz`:                                `server: https://admin:<redacted>@10.0.0.1:6443/healthz`,
		"-----BEGIN PGP PRIVATE KEY BLOCK-----\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----": "<redacted private key>",
		// What stays: no credential, or a reference to one.
		`secretKeyRef: {name: db}`:        `secretKeyRef: {name: db}`,
		`https://10.0.0.1:6443/healthz`:   `https://10.0.0.1:6443/healthz`,
		`basic checks pass`:               `basic checks pass`,
		`image: registry.io:5000/app:1.2`: `image: registry.io:5000/app:1.2`,
	}
	for in, want := range cases {
		if got := RedactSecrets(in); got != want {
			t.Errorf("RedactSecrets(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestRedactSecretLinesKeepsLineNumbers(t *testing.T) {
	in := []string{"a: 1", "key: |", "  -----BEGIN RSA PRIVATE KEY-----", "  MIIEpAIBAAKCAQEA", "  -----END RSA PRIVATE KEY-----", "token: abc", "-----BEGIN PRIVATE KEY-----", "cut off"}
	want := []string{"a: 1", "key: |", "<redacted private key>", "<redacted private key>", "<redacted private key>", "token: <redacted>", "<redacted private key>", "<redacted private key>"}
	got := RedactSecretLines(in)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if in[3] != "  MIIEpAIBAAKCAQEA" {
		t.Errorf("the input was changed")
	}
}
