package runtime

import (
	"strings"
	"testing"
)

func TestClassifyPull(t *testing.T) {
	tests := []struct {
		reason, message string
		want            pullClass
	}{
		{"ErrImagePull", `failed to pull and unpack image "ghcr.io/x/y:1": failed to resolve reference "ghcr.io/x/y:1": ghcr.io/x/y:1: not found`, pullNotFound},
		{"ErrImagePull", `rpc error: code = Unknown desc = Error response from daemon: manifest for x:1 not found: manifest unknown`, pullNotFound},
		{"ErrImagePull", `failed to resolve reference "registry.corp/x:1": pulling from host registry.corp failed with status code [manifests 1]: 401 Unauthorized`, pullUnauthorized},
		{"ErrImagePull", `failed to authorize: failed to fetch anonymous token: unexpected status from GET request to https://ghcr.io/token: 403 Forbidden`, pullUnauthorized},
		{"ErrImagePull", `pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed`, pullDeniedOrAbsent},
		{"ErrImagePull", `dial tcp: lookup registry.exampel.com on 10.0.0.2:53: no such host`, pullNoSuchHost},
		{"ErrImagePull", `dial tcp: lookup registry.corp: Temporary failure in name resolution`, pullNoSuchHost},
		{"ErrImagePull", `Head "https://registry.corp/v2/x/manifests/1": tls: failed to verify certificate: x509: certificate signed by unknown authority`, pullTLS},
		{"ErrImagePull", `Head "https://10.0.0.9:5000/v2/": http: server gave HTTP response to HTTPS client`, pullTLS},
		{"ErrImagePull", `dial tcp 10.0.0.9:443: i/o timeout`, pullTimeout},
		{"ErrImagePull", `context deadline exceeded`, pullTimeout},
		{"ErrImagePull", `dial tcp 10.0.0.9:443: connect: connection refused`, pullRefused},
		{"ErrImagePull", `429 Too Many Requests - Server message: toomanyrequests: You have reached your unauthenticated pull rate limit`, pullRateLimited},
		{"InvalidImageName", `Failed to apply default image tag "Nginx": couldn't parse image name`, pullInvalidName},
		{"ErrImageNeverPull", `Container image "x:1" is not present with pull policy of Never`, pullNeverPull},
		{"ImagePullBackOff", `Back-off pulling image "x:1"`, pullUnclassified},
		{"ImagePullBackOff", "", pullUnclassified},
	}
	for _, tt := range tests {
		if got := classifyPull(tt.reason, tt.message); got != tt.want {
			t.Errorf("classifyPull(%q, %q) = %q, want %q", tt.reason, tt.message, got, tt.want)
		}
	}
}

func TestClassifySandbox(t *testing.T) {
	tests := []struct {
		message string
		want    sandboxClass
	}{
		{`failed to setup network for sandbox "abc": plugin type="calico" failed (add): stat /var/lib/calico/nodename: no such file or directory`, sandboxCNI},
		{`failed to setup network for sandbox "abc": cni plugin not initialized`, sandboxCNI},
		{`failed to get sandbox image "registry.k8s.io/pause:3.10": failed to pull image "registry.k8s.io/pause:3.10": not found`, sandboxPauseImage},
		{`failed to get sandbox runtime: no runtime for "runsc" is configured`, sandboxHandler},
		{`failed to create containerd task: OCI runtime create failed: expected cgroupsPath to be of format "slice:prefix:name" for systemd cgroups`, sandboxCgroup},
		{`failed to generate sandbox security options: failed to generate seccomp spec opts: cannot load seccomp profile "localhost/x.json"`, sandboxSecurity},
		{`apparmor profile not found k8s-deny-write`, sandboxSecurity},
		{`something else entirely`, sandboxOther},
	}
	for _, tt := range tests {
		if got := classifySandbox(tt.message); got != tt.want {
			t.Errorf("classifySandbox(%q) = %q, want %q", tt.message, got, tt.want)
		}
	}
}

