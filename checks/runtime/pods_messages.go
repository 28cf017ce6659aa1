package runtime

import (
	"regexp"
	"strings"

	"github.com/distribution/reference"
)

// pullClass says in a few words what an image pull's error means.
type pullClass string

const (
	pullNotFound       pullClass = "not found"
	pullUnauthorized   pullClass = "unauthorized"
	pullDeniedOrAbsent pullClass = "not found or not authorized"
	pullNoSuchHost     pullClass = "registry name does not resolve"
	pullTLS            pullClass = "TLS error"
	pullTimeout        pullClass = "timeout"
	pullRateLimited    pullClass = "rate limited"
	pullRefused        pullClass = "connection refused"
	pullInvalidName    pullClass = "invalid image name"
	pullNeverPull      pullClass = "not on the node, pull policy Never"
	pullUnclassified   pullClass = "unclassified"
)

// pullPatterns are checked in order: a rate limit answers 429 with "toomanyrequests", which
// must not read as unauthorized; Docker Hub answers a missing repository with "pull access
// denied, repository does not exist or may require authorization", which is either.
var pullPatterns = []struct {
	class pullClass
	words []string
}{
	{pullRateLimited, []string{"toomanyrequests", "too many requests", "rate limit", " 429 "}},
	{pullNoSuchHost, []string{"no such host", "server misbehaving", "name or service not known", "temporary failure in name resolution"}},
	{pullTLS, []string{"x509:", "tls:", "certificate signed by unknown authority", "server gave http response to https client"}},
	{pullTimeout, []string{"i/o timeout", "deadline exceeded", "connection timed out", "tls handshake timeout", "timeout awaiting response"}},
	{pullRefused, []string{"connection refused", "no route to host", "network is unreachable"}},
	{pullDeniedOrAbsent, []string{"repository does not exist or may require authorization"}},
	{pullUnauthorized, []string{"unauthorized", "authentication required", "authorization failed", "403 forbidden", "denied", "insufficient_scope"}},
	{pullNotFound, []string{"not found", "manifest unknown", "name unknown", "404"}},
}

// classifyPull reads the kubelet's reason and the runtime's pull error.
func classifyPull(reason, message string) pullClass {
	switch reason {
	case "InvalidImageName":
		return pullInvalidName
	case "ErrImageNeverPull":
		return pullNeverPull
	}
	lower := " " + strings.ToLower(message) + " "
	for _, p := range pullPatterns {
		for _, w := range p.words {
			if strings.Contains(lower, w) {
				return p.class
			}
		}
	}
	return pullUnclassified
}

// registryHost is the registry an image is pulled from, as the runtime resolves it: a bare
// "nginx" comes from docker.io. Empty when the reference does not parse.
func registryHost(image string) string {
	named, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return ""
	}
	return reference.Domain(named)
}

// sandboxClass says what part of a pod sandbox's creation failed.
type sandboxClass string

const (
	sandboxHandler    sandboxClass = "runtime handler"
	sandboxPauseImage sandboxClass = "pause image"
	sandboxCNI        sandboxClass = "CNI"
	sandboxCgroup     sandboxClass = "cgroup"
	sandboxSecurity   sandboxClass = "seccomp/AppArmor"
	sandboxOther      sandboxClass = "unclassified"
)

// sandboxPatterns are checked in order: a pause image that cannot be pulled also says
// "sandbox", and a handler that is not configured says "runtime".
var sandboxPatterns = []struct {
	class sandboxClass
	words []string
}{
	{sandboxHandler, []string{"no runtime for", "runtimehandler", "runtime handler", "failed to get sandbox runtime"}},
	{sandboxPauseImage, []string{"sandbox image", "pause:", "/pause", "failed to pull image"}},
	{sandboxSecurity, []string{"seccomp", "apparmor"}},
	{sandboxCgroup, []string{"cgroup", "systemd"}},
	{sandboxCNI, []string{"cni", "failed to setup network", "failed to set up sandbox container", "network plugin", "plugin type=", "failed to find plugin"}},
}

func classifySandbox(message string) sandboxClass {
	lower := strings.ToLower(message)
	for _, p := range sandboxPatterns {
		for _, w := range p.words {
			if strings.Contains(lower, w) {
				return p.class
			}
		}
	}
	return sandboxOther
}

// configRef is the ConfigMap or Secret (and key) a container's configuration names and the
// kubelet could not read.
type configRef struct {
	Kind string // "ConfigMap" or "Secret"
	Name string
	Key  string // empty when the object itself is missing
}

// The kubelet's words (kubelet_pods.go), with the API server's NotFound message inside:
//
//	configmap "app-config" not found
//	secret "db" not found
//	couldn't find key password in Secret team-a/db
//	couldn't find key url in ConfigMap team-a/app-config
//	MountVolume.SetUp failed for volume "cfg" : configmap "app-config" not found
var (
	configNotFound = regexp.MustCompile(`\b(configmap|secret)s? "([^"]{1,253})" not found`)
	configNoKey    = regexp.MustCompile(`couldn't find key (\S{1,253}) in (ConfigMap|Secret) ([^/\s]{1,63})/(\S{1,253})`)
)

// parseConfigError finds the ConfigMap or Secret a CreateContainerConfigError (or a FailedMount
// event) names; ok is false when the message names none.
func parseConfigError(message string) (ref configRef, ok bool) {
	if m := configNoKey.FindStringSubmatch(message); m != nil {
		return configRef{Kind: m[2], Name: m[4], Key: m[1]}, true
	}
	if m := configNotFound.FindStringSubmatch(message); m != nil {
		kind := "ConfigMap"
		if m[1] == "secret" {
			kind = "Secret"
		}
		return configRef{Kind: kind, Name: m[2]}, true
	}
	return configRef{}, false
}
