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
		`export KUBE_TOKEN="s3cr3t"`:                               `export KUBE_TOKEN="<redacted>"`,
		`curl -H "Authorization: Bearer abc.def"`:                  `curl -H "Authorization: Bearer <redacted>"`,
		`password: hunter2`:                                        `password: <redacted>`,
		`x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl`: `x <redacted>`,
		`export MYSQL_PWD=s3cr3t`:                                  `export MYSQL_PWD=<redacted>`,
		`DB_PASS: "s3cr3t"`:                                        `DB_PASS: "<redacted>"`,
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
		`{"token":"s3cr3t","user":"x"}`:                                                      `{"token":"<redacted>","user":"x"}`,
		`{"password": "s3cr3t"}`:                                                             `{"password": "<redacted>"}`,
		`"client-key-data": "LS0tLS1CRUdJTg=="`:                                              `"client-key-data": "<redacted>"`,
		`curl -H 'Authorization: Basic dXNlcjpwYXNz' x`:                                      `curl -H 'Authorization: Basic <redacted>' x`,
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
		// CPU time, not wall time: a loaded machine does not make the test fail.
		if d := cpuTimeOf(func() { RedactSecretLines(lines, 1000, 1013) }); d > 3*time.Second {
			t.Errorf("%d lines of %q took %s of CPU", len(lines), unit, d)
		}
	}
}

