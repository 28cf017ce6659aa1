package safetext

import (
	"strings"
	"testing"
	"time"
)

func TestRedactSecrets(t *testing.T) {
	cases := map[string]string{
		`exec /usr/bin/kubectl.real --token=abc123 "$@"`:           `exec /usr/bin/kubectl.real --token=<redacted> "$@"`,
		`kubectl --token abc123 get pods`:                          `kubectl --token <redacted> get pods`,
		`export KUBE_TOKEN="s3cr3t"`:                               `export KUBE_TOKEN=<redacted>`,
		`curl -H "Authorization: Bearer abc.def"`:                  `curl -H "Authorization: Bearer <redacted>`,
		`password: hunter2`:                                        `password: <redacted>`,
		`x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl`: `x <redacted>`,
		`export MYSQL_PWD=s3cr3t`:                                  `export MYSQL_PWD=<redacted>`,
		`DB_PASS: "s3cr3t"`:                                        `DB_PASS: <redacted>`,
		`curl -u admin:s3cr3t https://x`:                           `curl -u admin:<redacted> https://x`,
		`curl --user=admin:s3cr3t https://x`:                       `curl --user=admin:<redacted> https://x`,
		`cd "$PWD"`:                                                `cd "$PWD"`,
		`#!/bin/sh`:                                                `#!/bin/sh`,
		`exec kubectl.real "$@"`:                                   `exec kubectl.real "$@"`,
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
	got := RedactSecretLines(in, 0, len(in))
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if in[3] != "  MIIEpAIBAAKCAQEA" {
		t.Errorf("the input was changed")
	}
}

// TestRedactSecretLinesAcrossLines: YAML can put a credential's name and its value on different
// lines, an env entry's name above its value or a block scalar under its key. An excerpt of a
// static pod manifest or a kubeconfig shows each line alone, so each must come out redacted.
func TestRedactSecretLinesAcrossLines(t *testing.T) {
	in := []string{
		"    env:",
		"    - name: ETCD_PASSWORD",
		"      value: hunter2",
		"    - value: \"s3cr3t-first\"",
		"      name: \"API_TOKEN\"",
		"    - name: LOG_LEVEL",
		"      value: debug",
		"    - name: VAULT_SECRET",
		"      valueFrom:",
		"        secretKeyRef: {name: vault, key: value}",
		"      value: >-",
		"        folded-secret-line",
		"users:",
		"- name: admin",
		"  user:",
		"    token: |",
		"      block-token-line-one",
		"      block-token-line-two",
		"    username: admin",
		"    password:",
		"      plain-continued-secret",
		"    client-secret:",
		"      name: kept",
		"- name: DB_PASS",
		"  value: crlf-secret\r",
	}
	got := RedactSecretLines(in, 0, len(in))
	if len(got) != len(in) {
		t.Fatalf("%d lines in, %d out", len(in), len(got))
	}
	text := strings.Join(got, "\n")
	for _, secret := range []string{"hunter2", "s3cr3t-first", "folded-secret-line", "block-token-line", "plain-continued-secret", "crlf-secret"} {
		if strings.Contains(text, secret) {
			t.Errorf("%q survived:\n%s", secret, text)
		}
	}
	for _, kept := range []string{"      value: debug", "- name: admin", "    username: admin", "      name: kept", "        secretKeyRef: {name: vault, key: value}", "    - name: ETCD_PASSWORD"} {
		if !strings.Contains(text, kept) {
			t.Errorf("%q was redacted:\n%s", kept, text)
		}
	}
}

// TestRedactSecretLinesWindow: the lines asked for come back, redacted with what the lines around
// them say (a key block begun above the window), and out-of-range bounds are clamped.
func TestRedactSecretLinesWindow(t *testing.T) {
	in := []string{"-----BEGIN PRIVATE KEY-----", "MIIEv", "SECRETBODY", "-----END PRIVATE KEY-----", "- name: X_TOKEN", "  value: abc", "a: 1"}
	if got := strings.Join(RedactSecretLines(in, 2, 6), "|"); got != "<redacted private key>|<redacted private key>|- name: X_TOKEN|  value: <redacted>" {
		t.Errorf("window 2:6 = %q", got)
	}
	if got := strings.Join(RedactSecretLines(in, 6, 99), "|"); got != "a: 1" {
		t.Errorf("window 6:99 = %q", got)
	}
	if got := RedactSecretLines(in, 5, 2); len(got) != 0 {
		t.Errorf("window 5:2 = %q", got)
	}
}

// TestRedactSecretLinesTakesLinearTime: a node's file of 4 MiB made of the shapes that need a
// look at other lines (key blocks, env names, block scalars) is redacted in well under the
// drill-in's 5 s; a pass per key block over the text before it took seconds.
func TestRedactSecretLinesTakesLinearTime(t *testing.T) {
	for _, unit := range []string{"-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----", "  name: TOKEN", "token: |", "  password:"} {
		lines := strings.Split(strings.Repeat(unit+"\n", 4<<20/len(unit)), "\n")
		start := time.Now()
		RedactSecretLines(lines, 1000, 1013)
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("%d lines of %q took %s", len(lines), unit, d)
		}
	}
}
