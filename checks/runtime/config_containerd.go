package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// This file is containerd's config.toml as kockpit reads it: version 2 (containerd 1.x) and
// version 3 (2.x), decoded strictly so that a key containerd would silently ignore (a typo,
// a key of the other version) is named with its row and column.

// containerdTop is the top level, the same in versions 2 and 3. Tables kockpit does not
// judge are kept loose; the plugins kockpit judges are decoded strictly (see judgedKey).
type containerdTop struct {
	Version         int            `toml:"version"`
	Root            string         `toml:"root"`
	State           string         `toml:"state"`
	Temp            string         `toml:"temp"`
	PluginDir       string         `toml:"plugin_dir"`
	DisabledPlugins []string       `toml:"disabled_plugins"`
	RequiredPlugins []string       `toml:"required_plugins"`
	Imports         []string       `toml:"imports"`
	OOMScore        int            `toml:"oom_score"`
	GRPC            map[string]any `toml:"grpc"`
	TTRPC           map[string]any `toml:"ttrpc"`
	Debug           map[string]any `toml:"debug"`
	Metrics         map[string]any `toml:"metrics"`
	Cgroup          map[string]any `toml:"cgroup"`
	ProxyPlugins    map[string]any `toml:"proxy_plugins"`
	StreamProcs     map[string]any `toml:"stream_processors"`
	Timeouts        map[string]any `toml:"timeouts"`
}

// containerdV2 is a version 2 (or 1) config: one CRI plugin.
type containerdV2 struct {
	containerdTop
	Plugins struct {
		CRI *criV2 `toml:"io.containerd.grpc.v1.cri"`
	} `toml:"plugins"`
}

// containerdV3 is a version 3 config: the CRI plugin split in three.
type containerdV3 struct {
	containerdTop
	Plugins struct {
		Streaming *criV3Streaming `toml:"io.containerd.grpc.v1.cri"`
		Runtime   *runtimeV3      `toml:"io.containerd.cri.v1.runtime"`
		Images    *imagesV3       `toml:"io.containerd.cri.v1.images"`
	} `toml:"plugins"`
}

// criV3Streaming is what version 3 keeps in io.containerd.grpc.v1.cri.
type criV3Streaming struct {
	DisableTCPService   bool     `toml:"disable_tcp_service"`
	StreamServerAddress string   `toml:"stream_server_address"`
	StreamServerPort    string   `toml:"stream_server_port"`
	StreamIdleTimeout   string   `toml:"stream_idle_timeout"`
	EnableTLSStreaming  bool     `toml:"enable_tls_streaming"`
	X509KeyPair         x509Pair `toml:"x509_key_pair_streaming"`
}

// criV2 is version 2's CRI plugin (containerd 1.6 and 1.7); in version 3 the same table
// holds only the streaming server's keys.
type criV2 struct {
	DeviceOwnership          bool           `toml:"device_ownership_from_security_context"`
	DisableApparmor          bool           `toml:"disable_apparmor"`
	DisableCgroup            bool           `toml:"disable_cgroup"`
	DisableHugetlb           bool           `toml:"disable_hugetlb_controller"`
	DisableProcMount         bool           `toml:"disable_proc_mount"`
	DisableTCPService        bool           `toml:"disable_tcp_service"`
	EnableSelinux            bool           `toml:"enable_selinux"`
	EnableTLSStreaming       bool           `toml:"enable_tls_streaming"`
	EnableUnprivilegedICMP   bool           `toml:"enable_unprivileged_icmp"`
	EnableUnprivilegedPorts  bool           `toml:"enable_unprivileged_ports"`
	EnableCDI                bool           `toml:"enable_cdi"`
	CDISpecDirs              []string       `toml:"cdi_spec_dirs"`
	IgnoreImageVolumes       bool           `toml:"ignore_image_defined_volumes"`
	IgnoreDeprecation        []string       `toml:"ignore_deprecation_warnings"`
	ImagePullProgressTimeout string         `toml:"image_pull_progress_timeout"`
	ImagePullWithSyncFS      bool           `toml:"image_pull_with_sync_fs"`
	DrainExecSyncIOTimeout   string         `toml:"drain_exec_sync_io_timeout"`
	MaxConcurrentDownloads   int            `toml:"max_concurrent_downloads"`
	MaxContainerLogLine      int            `toml:"max_container_log_line_size"`
	NetnsUnderStateDir       bool           `toml:"netns_mounts_under_state_dir"`
	RestrictOOMScoreAdj      bool           `toml:"restrict_oom_score_adj"`
	SandboxImage             string         `toml:"sandbox_image"`
	SelinuxCategoryRange     int            `toml:"selinux_category_range"`
	StatsCollectPeriod       int            `toml:"stats_collect_period"`
	StreamIdleTimeout        string         `toml:"stream_idle_timeout"`
	StreamServerAddress      string         `toml:"stream_server_address"`
	StreamServerPort         string         `toml:"stream_server_port"`
	SystemdCgroup            bool           `toml:"systemd_cgroup"`
	TolerateMissingHugetlb   bool           `toml:"tolerate_missing_hugetlb_controller"`
	UnsetSeccompProfile      string         `toml:"unset_seccomp_profile"`
	CNI                      cniConf        `toml:"cni"`
	Containerd               containerdConf `toml:"containerd"`
	ImageDecryption          struct {
		KeyModel string `toml:"key_model"`
	} `toml:"image_decryption"`
	Registry    registryConf `toml:"registry"`
	X509KeyPair x509Pair     `toml:"x509_key_pair_streaming"`
}

