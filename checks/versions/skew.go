package versions

import (
	"errors"
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/util/version"
	apiversion "k8s.io/apimachinery/pkg/version"

	"github.com/kockpit/kockpit/kube"
)

// This file holds the version skew policy of Kubernetes
// (https://kubernetes.io/releases/version-skew-policy/) as pure functions, so the checks that
// compare versions share one reading of it and tests can pin it down.

// Component is a Kubernetes binary whose version is held against the API server's.
type Component string

// The components the skew policy names.
const (
	ComponentKubectl                Component = "kubectl"
	ComponentKubelet                Component = "kubelet"
	ComponentKubeProxy              Component = "kube-proxy"
	ComponentAPIServer              Component = "kube-apiserver"
	ComponentControllerManager      Component = "kube-controller-manager"
	ComponentScheduler              Component = "kube-scheduler"
	ComponentCloudControllerManager Component = "cloud-controller-manager"
)

// skewLimit is how many minors a component may be behind (older) or ahead of (newer) the API
// server.
type skewLimit struct {
	older, newer int
	// rule is the policy in words, for messages.
	rule string
}

var skewLimits = map[Component]skewLimit{
	ComponentKubectl:   {older: 1, newer: 1, rule: "the supported skew is one minor, older or newer"},
	ComponentKubelet:   {older: 3, newer: 0, rule: "the kubelet may be up to three minors older than the API server, never newer"},
	ComponentKubeProxy: {older: 3, newer: 0, rule: "kube-proxy may be up to three minors older than the API server, never newer"},
	// HA API servers must be within one minor of each other; against the one that answered
	// that is one minor either way.
	ComponentAPIServer:              {older: 1, newer: 1, rule: "API server instances must be within one minor of each other"},
	ComponentControllerManager:      {older: 1, newer: 0, rule: "kube-controller-manager may be one minor older than the API server, never newer"},
	ComponentScheduler:              {older: 1, newer: 0, rule: "kube-scheduler may be one minor older than the API server, never newer"},
	ComponentCloudControllerManager: {older: 1, newer: 0, rule: "cloud-controller-manager may be one minor older than the API server, never newer"},
}

// ParseKubeVersion reads a Kubernetes version as clusters and binaries write it: "v1.37.2",
// "1.30", "v1.31.0-eks-abc", "v1.29.4+k3s1". Only major and minor matter for the skew policy;
// the rest is kept by the caller for display.
func ParseKubeVersion(s string) (*version.Version, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, errors.New("empty version")
	}
	// Semantic first, so pre-release and build suffixes survive for display.
	v, err := version.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("reading version %q: %w", s, err)
	}
	return v, nil
}

// VersionFromInfo reads the version an API server reports: gitVersion when it parses, else
// major and minor, where providers append "+" to the minor ("27+").
func VersionFromInfo(info *apiversion.Info) (*version.Version, error) {
	if info == nil {
		return nil, errors.New("no version information")
	}
	if v, err := ParseKubeVersion(info.GitVersion); err == nil {
		return v, nil
	}
	major := strings.TrimRight(strings.TrimSpace(info.Major), "+")
	minor := strings.TrimRight(strings.TrimSpace(info.Minor), "+")
	if major == "" || minor == "" {
		return nil, fmt.Errorf("reading version %q: no major and minor", info.GitVersion)
	}
	return ParseKubeVersion(major + "." + minor)
}

// VersionFromImage reads the version in a container image's tag, as control-plane images carry
// it ("registry.k8s.io/kube-apiserver:v1.37.2", "...:v1.37.2@sha256:..."). An image pinned only
// by digest, or tagged "latest", has no version to read.
func VersionFromImage(image string) (*version.Version, error) {
	tag := kube.ImageTag(image)
	if tag == "" {
		return nil, fmt.Errorf("image %q has no tag", image)
	}
	return ParseKubeVersion(tag)
}

// displayVersion writes a version as Kubernetes does: "v1.31.0-eks-abc".
func displayVersion(v *version.Version) string {
	return "v" + v.String()
}

// MinorString writes a version as the policy talks about it: "v1.37".
func MinorString(v *version.Version) string {
	return fmt.Sprintf("v%d.%d", v.Major(), v.Minor())
}

// Skew is how one component's version stands against the API server's.
type Skew struct {
	Component Component
	Version   *version.Version
	Server    *version.Version
	// Minors is the component's minor minus the server's: negative when it is older. It is
	// meaningless when the majors differ.
	Minors int
	// SameMajor is false when the majors differ, which no policy allows.
	SameMajor bool
	// Allowed says whether the policy supports this pair.
	Allowed bool
}

// CompareSkew places a component's version against the API server's under the policy.
// Components the policy does not name (etcd, add-ons) have no skew rule; they are reported
// allowed so callers need not special-case them, but callers should not ask.
func CompareSkew(c Component, v, server *version.Version) Skew {
	s := Skew{Component: c, Version: v, Server: server, SameMajor: v.Major() == server.Major()}
	if !s.SameMajor {
		return s
	}
	s.Minors = int(v.Minor()) - int(server.Minor())
	limit, ok := skewLimits[c]
	if !ok {
		s.Allowed = true
		return s
	}
	s.Allowed = -s.Minors <= limit.older && s.Minors <= limit.newer
	return s
}

// Distance says how far apart the versions are, for messages: "25 minors behind",
// "one minor ahead of", "on the same minor as".
func (s Skew) Distance() string {
	switch {
	case !s.SameMajor:
		return "on another major version than"
	case s.Minors == 0:
		return "on the same minor as"
	case s.Minors < 0:
		return minorsWord(-s.Minors) + " behind"
	default:
		return minorsWord(s.Minors) + " ahead of"
	}
}

// Rule is the policy that applies to the component, in words.
func (s Skew) Rule() string {
	if l, ok := skewLimits[s.Component]; ok {
		return l.rule
	}
	return string(s.Component) + " has no version skew rule"
}

// Sentence describes the pair: "kubectl v1.12 is 25 minors behind the server v1.37".
func (s Skew) Sentence() string {
	return s.SentenceAgainst("the server " + MinorString(s.Server))
}

// SentenceAgainst is Sentence with the reference named by the caller, for when it is not the
// API server itself: "kubelet v1.30 is 5 minors behind v1.35, the newest ...".
func (s Skew) SentenceAgainst(ref string) string {
	return fmt.Sprintf("%s %s is %s %s", s.Component, MinorString(s.Version), s.Distance(), ref)
}

func minorsWord(n int) string {
	if n == 1 {
		return "one minor"
	}
	return fmt.Sprintf("%d minors", n)
}
