package kube

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strings"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/version"
	"k8s.io/client-go/discovery"
)

// versionEntry is the server version of one run: the first caller fetches it, concurrent callers
// wait for that fetch, later callers reuse its answer.
type versionEntry struct {
	done chan struct{}
	info *version.Info
	err  error
}

// ServerVersion returns the API server's version. Live, it asks the server's /version; offline,
// it reads the image tag of the kube-apiserver static pod in kube-system, and returns an error
// matching ErrNotCollected when the files have no such pod (managed clusters hide theirs).
func (s *Snapshot) ServerVersion(ctx context.Context) (*version.Info, error) {
	s.mu.Lock()
	e := s.version
	if e == nil {
		e = &versionEntry{done: make(chan struct{})}
		s.version = e
		go s.fillVersion(e)
	}
	s.mu.Unlock()
	select {
	case <-e.done:
		return e.info, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the server version: %w", ctx.Err())
	}
}

func (s *Snapshot) fillVersion(e *versionEntry) {
	defer close(e.done)
	if s.cluster != nil {
		e.info, e.err = liveServerVersion(s.listCtx, s.cluster)
		return
	}
	if e.info = s.headerVersion(); e.info != nil {
		return
	}
	e.info, e.err = s.versionFromPods(s.listCtx)
}

func liveServerVersion(ctx context.Context, c *Cluster) (*version.Info, error) {
	ctx, cancel := context.WithTimeout(ctx, c.requestTimeout())
	defer cancel()
	v, err := discovery.ToServerVersionInterfaceWithContext(c.Clientset.Discovery()).ServerVersionWithContext(ctx)
	if err != nil {
		return nil, fmt.Errorf("asking the API server for its version: %w", err)
	}
	return v, nil
}

// versionFromPods derives the version offline. The apiserver's image tag is the version it
// runs on kubeadm-style clusters, the usual source of dumps that include control-plane pods.
func (s *Snapshot) versionFromPods(ctx context.Context) (*version.Info, error) {
	pods, err := ListOf[*corev1.Pod](ctx, s, Pods)
	if err != nil {
		return nil, fmt.Errorf("reading the server version from the kube-apiserver pod: %w", err)
	}
	// Sorted so that an HA control plane in mid-upgrade gives the same answer on every run.
	sort.Slice(pods, func(i, j int) bool { return pods[i].Name < pods[j].Name })
	for _, p := range pods {
		if p.Namespace != "kube-system" || p.Labels["component"] != "kube-apiserver" {
			continue
		}
		if v := versionFromImage(apiserverImage(p)); v != nil {
			return v, nil
		}
	}
	return nil, &NotCollectedError{Resource: Pods, Source: s.name,
		Reason: "no kube-apiserver pod with a version tag (kube-system, label component=kube-apiserver)"}
}

// apiserverImage is the image of the pod's kube-apiserver container, or of its only container.
func apiserverImage(p *corev1.Pod) string {
	for _, c := range p.Spec.Containers {
		if c.Name == "kube-apiserver" {
			return c.Image
		}
	}
	if len(p.Spec.Containers) == 1 {
		return p.Spec.Containers[0].Image
	}
	return ""
}

// semverTag matches the tags Kubernetes images carry: v1.31.2, v1.31.2-eks-1234, v1.32.0-rc.1.
var semverTag = regexp.MustCompile(`^v(\d+)\.(\d+)\.\d+([-+][0-9A-Za-z.+-]*)?$`)

// versionFromImage reads "registry.k8s.io/kube-apiserver:v1.31.2[@sha256:...]"; nil when the
// image has no version tag (a bare digest, "latest").
func versionFromImage(image string) *version.Info {
	tag := ImageTag(image)
	m := semverTag.FindStringSubmatch(tag)
	if m == nil {
		return nil
	}
	return &version.Info{Major: m[1], Minor: m[2], GitVersion: tag}
}

// ImageTag is the tag of an image reference, "" when it has none: a digest is dropped, and a
// colon before the last slash is a registry's port, not a tag ("localhost:5000/kube-proxy").
func ImageTag(image string) string {
	ref, _, _ := strings.Cut(image, "@")
	name := ref[strings.LastIndexByte(ref, '/')+1:]
	if i := strings.LastIndexByte(name, ':'); i >= 0 {
		return name[i+1:]
	}
	return ""
}