// redactCases checks RedactSecrets over a table, and that redacting its output changes nothing.
func redactCases(t *testing.T, cases []struct{ in, want string }) {
	t.Helper()
	for _, c := range cases {
		got := RedactSecrets(c.in)
		if got != c.want {
			t.Errorf("RedactSecrets(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
		if again := RedactSecrets(got); again != got {
			t.Errorf("RedactSecrets is not idempotent on %q: %q, then %q", c.in, got, again)
		}
	}
}

// TestRedactSecretsSplitFlags: a credential flag whose value is the next word or list item.
func TestRedactSecretsSplitFlags(t *testing.T) {
	redactCases(t, []struct{ in, want string }{
		{`kube-apiserver --password hunter2 --v=2`, `kube-apiserver --password <redacted> --v=2`},
		{`kubectl --token abc123 get pods`, `kubectl --token <redacted> get pods`},
		{`dex --client-secret cs-1 --issuer x`, `dex --client-secret <redacted> --issuer x`},
		{`--oidc-client-secret	tabbed`, `--oidc-client-secret	<redacted>`},
		{`app -password hunter2`, `app -password <redacted>`},
		{`app --api-key ak-1 --private-key pk-1`, `app --api-key <redacted> --private-key <redacted>`},
		{`redis-cli --pass p1 ping`, `redis-cli --pass <redacted> ping`},
		// In a JSON or flow list, on one line.
		{`args: ["--password", "hunter2", "--v=2"]`, `args: ["--password", "<redacted>", "--v=2"]`},
		{`command: ['--token', 'abc']`, `command: ['--token', '<redacted>']`},
		{`[--client-secret, cs-1, --v=2]`, `[--client-secret, <redacted>, --v=2]`},
		{`[kube-apiserver --token abc --v=2]`, `[kube-apiserver --token <redacted> --v=2]`},
		// -p and -a where the command makes them a password.
		{`sshpass -p pw1 ssh -p 22 host`, `sshpass -p <redacted> ssh -p 22 host`},
		{`sshpass -ppw1 ssh host`, `sshpass -p<redacted> ssh host`},
		{`sshpass -v -P assword: -p pw1 ssh host`, `sshpass -v -P assword: -p <redacted> ssh host`},
		{`redis-cli -h cache -p 6379 -a pw1 ping`, `redis-cli -h cache -p 6379 -a <redacted> ping`},
		{`/usr/bin/mysql -u root -prootpw app`, `/usr/bin/mysql -u root -p<redacted> app`},
		{`mysqldump -prootpw --all-databases`, `mysqldump -p<redacted> --all-databases`},
		// ... and not elsewhere.
		{`sshpass -f /run/pw ssh -p 22 host`, `sshpass -f /run/pw ssh -p 22 host`},
		{`mysql -u root -p app`, `mysql -u root -p app`},
		{`docker run -p 8080:80 nginx`, `docker run -p 8080:80 nginx`},
		{`ssh -p 2222 host`, `ssh -p 2222 host`},
		{`kube-apiserver --token --insecure`, `kube-apiserver --token --insecure`},
		{`--anonymous-auth false`, `--anonymous-auth false`},
	})
}

// TestRedactSecretsKeepsTheMessage: exactly the value goes, never the words after it or the
// punctuation around it; a flag named in a message has no value to redact.
func TestRedactSecretsKeepsTheMessage(t *testing.T) {
	redactCases(t, []struct{ in, want string }{
		{`--token is given 2 times with different values`, `--token is given 2 times with different values`},
		{`--token-auth-file is given 2 times`, `--token-auth-file is given 2 times`},
		{`--token abc given 2 times`, `--token <redacted> given 2 times`},
		{`--token <redacted> given 2 times`, `--token <redacted> given 2 times`},
		{`--client-secret must be set with --client-id`, `--client-secret must be set with --client-id`},
		{`flags --token, --password and --client-secret are deprecated`, `flags --token, --password and --client-secret are deprecated`},
		{`a bearer token is required, got Bearer abc123`, `a bearer token is required, got Bearer <redacted>`},
		{`(set --token=abc).`, `(set --token=<redacted>).`},
		{`anonymous requests are refused (--anonymous-auth=false): the probes fail`, `anonymous requests are refused (--anonymous-auth=false): the probes fail`},
		{`is --token=abc?`, `is --token=<redacted>?`},
		{`"--token=abc" "--v=2"`, `"--token=<redacted>" "--v=2"`},
		{`--token=abc, --v=2`, `--token=<redacted>, --v=2`},
		{`Pod "--token abc": spec.containers must be a list`, `Pod "--token <redacted>": spec.containers must be a list`},
		{`name "--password=abc".`, `name "--password=<redacted>".`},
		{`'--password=p w' x`, `'--password=<redacted>' x`},
		{`sh -c "kubectl --token=a b c get pods"`, `sh -c "kubectl --token=<redacted> b c get pods"`},
		{`GET /api?token=abc&page=2 HTTP/1.1`, `GET /api?token=<redacted>&page=2 HTTP/1.1`},
		{`{"token":"s3cr3t","user":"x"}`, `{"token":"<redacted>","user":"x"}`},
		{`{\"token\":\"s3cr3t\",\"user\":\"x\"}`, `{\"token\":\"<redacted>\",\"user\":\"x\"}`},
		{`token => "abc", user => "x"`, `token => "<redacted>", user => "x"`},
		{`password := "abc"`, `password := "<redacted>"`},
		{`value: $(TOKEN)`, `value: $(TOKEN)`},
	})
}

// TestRedactSecretsShapes: credentials known by their form, wherever they appear.
func TestRedactSecretsShapes(t *testing.T) {
	redactCases(t, []struct{ in, want string }{
		// AWS access key IDs, and the secret key beside one.
		{`aws_access_key_id = AKIAIOSFODNN7EXAMPLE`, `aws_access_key_id = <redacted>`},
		{`creds ASIAY34FZKBOKMUTVV7A,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY`, `creds <redacted>,<redacted>`},
		{`AKIAIOSFODNN7EXAMPLE:wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY@s3`, `<redacted>:<redacted>@s3`},
		{`"AccessKeyId": "ASIAY34FZKBOKMUTVV7A"`, `"AccessKeyId": "<redacted>"`},
		{`aws configure set x AKIAIOSFODNN7EXAMPLE`, `aws configure set x <redacted>`},
		// GitHub, GitLab, Slack, Google, Stripe, npm.
		{`git clone https://ghp_0123456789abcdefghijABCDEFGHIJ012345@github.com/o/r`, `git clone https://<redacted>@github.com/o/r`},
		{`GH=gho_0123456789abcdefghijABCDEFGHIJ012345 x`, `GH=<redacted> x`},
		{`pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKL`, `pat <redacted>`},
		{`glpat-0123456789abcdefABCD`, `<redacted>`},
		{`notify xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx done`, `notify <redacted> done`},
		{`xoxp-1234-5678-abcdefgh`, `<redacted>`},
		{`hook https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX`, `hook https://hooks.slack.com/services/<redacted>`},
		{`key=AIzaSyA-0123456789abcdefghijklmnopqrstu`, `key=<redacted>`},
		{`sk_live_0123456789abcdefABCDEF`, `<redacted>`},
		{`npm_0123456789abcdefghijABCDEFGHIJ012345`, `<redacted>`},
		// JWTs: three base64url parts, however short.
		{`x eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhZG1pbiJ9.c2lnbmF0dXJl y`, `x <redacted> y`},
		{`unsigned eyJhbGciOiJub25lIn0.e30. end`, `unsigned <redacted> end`},
		{`id_token_hint=eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0.`, `id_token_hint=<redacted>`},
		// Bearer tokens and basic auth, in headers and URLs.
		{`Authorization: Bearer abc.def`, `Authorization: Bearer <redacted>`},
		{`proxy-authorization: basic dXNlcjpwYXNz`, `proxy-authorization: basic <redacted>`},
		{`Authorization: token ghx-123`, `Authorization: token <redacted>`},
		{`curl https://admin:hunter2@10.0.0.1:6443/healthz`, `curl https://admin:<redacted>@10.0.0.1:6443/healthz`},
		{`http://u:p@ss@proxy:3128/`, `http://u:<redacted>@proxy:3128/`},
		{`redis://:hunter2@cache:6379`, `redis://:<redacted>@cache:6379`},
		// kubeadm bootstrap tokens.
		{`kubeadm join 10.0.0.1:6443 abcdef.0123456789abcdef`, `kubeadm join 10.0.0.1:6443 <redacted>`},
		// Private keys, in PEM and in base64.
		{"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk\n-----END OPENSSH PRIVATE KEY-----", "<redacted private key>"},
		{`"key": "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIB\n-----END EC PRIVATE KEY-----\n"`, `"key": "<redacted private key>\n"`},
		{`data LS0tLS1CRUdJTiBSU0EgUFJJVkFURSBLRVktLS0tLQpNSUlFcEFJQkFBS0NBUUVB end`, `data <redacted private key> end`},
		// What is not a credential stays.
		{`AKIAIOSFODNN7EXAMPLEX`, `AKIAIOSFODNN7EXAMPLEX`},
		{`commit 0123456789abcdef0123456789abcdef01234567`, `commit 0123456789abcdef0123456789abcdef01234567`},
		{`ca LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=`, `ca LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUM=`},
		{`image: registry.k8s.io/pause:3.9@sha256:abc`, `image: registry.k8s.io/pause:3.9@sha256:abc`},
		{`coredns.kube-system.svc.cluster.local`, `coredns.kube-system.svc.cluster.local`},
		{`the keyJson.field.x`, `the keyJson.field.x`},
	})
}

// TestRedactSecretsLookalikeNames: a name that looks like a credential's is one, whatever
// characters spell it: confusable letters and dashes, compatibility forms, invisible characters
// inside it. The name is kept as it was, for Annotate to show.
func TestRedactSecretsLookalikeNames(t *testing.T) {
	redactCases(t, []struct{ in, want string }{
		{"--tok\u0435n=abc", "--tok\u0435n=<redacted>"},           // Cyrillic е
		{"--t\u03bfken abc", "--t\u03bfken <redacted>"},           // Greek ο
		{"--tok\u200ben=abc", "--tok\u200ben=<redacted>"},         // zero-width space
		{"--pass\u00adword=abc", "--pass\u00adword=<redacted>"},   // soft hyphen
		{"--to\u202eken=abc", "--to\u202eken=<redacted>"},         // bidi override
		{"--tok\u2060en=abc", "--tok\u2060en=<redacted>"},         // word joiner
		{"--ｔｏｋｅｎ=abc", "--ｔｏｋｅｎ=<redacted>"},                     // fullwidth
		{"--𝐭𝐨𝐤𝐞𝐧 abc", "--𝐭𝐨𝐤𝐞𝐧 <redacted>"},                     // mathematical bold
		{"\u2010\u2010token=abc", "\u2010\u2010token=<redacted>"}, // hyphens
		{"--token\uff1dabc", "--token\uff1d<redacted>"},           // fullwidth equals
		{"p\u0430ssword: hunter2", "p\u0430ssword: <redacted>"},   // Cyrillic а
		{"--client-s\u0435cret cs-1 --v=2", "--client-s\u0435cret <redacted> --v=2"},
		{"Authorization: B\u0435arer abc", "Authorization: B\u0435arer <redacted>"},
		{"--tok\x00en=abc", "--tok\x00en=<redacted>"},
		{"--tokеn is given 2 times", "--tokеn is given 2 times"},
	})
}

// TestRedactSecretsYAMLAndJSONLists: a credential flag and its value as two items of a list
// written one item a line, as YAML writes a container's command and args, and JSON arrays.
func TestRedactSecretsYAMLAndJSONLists(t *testing.T) {
	in := strings.Join([]string{
		"    command:",
		"    - kube-apiserver",
		"    - --password",
		"    - hunter2-yaml",
		"    - --tok\u0435n",
		"    - \"quoted-yaml\"",
		"    - --client-secret",
		"",
		"    - 'after-blank'",
		"    - --token",
		"    - --v=2",
		"    - --insecure",
		"    args:",
		"    - sshpass",
		"    - -p",
		"    - ssh-pw-yaml",
		"    - ssh",
		"    - -p",
		"    - \"2222\"",
		"    - mysql",
		"    - -prootpw",
		`  "args": [`,
		`    "--token",`,
		`    "json-token",`,
		`    "--v=2"`,
		`  ]`,
	}, "\n")
	got := RedactSecrets(in)
	for _, secret := range []string{"hunter2-yaml", "quoted-yaml", "after-blank", "ssh-pw-yaml", "json-token", "rootpw"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q survived:\n%s", secret, got)
		}
	}
	for _, kept := range []string{"    - --v=2\n    - --insecure", `    - "2222"`, "    - --password\n", `    "--v=2"`, "    - -p<redacted>"} {
		if !strings.Contains(got, kept) {
			t.Errorf("%q was changed:\n%s", kept, got)
		}
	}
	lines := strings.Split(in, "\n")
	if out := RedactSecretLines(lines, 0, len(lines)); strings.Join(out, "\n") != got {
		t.Errorf("RedactSecretLines differs from RedactSecrets:\n%s\n---\n%s", strings.Join(out, "\n"), got)
	}
	// An excerpt that starts at the value still knows the flag above it.
	if out := RedactSecretLines(lines, 3, 4); out[0] != "    - <redacted>" {
		t.Errorf("excerpt from the value: %q", out)
	}
}

// TestRedactArgs: a command's arguments as a list, as a Pod's command and args hold them.
func TestRedactArgs(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"kube-apiserver", "--password", "p1", "--token", "t1", "--client-secret", "c1", "--v=2"},
			[]string{"kube-apiserver", "--password", "<redacted>", "--token", "<redacted>", "--client-secret", "<redacted>", "--v=2"}},
		{[]string{"--tok\u0435n", "t1", "--token=t2", "--token", "--insecure", "--api-key", ""},
			[]string{"--tok\u0435n", "<redacted>", "--token=<redacted>", "--token", "--insecure", "--api-key", ""}},
		{[]string{"--token", "is"}, []string{"--token", "<redacted>"}}, // an argument is never prose
		{[]string{"/usr/bin/sshpass", "-p", "p1", "ssh", "-p", "22"}, []string{"/usr/bin/sshpass", "-p", "<redacted>", "ssh", "-p", "22"}},
		{[]string{"timeout", "5", "sshpass", "-f", "/run/pw", "-pp2", "ssh", "-p", "22"}, []string{"timeout", "5", "sshpass", "-f", "/run/pw", "-p<redacted>", "ssh", "-p", "22"}},
		{[]string{"redis-cli", "-h", "cache", "-a", "p1", "ping"}, []string{"redis-cli", "-h", "cache", "-a", "<redacted>", "ping"}},
		{[]string{"mysql", "-u", "root", "-pp1", "-p", "app"}, []string{"mysql", "-u", "root", "-p<redacted>", "-p", "app"}},
		{[]string{"sh", "-c", "curl -H 'Authorization: Bearer abc' x"}, []string{"sh", "-c", "curl -H 'Authorization: Bearer <redacted>' x"}},
		{[]string{"docker", "run", "-p", "80:80", "AKIAIOSFODNN7EXAMPLE"}, []string{"docker", "run", "-p", "80:80", "<redacted>"}},
	}
	for _, c := range cases {
		if got := RedactArgs(c.in); strings.Join(got, "\x00") != strings.Join(c.want, "\x00") {
			t.Errorf("RedactArgs(%q)\n got %q\nwant %q", c.in, got, c.want)
		}
	}
}

