package executable

import (
	"bytes"
	"context"
	"debug/buildinfo"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// A Kubernetes binary knows its version because its build sets it with the linker:
// -X k8s.io/component-base/version.gitVersion=v1.37.2 (k8s.io/kubernetes/pkg/version before
// 1.19), and the same for k8s.io/client-go/pkg/version. Release binaries are built with
// -trimpath and stripped (-s -w): no symbol names are left, and with -trimpath Go's build info
// leaves the -ldflags out, so the flag itself is gone too. What survives is how the linker
// stores such a string: on its own, ending in a NUL byte, which Go's other strings never are.
// So the version is a "vMAJOR.MINOR.PATCH" string standing between NUL bytes, found at least
// twice when both packages were stamped; kubectl is known by its root command's text. Go's
// build info, where present (Go 1.13 and later), adds the main package and the Go version.

// MaxKubeBinaryBytes bounds the binaries ReadKubeVersion reads: kubectl is some 60 MiB, the
// kubelet 80; a file past this is not judged.
const MaxKubeBinaryBytes = 512 << 20

// kubectlMarker is the Short text of kubectl's root command, unchanged since Kubernetes 1.0.
const kubectlMarker = "kubectl controls the Kubernetes cluster manager"

// kubectlMainPackage is kubectl's main package in Go's build info.
const kubectlMainPackage = "k8s.io/kubernetes/cmd/kubectl"

// stampedVersion is a Kubernetes git version as the linker stores it, after a NUL byte; the
// NUL after it is checked apart (stamped), as it may begin the next stamp.
var stampedVersion = regexp.MustCompile(`\x00(v1\.[0-9]{1,3}\.[0-9]{1,4}(?:-[0-9A-Za-z.-]{1,64})?(?:\+[0-9A-Za-z.-]{1,64})?)`)

// stampedGo is the Go release the linker stores for runtime.Version, likewise.
var stampedGo = regexp.MustCompile(`\x00(go1\.[0-9]{1,3}(?:\.[0-9]{1,3}|rc[0-9]{1,2}|beta[0-9]{1,2})?)`)

// stamped says whether the match m of chunk ends with a NUL byte, as the linker's strings do.
func stamped(chunk []byte, m []int) bool { return m[1] < len(chunk) && chunk[m[1]] == 0 }

// KubeBuild is what a Kubernetes binary says of itself, read without running it.
type KubeBuild struct {
	// GitVersion is the version the build stamped ("v1.37.2"); empty when none was found.
	GitVersion string
	// Stamps is how many times GitVersion was found stamped.
	Stamps int
	// Kubectl says the binary is kubectl: its root command's text or its main package.
	Kubectl bool
	// GoVersion is the Go release it was built with, when found.
	GoVersion string
	// MainPackage is the main package from Go's build info, when the binary has any.
	MainPackage string
}

// ErrTooLarge is returned for a binary larger than the reader's cap: it was not read.
var ErrTooLarge = errors.New("larger than kockpit reads of a program")

// ErrAmbiguous is returned when a binary carries several versions equally often.
var ErrAmbiguous = errors.New("it carries more than one Kubernetes version")

// chunkBytes is how much ReadKubeVersion reads at once; overlap keeps a string cut by a chunk's
// end whole in the next.
const (
	chunkBytes   = 1 << 20
	chunkOverlap = 256
)

// ReadKubeVersion reads the version a Kubernetes binary of size bytes carries, at most max
// bytes of it (MaxKubeBinaryBytes when limit is 0), stopping when ctx ends. A binary with no
// stamped version gives an empty GitVersion and no error.
func ReadKubeVersion(ctx context.Context, r io.ReaderAt, size, limit int64) (KubeBuild, error) {
	if limit <= 0 {
		limit = MaxKubeBinaryBytes
	}
	if size > limit {
		return KubeBuild{}, fmt.Errorf("%w (%d MiB, the cap is %d MiB)", ErrTooLarge, size>>20, limit>>20)
	}
	var b KubeBuild
	if info, err := buildinfo.Read(io.NewSectionReader(r, 0, size)); err == nil {
		b.MainPackage, b.GoVersion = info.Path, info.GoVersion
		b.Kubectl = info.Path == kubectlMainPackage
	}
	counts := map[string]int{}
	buf := make([]byte, chunkBytes+chunkOverlap)
	// Each chunk starts with the last bytes of the one before, so a stamp across the edge is
	// seen whole; a stamp counts in the chunk holding its closing NUL.
	for off := int64(0); off < size; off += chunkBytes {
		if err := ctx.Err(); err != nil {
			return KubeBuild{}, err
		}
		start := max(off-chunkOverlap, 0)
		n, err := r.ReadAt(buf[:min(off+chunkBytes, size)-start], start)
		if err != nil && !errors.Is(err, io.EOF) {
			return KubeBuild{}, err
		}
		chunk := buf[:n]
		skip := int(off - start) // bytes already scanned by the chunk before
		if !b.Kubectl && bytes.Contains(chunk, []byte(kubectlMarker)) {
			b.Kubectl = true
		}
		for _, m := range stampedVersion.FindAllSubmatchIndex(chunk, -1) {
			// The chunk before counted the stamps whose closing NUL it held: those before skip.
			if m[1] >= skip && stamped(chunk, m) {
				counts[string(chunk[m[2]:m[3]])]++
			}
		}
		if b.GoVersion == "" {
			for _, m := range stampedGo.FindAllSubmatchIndex(chunk, -1) {
				if stamped(chunk, m) {
					b.GoVersion = string(chunk[m[2]:m[3]])
					break
				}
			}
		}
		if n == 0 {
			break
		}
	}
	return pickStamp(b, counts)
}

// pickStamp takes the version stamped most often; a tie between versions cannot be told apart.
func pickStamp(b KubeBuild, counts map[string]int) (KubeBuild, error) {
	versions := make([]string, 0, len(counts))
	for v := range counts {
		versions = append(versions, v)
	}
	sort.Slice(versions, func(i, j int) bool {
		if counts[versions[i]] != counts[versions[j]] {
			return counts[versions[i]] > counts[versions[j]]
		}
		return versions[i] < versions[j]
	})
	switch {
	case len(versions) == 0:
		return b, nil
	case len(versions) > 1 && counts[versions[0]] == counts[versions[1]]:
		return b, fmt.Errorf("%w: %s", ErrAmbiguous, strings.Join(versions[:min(len(versions), 4)], ", "))
	}
	b.GitVersion, b.Stamps = versions[0], counts[versions[0]]
	return b, nil
}