type x509Pair struct {
	TLSCertFile string `toml:"tls_cert_file"`
	TLSKeyFile  string `toml:"tls_key_file"`
}

type cniConf struct {
	BinDir          string   `toml:"bin_dir"`
	BinDirs         []string `toml:"bin_dirs"`
	ConfDir         string   `toml:"conf_dir"`
	ConfTemplate    string   `toml:"conf_template"`
	IPPref          string   `toml:"ip_pref"`
	MaxConfNum      int      `toml:"max_conf_num"`
	SetupSerially   bool     `toml:"setup_serially"`
	UseInternalLoop bool     `toml:"use_internal_loopback"`
}

type containerdConf struct {
	DefaultRuntimeName       string                 `toml:"default_runtime_name"`
	DisableSnapshotAnnots    bool                   `toml:"disable_snapshot_annotations"`
	DiscardUnpackedLayers    bool                   `toml:"discard_unpacked_layers"`
	IgnoreBlockIONotEnabled  bool                   `toml:"ignore_blockio_not_enabled_errors"`
	IgnoreRdtNotEnabled      bool                   `toml:"ignore_rdt_not_enabled_errors"`
	NoPivot                  bool                   `toml:"no_pivot"`
	Snapshotter              string                 `toml:"snapshotter"`
	DefaultRuntime           *runtimeConf           `toml:"default_runtime"`
	UntrustedWorkloadRuntime *runtimeConf           `toml:"untrusted_workload_runtime"`
	Runtimes                 map[string]runtimeConf `toml:"runtimes"`
}

// runtimeConf is one runtime handler; its options are runc's when it runs runc (other
// shims' options are not judged: see unknownKeys).
type runtimeConf struct {
	BaseRuntimeSpec         string      `toml:"base_runtime_spec"`
	CNIConfDir              string      `toml:"cni_conf_dir"`
	CNIMaxConfNum           int         `toml:"cni_max_conf_num"`
	ContainerAnnotations    []string    `toml:"container_annotations"`
	PodAnnotations          []string    `toml:"pod_annotations"`
	PrivilegedNoHostDevices bool        `toml:"privileged_without_host_devices"`
	PrivilegedAllDevices    bool        `toml:"privileged_without_host_devices_all_devices_allowed"`
	RuntimeEngine           string      `toml:"runtime_engine"`
	RuntimePath             string      `toml:"runtime_path"`
	RuntimeRoot             string      `toml:"runtime_root"`
	RuntimeType             string      `toml:"runtime_type"`
	SandboxMode             string      `toml:"sandbox_mode"`
	Snapshotter             string      `toml:"snapshotter"`
	IOType                  string      `toml:"io_type"`
	TreatRoMountsAsRro      bool        `toml:"treat_ro_mounts_as_rro"`
	Platform                string      `toml:"platform"`
	Options                 runcOptions `toml:"options"`
}

type runcOptions struct {
	BinaryName    string `toml:"BinaryName"`
	CriuImagePath string `toml:"CriuImagePath"`
	CriuPath      string `toml:"CriuPath"`
	CriuWorkPath  string `toml:"CriuWorkPath"`
	IoGid         int    `toml:"IoGid"`
	IoUid         int    `toml:"IoUid"`
	NoNewKeyring  bool   `toml:"NoNewKeyring"`
	NoPivotRoot   bool   `toml:"NoPivotRoot"`
	Root          string `toml:"Root"`
	ShimCgroup    string `toml:"ShimCgroup"`
	SystemdCgroup *bool  `toml:"SystemdCgroup"`
}