// TestRedactSecretsTakesLinearTime: lines built to make a pattern or a value scan start over at
// every position take time linear in their length.
func TestRedactSecretsTakesLinearTime(t *testing.T) {
	for _, unit := range []string{"token=", "--token ", "--token,", `token="`, "token=(", "token=)", "eyJ", "eyJa.", "AKIA",
		"Bearer ", "http://a:", "-u a:", "sshpass -f x ", "redis-cli x ", "mysql x ", "LS0tLS1CRUdJTi", "\u0435", "--tok\u0435n=",
		"a&", "token=a&b", `\"`, "- --token\n", "  \"--token\",\n", "abcdef.0123456789abcdef."} {
		// Both sizes past what Go's regexp runs with its backtracker, which is faster than
		// its NFA: 8 times the input is 8 times the time when linear, 64 times if quadratic.
		small := strings.Repeat(unit, 16<<10/len(unit))
		big := strings.Repeat(unit, 128<<10/len(unit))
		tSmall, tBig := timeOf(func() { RedactSecrets(small) }), timeOf(func() { RedactSecrets(big) })
		if tBig > 250*time.Millisecond && tBig > 40*max(tSmall, 10*time.Microsecond) {
			t.Errorf("%q: 16 KiB took %s, 128 KiB took %s", unit, tSmall, tBig)
		}
	}
}