func TestParseConfigError(t *testing.T) {
	tests := []struct {
		message string
		want    configRef
		ok      bool
	}{
		{`configmap "app-config" not found`, configRef{Kind: "ConfigMap", Name: "app-config"}, true},
		{`Error: secret "db" not found`, configRef{Kind: "Secret", Name: "db"}, true},
		{`couldn't find key password in Secret team-a/db`, configRef{Kind: "Secret", Name: "db", Key: "password"}, true},
		{`couldn't find key url in ConfigMap team-a/settings`, configRef{Kind: "ConfigMap", Name: "settings", Key: "url"}, true},
		{`MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found`, configRef{Kind: "ConfigMap", Name: "app-config"}, true},
		{`container has runAsNonRoot and image will run as root`, configRef{}, false},
		{``, configRef{}, false},
	}
	for _, tt := range tests {
		got, ok := parseConfigError(tt.message)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseConfigError(%q) = %+v, %v; want %+v, %v", tt.message, got, ok, tt.want, tt.ok)
		}
	}
}

func TestRegistryHost(t *testing.T) {
	for image, want := range map[string]string{
		"nginx":                 "docker.io",
		"nginx:1.27":            "docker.io",
		"ghcr.io/example/api:1": "ghcr.io",
		"localhost:5000/x":      "localhost:5000",
		"registry.exampel.com/a/b@sha256:" + strings.Repeat("a", 64): "registry.exampel.com",
		"Not A Valid//Image": "",
	} {
		if got := registryHost(image); got != want {
			t.Errorf("registryHost(%q) = %q, want %q", image, got, want)
		}
	}
}

// FuzzParseConfigError: whatever the message, a parsed reference names a kind the kubelet
// writes and a name (and key) taken from the message itself.
func FuzzParseConfigError(f *testing.F) {
	for _, s := range []string{
		`configmap "app-config" not found`, `secret "db" not found`,
		`couldn't find key password in Secret team-a/db`, `couldn't find key url in ConfigMap team-a/s`,
		`MountVolume.SetUp failed for volume "cfg" : configmap "x" not found`, `secrets "" not found`, "\x00\"\xff",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		ref, ok := parseConfigError(msg)
		if !ok {
			if ref != (configRef{}) {
				t.Fatalf("not ok but %+v", ref)
			}
			return
		}
		if ref.Kind != "ConfigMap" && ref.Kind != "Secret" {
			t.Fatalf("kind %q", ref.Kind)
		}
		if ref.Name == "" || !strings.Contains(msg, ref.Name) || !strings.Contains(msg, ref.Key) {
			t.Fatalf("%+v is not from %q", ref, msg)
		}
	})
}

// FuzzClassify: the classifiers take any message and answer one of their classes.
func FuzzClassify(f *testing.F) {
	for _, s := range []string{"no such host", "x509: bad", "not found", "cni plugin not initialized", "", "\xff\xfe"} {
		f.Add("ErrImagePull", s)
	}
	f.Fuzz(func(t *testing.T, reason, msg string) {
		switch classifyPull(reason, msg) {
		case pullNotFound, pullUnauthorized, pullDeniedOrAbsent, pullNoSuchHost, pullTLS, pullTimeout,
			pullRateLimited, pullRefused, pullInvalidName, pullNeverPull, pullUnclassified:
		default:
			t.Fatal("unknown pull class")
		}
		switch classifySandbox(msg) {
		case sandboxHandler, sandboxPauseImage, sandboxCNI, sandboxCgroup, sandboxSecurity, sandboxOther:
		default:
			t.Fatal("unknown sandbox class")
		}
		if registryHost(msg) != "" && !strings.Contains(msg, "/") && !strings.Contains(msg, "docker.io") {
			// A bare name resolves to Docker Hub; anything else must carry its host.
			if registryHost(msg) != "docker.io" {
				t.Fatalf("registryHost(%q) = %q", msg, registryHost(msg))
			}
		}
	})
}
