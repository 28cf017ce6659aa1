package kube

import (
	"context"
	"fmt"
)

type kubeletEntry struct {
	done chan struct{}
	cfg  *KubeletConfig
	err  error
}

// KubeletConfig is the running configuration of a node's kubelet, asked through the node proxy
// once per run: several checks read it, and a kubelet that is down should cost one timeout, not
// one per check. The request is bounded by the run and the request timeout, not by the check
// that asked first; a caller stops waiting when its own ctx ends. Offline it is ErrOffline.
func (s *Snapshot) KubeletConfig(ctx context.Context, node string) (*KubeletConfig, error) {
	if s.cluster == nil {
		return nil, ErrOffline
	}
	s.mu.Lock()
	if s.kubelets == nil {
		s.kubelets = map[string]*kubeletEntry{}
	}
	e, ok := s.kubelets[node]
	if !ok {
		e = &kubeletEntry{done: make(chan struct{})}
		s.kubelets[node] = e
		go func() {
			defer close(e.done)
			e.cfg, e.err = s.cluster.KubeletConfig(s.listCtx, node)
		}()
	}
	s.mu.Unlock()
	select {
	case <-e.done:
		return e.cfg, e.err
	case <-ctx.Done():
		return nil, fmt.Errorf("waiting for the kubelet configuration of node %s: %w", node, ctx.Err())
	}
}
