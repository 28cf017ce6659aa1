// Package kubeletconfig is the kubelet's configuration as parsed from a node's files: the config
// file, the flags of its systemd unit and drop-ins, with positions for findings.
package kubeletconfig

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/host"
	"github.com/kockpit/kockpit/internal/nodefs"
)

// DefaultPath is where kubeadm writes the kubelet's config, and where kockpit looks
// when no unit names another.
const DefaultPath = "/var/lib/kubelet/config.yaml"

// kubeletConfig holds the fields of a KubeletConfiguration that kockpit judges.
type kubeletConfig struct {
	APIVersion          string            `yaml:"apiVersion"`
	Kind                string            `yaml:"kind"`
	StaticPodPath       string            `yaml:"staticPodPath"`
	ClusterDNS          []string          `yaml:"clusterDNS"`
	MaxPods             *int64            `yaml:"maxPods"`
	EvictionHard        map[string]string `yaml:"evictionHard"`
	SystemReserved      map[string]string `yaml:"systemReserved"`
	KubeReserved        map[string]string `yaml:"kubeReserved"`
	ContainerLogMaxSize string            `yaml:"containerLogMaxSize"`
	FeatureGates        map[string]bool   `yaml:"featureGates"`
	ResolvConf          *string           `yaml:"resolvConf"`
	FailSwapOn          *bool             `yaml:"failSwapOn"`
	// ContainerRuntimeEndpoint is the CRI socket the kubelet talks to ("" means its default,
	// containerd's).
	ContainerRuntimeEndpoint string `yaml:"containerRuntimeEndpoint"`
	// CgroupDriver is "systemd" or "cgroupfs" ("" means cgroupfs, the kubelet's default).
	CgroupDriver string `yaml:"cgroupDriver"`
}

// Setup is how the kubelet on this node is configured: its service files, the config
// file they name, and that file parsed.
type Setup struct {
	Service nodefs.ServiceFiles
	// Path is the config file; flagFile and flagLine say where --config named it (empty when
	// the default is assumed).
	Path     string
	FlagFile string
	flagLine int
	// Exists says whether the config file is there; raw is its content.
	Exists bool
	file   host.File
	// Config and doc are set when it parsed; parseErr says why not, at line (0: unknown).
	Config    kubeletConfig
	doc       *yaml.Node
	ParseErr  error
	ParseLine int
	ParseCol  int
}

// Load finds and parses the kubelet's config. A read error (not a missing file) is
// returned; a parse error is kept in the setup for the check to report.
func Load(ctx context.Context, n *nodefs.FS) (*Setup, error) {
	k := &Setup{Service: nodefs.FindService(ctx, n, "kubelet.service"), Path: DefaultPath}
	if v, file, line := nodefs.FlagValue(ctx, n, k.Service.All(), "config"); v != "" {
		k.Path, k.FlagFile, k.flagLine = v, file, line
	}
	f, ok, err := n.ReadOptional(ctx, k.Path)
	if err != nil {
		return k, err
	}
	k.Exists, k.file = ok, f
	if ok {
		k.parse()
	}
	return k, nil
}

var yamlErrLine = regexp.MustCompile(`line (\d+)(?:, column (\d+))?: (.*)`)

func (k *Setup) parse() {
	var doc yaml.Node
	if err := yaml.Unmarshal(k.file.Data, &doc); err != nil {
		k.setParseError(err)
		return
	}
	if len(doc.Content) == 0 {
		k.ParseErr = errors.New("the file is empty")
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		k.ParseErr, k.ParseLine, k.ParseCol = errors.New("the document is not a mapping of fields"), root.Line, root.Column
		return
	}
	k.doc = root
	if err := root.Decode(&k.Config); err != nil {
		k.setParseError(err)
	}
}

func (k *Setup) setParseError(err error) {
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	msg = strings.TrimPrefix(msg, "unmarshal errors:\n  ")
	if m := yamlErrLine.FindStringSubmatch(msg); m != nil {
		k.ParseLine, _ = strconv.Atoi(m[1])
		k.ParseCol, _ = strconv.Atoi(m[2])
		msg = m[3]
	}
	if i := strings.IndexByte(msg, '\n'); i >= 0 {
		msg = msg[:i]
	}
	k.ParseErr = errors.New(msg)
}

// At is where a field of the config is (its value's line and column), or the file itself.
func (k *Setup) At(n *nodefs.FS, keys ...string) *checks.FileRef {
	node := yamlField(k.doc, keys...)
	if node == nil {
		return n.Ref(k.Path, 0, 0)
	}
	return n.Ref(k.Path, node.Line, node.Column)
}

// Quote is the field's line as written, for evidence.
func (k *Setup) Quote(keys ...string) string {
	node := yamlField(k.doc, keys...)
	if node == nil {
		return ""
	}
	lines := strings.Split(string(k.file.Data), "\n")
	if node.Line-1 < len(lines) {
		return fmt.Sprintf("line %d: %s", node.Line, strings.TrimSpace(lines[node.Line-1]))
	}
	return ""
}

// yamlField returns the value node at the path of keys in a mapping, or nil.
func yamlField(m *yaml.Node, keys ...string) *yaml.Node {
	for _, key := range keys {
		if m == nil || m.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(m.Content); i += 2 {
			if m.Content[i].Value == key {
				next = m.Content[i+1]
			}
		}
		m = next
	}
	return m
}

// Origin says where the config path came from, for evidence.
func (k *Setup) Origin(n *nodefs.FS) string {
	if k.FlagFile == "" {
		return fmt.Sprintf("no --config in the kubelet's unit: the kubeadm default %s", k.Path)
	}
	return fmt.Sprintf("--config=%s at %s:%d", k.Path, n.Display(k.FlagFile), k.flagLine)
}
