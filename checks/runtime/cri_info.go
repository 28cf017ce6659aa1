package runtime

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// This file reads what a runtime says about itself in its verbose Status (the `crictl info`
// JSON): containerd puts its CRI config there, and how its last CNI config load went.

// statusInfo is what kockpit reads of the verbose Status.
type statusInfo struct {
	// SandboxImage is the pause image the runtime starts every pod sandbox with.
	SandboxImage string
	// Handlers are the runtime handlers its config names (RuntimeClass handlers).
	Handlers []string
	// CNIStatus is containerd's lastCNILoadStatus ("OK" when it loaded a config);
	// HasCNIStatus says the runtime reports one at all.
	CNIStatus    string
	HasCNIStatus bool
}

// criConfig is the part of containerd's CRI config in the "config" key, 1.x and 2.x alike.
type criConfig struct {
	SandboxImage string `json:"sandboxImage"`
	PinnedImages struct {
		Sandbox string `json:"sandbox"`
	} `json:"pinnedImages"`
	Containerd struct {
		Runtimes map[string]json.RawMessage `json:"runtimes"`
	} `json:"containerd"`
}

// parseStatusInfo reads the verbose Status info; keys it does not know are ignored, and a
// key it knows that does not parse is an error naming it.
func parseStatusInfo(info map[string]string) (statusInfo, error) {
	var s statusInfo
	s.CNIStatus, s.HasCNIStatus = info["lastCNILoadStatus"]
	raw, ok := info["config"]
	if !ok {
		return s, nil
	}
	var c criConfig
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		return s, fmt.Errorf("the runtime's config in its status info: %w", err)
	}
	s.SandboxImage = c.SandboxImage
	if s.SandboxImage == "" {
		s.SandboxImage = c.PinnedImages.Sandbox
	}
	for h := range c.Containerd.Runtimes {
		s.Handlers = append(s.Handlers, h)
	}
	slices.Sort(s.Handlers)
	return s, nil
}

// pauseByMinor is the pause image kubeadm pulls for each Kubernetes 1.x minor
// (cmd/kubeadm/app/constants PauseVersion), the one the runtime's sandbox image should match.
var pauseByMinor = map[int]string{
	27: "3.9", 28: "3.9", 29: "3.9", 30: "3.9",
	31: "3.10", 32: "3.10", 33: "3.10",
	34: "3.10.1", 35: "3.10.1",
}

// newestKnownMinor is the last minor of pauseByMinor: a newer cluster uses that pause or a
// newer one.
const newestKnownMinor = 35

// expectedPause is the pause tag of a Kubernetes minor and whether kockpit knows it exactly
// (false: newer than the table, the tag is the least it may be).
func expectedPause(minor int) (tag string, exact bool) {
	if t, ok := pauseByMinor[minor]; ok {
		return t, true
	}
	if minor > newestKnownMinor {
		return pauseByMinor[newestKnownMinor], false
	}
	return "", false
}

// imageRef is an image reference split the way registries read it.
type imageRef struct {
	Registry, Repository, Tag, Digest string
}

// parseImageRef splits "registry.k8s.io/pause:3.10@sha256:..."; a name without a registry
// is Docker Hub's, as containerd reads it.
func parseImageRef(ref string) imageRef {
	var r imageRef
	name := ref
	if i := strings.Index(name, "@"); i >= 0 {
		name, r.Digest = name[:i], name[i+1:]
	}
	if i := strings.LastIndex(name, ":"); i > strings.LastIndex(name, "/") {
		name, r.Tag = name[:i], name[i+1:]
	}
	first, rest, found := strings.Cut(name, "/")
	if found && (strings.ContainsAny(first, ".:") || first == "localhost") {
		r.Registry, r.Repository = first, rest
	} else {
		r.Registry, r.Repository = "docker.io", name
		if !found {
			r.Repository = "library/" + name
		}
	}
	return r
}

// compareVersions compares dotted numeric versions ("3.10" > "3.9"); ok is false when
// either is not one.
func compareVersions(a, b string) (cmp int, ok bool) {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		var err error
		if i < len(pa) {
			if x, err = strconv.Atoi(pa[i]); err != nil {
				return 0, false
			}
		}
		if i < len(pb) {
			if y, err = strconv.Atoi(pb[i]); err != nil {
				return 0, false
			}
		}
		if x != y {
			if x < y {
				return -1, true
			}
			return 1, true
		}
	}
	return 0, true
}