type registryConf struct {
	ConfigPath string `toml:"config_path"`
	// Auths and Configs may hold credentials: decoded loosely, never quoted.
	Auths   map[string]any `toml:"auths"`
	Configs map[string]any `toml:"configs"`
	Headers map[string]any `toml:"headers"`
	Mirrors map[string]struct {
		Endpoint []string          `toml:"endpoint"`
		Rewrite  map[string]string `toml:"rewrite"`
	} `toml:"mirrors"`
}

// runtimeV3 is version 3's io.containerd.cri.v1.runtime plugin.
type runtimeV3 struct {
	EnableSelinux           bool           `toml:"enable_selinux"`
	SelinuxCategoryRange    int            `toml:"selinux_category_range"`
	TolerateMissingHugetlb  bool           `toml:"tolerate_missing_hugetlb_controller"`
	DisableHugetlb          bool           `toml:"disable_hugetlb_controller"`
	DeviceOwnership         bool           `toml:"device_ownership_from_security_context"`
	IgnoreImageVolumes      bool           `toml:"ignore_image_defined_volumes"`
	NetnsUnderStateDir      bool           `toml:"netns_mounts_under_state_dir"`
	EnableUnprivilegedPorts bool           `toml:"enable_unprivileged_ports"`
	EnableUnprivilegedICMP  bool           `toml:"enable_unprivileged_icmp"`
	EnableCDI               bool           `toml:"enable_cdi"`
	CDISpecDirs             []string       `toml:"cdi_spec_dirs"`
	DrainExecSyncIOTimeout  string         `toml:"drain_exec_sync_io_timeout"`
	IgnoreDeprecation       []string       `toml:"ignore_deprecation_warnings"`
	DisableApparmor         bool           `toml:"disable_apparmor"`
	DisableCgroup           bool           `toml:"disable_cgroup"`
	DisableProcMount        bool           `toml:"disable_proc_mount"`
	RestrictOOMScoreAdj     bool           `toml:"restrict_oom_score_adj"`
	MaxContainerLogLine     int            `toml:"max_container_log_line_size"`
	UnsetSeccompProfile     string         `toml:"unset_seccomp_profile"`
	CNI                     cniConf        `toml:"cni"`
	Containerd              containerdConf `toml:"containerd"`
}

// imagesV3 is version 3's io.containerd.cri.v1.images plugin.
type imagesV3 struct {
	Snapshotter              string            `toml:"snapshotter"`
	DisableSnapshotAnnots    bool              `toml:"disable_snapshot_annotations"`
	DiscardUnpackedLayers    bool              `toml:"discard_unpacked_layers"`
	MaxConcurrentDownloads   int               `toml:"max_concurrent_downloads"`
	ConcurrentLayerFetchBuf  int               `toml:"concurrent_layer_fetch_buffer"`
	ImagePullProgressTimeout string            `toml:"image_pull_progress_timeout"`
	ImagePullWithSyncFS      bool              `toml:"image_pull_with_sync_fs"`
	StatsCollectPeriod       int               `toml:"stats_collect_period"`
	UseLocalImagePull        bool              `toml:"use_local_image_pull"`
	PinnedImages             map[string]string `toml:"pinned_images"`
	RuntimePlatforms         map[string]any    `toml:"runtime_platforms"`
	Registry                 struct {
		ConfigPath string         `toml:"config_path"`
		Headers    map[string]any `toml:"headers"`
	} `toml:"registry"`
	ImageDecryption struct {
		KeyModel string `toml:"key_model"`
	} `toml:"image_decryption"`
}

// containerdConfig is a parsed config.toml: the settings kockpit judges and where they are.
type containerdConfig struct {
	Version int
	v2      containerdV2
	v3      containerdV3
	// Unknown are the keys containerd ignores, with their positions.
	Unknown []unknownKey
}

type unknownKey struct {
	Key      string
	Row, Col int
}

// tomlError is a TOML syntax or type error with its position.
type tomlError struct {
	Msg      string
	Row, Col int
}

func (e *tomlError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Row, e.Col, e.Msg) }

// v3Plugins are the plugins version 3 split the CRI plugin into: containerd 1.x has none of
// them.
var v3Plugins = map[string]bool{"io.containerd.cri.v1.runtime": true, "io.containerd.cri.v1.images": true}