// timeOf is the least CPU time of three runs of f: CPU time, so that other processes on a
// loaded machine do not count, and the least, so that a cold cache does not.
func timeOf(f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range 3 {
		best = min(best, cpuTimeOf(f))
	}
	return best
}

// plantedSecrets are a credential of each shape RedactSecrets knows, with the part of it that
// must never survive.
var plantedSecrets = []struct{ text, secret string }{
	{"--token=Zq8sEcr3tValue1", "Zq8sEcr3tValue1"},
	{"--password Zq8sEcr3tValue2", "Zq8sEcr3tValue2"},
	{"--client-secret Zq8sEcr3tValue3", "Zq8sEcr3tValue3"},
	{"--tok\u0435n=Zq8sEcr3tValue4", "Zq8sEcr3tValue4"},
	{`["--password", "Zq8sEcr3tValue5"]`, "Zq8sEcr3tValue5"},
	{"password: Zq8sEcr3tValue6", "Zq8sEcr3tValue6"},
	{"Authorization: Bearer Zq8sEcr3tValue7", "Zq8sEcr3tValue7"},
	{"https://admin:Zq8sEcr3tValue8@host/", "Zq8sEcr3tValue8"},
	{"AKIAZQ8SECR3TVALUE99", "ZQ8SECR3TVALUE99"},
	{"ASIAZQ8SECR3TVALUE98 Zq8sEcr3tValue/Zq8sEcr3tValue+Zq8sEcr3tV", "Zq8sEcr3tValue/Zq8sEcr3tValue+Zq8sEcr3tV"},
	{"ghp_Zq8sEcr3tValue10Zq8sEcr3tValue10abcd", "Zq8sEcr3tValue10Zq8sEcr3tValue10"},
	{"github_pat_Zq8sEcr3tValue11Zq8sEcr3tValue11", "Zq8sEcr3tValue11Zq8sEcr3tValue11"},
	{"xoxb-Zq8sEcr3tValue12", "Zq8sEcr3tValue12"},
	{"eyJhbGciOiJub25lIn0.eyJzdWIiOiJaczEzIn0.Zq8sEcr3tValue13", "Zq8sEcr3tValue13"},
	{"-----BEGIN RSA PRIVATE KEY-----\nZq8sEcr3tValue14\n-----END RSA PRIVATE KEY-----", "Zq8sEcr3tValue14"},
	{"sshpass -p Zq8sEcr3tValue15 ssh host", "Zq8sEcr3tValue15"},
	{"zq8sec.zq8secr3tvalue16", "zq8secr3tvalue16"},
}

