package runtime

import (
	"context"
	"errors"
	"fmt"

	runtimeapi "k8s.io/cri-api/pkg/apis/runtime/v1"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/cri"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// ErrNoNode is a run without a node to ask.
var ErrNoNode = errors.New("this run has no node: the runtime card needs kockpit node or --host-root")

// Card reads the node's runtime card: its socket found as the checks find it, each call
// bounded as theirs are. The cockpit calls it in a command, never in Update.
func Card(ctx context.Context, env *checks.Env) (*cri.Card, error) {
	if env == nil || env.Host == nil {
		return nil, ErrNoNode
	}
	root, err := host.Open(env.Host.Root, nodefs.Limits)
	if err != nil {
		return nil, err
	}
	defer root.Close()
	n := &nodefs.FS{Root: root, Env: env, Now: env.CurrentTime(), Since: env.Host.Since}
	if r, skip := unpackedScenario(n); skip {
		return nil, errors.New(r.Summary)
	}
	s, err := openCRI(ctx, n)
	defer s.close()
	if err != nil {
		return nil, err
	}
	card := &cri.Card{Socket: s.socket, From: s.from}
	v, err := s.client.Version(ctx)
	if err != nil {
		return nil, err
	}
	card.Name, card.Version, card.APIVersion = v.RuntimeName, v.RuntimeVersion, v.RuntimeApiVersion
	st, err := s.client.Status(ctx)
	if err != nil {
		return nil, err
	}
	for _, c := range st.GetStatus().GetConditions() {
		card.Conditions = append(card.Conditions, cri.Condition{Type: c.Type, Status: c.Status, Reason: c.Reason, Message: c.Message})
	}
	info, _ := parseStatusInfo(st.GetInfo())
	card.SandboxImage, card.Handlers, card.CNIStatus = info.SandboxImage, info.Handlers, info.CNIStatus
	for _, h := range st.GetRuntimeHandlers() {
		if h.Name != "" && !containsString(card.Handlers, h.Name) {
			card.Handlers = append(card.Handlers, h.Name)
		}
	}
	sandboxes, err := s.client.Sandboxes(ctx)
	if err != nil {
		card.ListErr = err.Error()
		return card, nil
	}
	containers, err := s.client.Containers(ctx)
	if err != nil {
		card.ListErr = err.Error()
		return card, nil
	}
	card.Sandboxes, card.Containers = len(sandboxes), len(containers)
	known := map[string]bool{}
	for _, sb := range sandboxes {
		known[sb.Id] = true
		if sb.Labels[labelPodUID] == "" && sb.State == runtimeapi.PodSandboxState_SANDBOX_READY {
			card.NotKubernetes = append(card.NotKubernetes, fmt.Sprintf("sandbox %s %q", shortID(sb.Id), sb.GetMetadata().GetName()))
		}
	}
	for _, c := range containers {
		if c.State == runtimeapi.ContainerState_CONTAINER_RUNNING && (c.Labels[labelContainerName] == "" || !known[c.PodSandboxId]) {
			card.NotKubernetes = append(card.NotKubernetes, fmt.Sprintf("container %s %q (%s)", shortID(c.Id), c.GetMetadata().GetName(), c.GetImage().GetImage()))
		}
	}
	return card, nil
}