// parseContainerdConfig decodes config.toml strictly against its version's keys; a syntax or
// type error is a *tomlError. A file with no version is version 1 (before containerd 1.3),
// read as version 2 for what is the same.
func parseContainerdConfig(data []byte) (*containerdConfig, error) {
	var top struct {
		Version int `toml:"version"`
	}
	if err := toml.Unmarshal(data, &top); err != nil {
		return nil, asTOMLError(err)
	}
	c := &containerdConfig{Version: top.Version}
	var target any = &c.v2
	if c.Version >= 3 {
		target = &c.v3
	}
	err := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields().Decode(target)
	var strict *toml.StrictMissingError
	switch {
	case errors.As(err, &strict):
		seen := map[string]bool{}
		for _, e := range strict.Errors {
			k, ok := c.judgedKey(e.Key())
			if ok && !seen[k] {
				seen[k] = true
				row, col := e.Position()
				c.Unknown = append(c.Unknown, unknownKey{Key: k, Row: row, Col: col})
			}
		}
	case err != nil:
		return nil, asTOMLError(err)
	}
	return c, nil
}

func asTOMLError(err error) *tomlError {
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return &tomlError{Msg: strings.TrimPrefix(de.Error(), "toml: "), Row: row, Col: col}
	}
	return &tomlError{Msg: err.Error()}
}

// judgedKey says whether an unknown key is one kockpit can judge: keys of the plugins it
// models (other plugins, and the options of shims other than runc, have keys kockpit does not
// know), and a version 3 plugin in an older file. It returns the key as TOML writes it.
func (c *containerdConfig) judgedKey(key toml.Key) (string, bool) {
	if len(key) < 2 || key[0] != "plugins" {
		return keyText(key), true
	}
	switch {
	case key[1] == "io.containerd.grpc.v1.cri":
	case v3Plugins[key[1]]:
		if c.Version < 3 {
			// The plugin's table, once: its keys are all unknown with it.
			return keyText(key[:2]), true
		}
	default:
		return "", false
	}
	// Options of a runtime that is not runc are the shim's own.
	if i := indexOf(key, "runtimes"); i >= 0 && len(key) > i+3 && key[i+2] == "options" {
		if rt, ok := c.runtimes()[key[i+1]]; ok && !isRunc(rt.RuntimeType) {
			return "", false
		}
	}
	return keyText(key), true
}

func indexOf(key toml.Key, s string) int {
	for i, k := range key {
		if k == s {
			return i
		}
	}
	return -1
}

// keyText writes a key path as TOML does, quoting parts that need it.
func keyText(key toml.Key) string {
	parts := make([]string, len(key))
	for i, k := range key {
		if k == "" || strings.ContainsFunc(k, func(r rune) bool {
			return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
		}) {
			k = fmt.Sprintf("%q", k)
		}
		parts[i] = k
	}
	return strings.Join(parts, ".")
}

func isRunc(runtimeType string) bool {
	return runtimeType == "" || runtimeType == "io.containerd.runc.v2" || runtimeType == "io.containerd.runc.v1"
}

// cri is the CRI settings of either version.
func (c *containerdConfig) containerd() containerdConf {
	if c.Version >= 3 {
		if c.v3.Plugins.Runtime != nil {
			return c.v3.Plugins.Runtime.Containerd
		}
		return containerdConf{}
	}
	if c.v2.Plugins.CRI != nil {
		return c.v2.Plugins.CRI.Containerd
	}
	return containerdConf{}
}

func (c *containerdConfig) runtimes() map[string]runtimeConf { return c.containerd().Runtimes }

// defaultRuntime is the handler pods without a RuntimeClass run with, and its name.
func (c *containerdConfig) defaultRuntime() (string, runtimeConf, bool) {
	name := c.containerd().DefaultRuntimeName
	if name == "" {
		name = "runc"
	}
	rt, ok := c.runtimes()[name]
	return name, rt, ok
}

// sandboxImage is the pause image the config sets, "" when it keeps containerd's default.
func (c *containerdConfig) sandboxImage() string {
	if c.Version >= 3 {
		if c.v3.Plugins.Images != nil {
			return c.v3.Plugins.Images.PinnedImages["sandbox"]
		}
		return ""
	}
	if c.v2.Plugins.CRI != nil {
		return c.v2.Plugins.CRI.SandboxImage
	}
	return ""
}

// registry is the registry settings of either version.
func (c *containerdConfig) registry() registryConf {
	if c.Version >= 3 {
		if c.v3.Plugins.Images != nil {
			return registryConf{ConfigPath: c.v3.Plugins.Images.Registry.ConfigPath}
		}
		return registryConf{}
	}
	if c.v2.Plugins.CRI != nil {
		return c.v2.Plugins.CRI.Registry
	}
	return registryConf{}
}