// FuzzRedactSecrets: whatever stands around it, a planted credential of each shape is redacted,
// and redacting the output again changes nothing.
func FuzzRedactSecrets(f *testing.F) {
	for _, s := range []string{"", "x", "--token", "\"", "'", "token=\"", "--password\n-", "- --token\n", "(", "\u0435", "\\", "&a=", "-----BEGIN PRIVATE KEY-----"} {
		f.Add(s, " ", uint8(0))
	}
	f.Add("kube-apiserver --token", "\n- --v=2", uint8(3))
	f.Fuzz(func(t *testing.T, before, after string, which uint8) {
		for _, s := range []string{before, after, before + after} {
			once := RedactSecrets(s)
			if twice := RedactSecrets(once); twice != once {
				t.Fatalf("not idempotent on %q:\n once %q\ntwice %q", s, once, twice)
			}
		}
		p := plantedSecrets[int(which)%len(plantedSecrets)]
		s := before + " " + p.text + " " + after
		if strings.Contains(before+after, p.secret) {
			return
		}
		if got := RedactSecrets(s); strings.Contains(got, p.secret) {
			t.Fatalf("%q survived in %q", p.secret, got)
		}
		lines := strings.Split(s, "\n")
		if got := strings.Join(RedactSecretLines(lines, 0, len(lines)), "\n"); strings.Contains(got, p.secret) {
			t.Fatalf("%q survived RedactSecretLines in %q", p.secret, got)
		}
	})
}

// TestRedactSecretLinesLookalikeNames: on a node, a file's excerpt redacts a credential whose
// name is spelled with look-alike or invisible characters, on its line or under its key.
func TestRedactSecretLinesLookalikeNames(t *testing.T) {
	in := []string{
		"    - --tok\u0435n=flag-secret",
		"    - --client-s\u0435cret",
		"    - item-secret",
		"tok\u200ben: |",
		"  block-secret",
		"- name: DB_PASSW\u041eRD", // Cyrillic О
		"  value: env-secret",
	}
	got := strings.Join(RedactSecretLines(in, 0, len(in)), "\n")
	for _, secret := range []string{"flag-secret", "item-secret", "block-secret", "env-secret"} {
		if strings.Contains(got, secret) {
			t.Errorf("%q survived:\n%s", secret, got)
		}
	}
	if !strings.Contains(got, "--tok\u0435n=<redacted>") {
		t.Errorf("the name was not kept as it is:\n%s", got)
	}
}

// BenchmarkRedactSecretsTypical: the lines a report and the cockpit redact all the time, most
// of which hold no credential.
func BenchmarkRedactSecretsTypical(b *testing.B) {
	lines := []string{
		"Pod kube-system/kube-apiserver-cp1: kube-apiserver-cp1: --enable-admission-plugins is given 2 times with different values",
		`forward sends queries for . to "/etc/resolv.conf", which CoreDNS cannot use, so names outside the cluster do not resolve`,
		"  - --service-account-key-file=/etc/kubernetes/pki/sa.pub",
		"kubectl -n kube-system get pod kube-apiserver-cp1 -o jsonpath='{.spec.containers[0].command}'",
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			RedactSecrets(l)
		}
	}
}
