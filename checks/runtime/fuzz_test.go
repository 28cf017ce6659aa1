package runtime

import (
	"os"
	"strings"
	"testing"
)

// FuzzContainerdConfig: any bytes give a config or a positioned error, never a panic; every
// unknown key has a position inside the file.
func FuzzContainerdConfig(f *testing.F) {
	if data, err := os.ReadFile("testdata/containerd-1.6-default.toml"); err == nil {
		f.Add(data)
	}
	f.Add([]byte(brokenContainerdConfig))
	f.Add([]byte("version = 3\n[plugins.\"io.containerd.cri.v1.images\".pinned_images]\nsandbox = \"x\"\n"))
	f.Add([]byte("version = 2\n[plugins.\"io.containerd.cri.v1.runtime\"]\nx = 1\n"))
	f.Add([]byte("version = \"2\"\n"))
	f.Add([]byte("[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata]\nruntime_type = \"io.containerd.kata.v2\"\n[plugins.\"io.containerd.grpc.v1.cri\".containerd.runtimes.kata.options]\nX = 1\n"))
	f.Add([]byte("= \n[[["))
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := parseContainerdConfig(data)
		if err != nil {
			if _, ok := err.(*tomlError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		lines := strings.Count(string(data), "\n") + 1
		for _, k := range c.Unknown {
			if k.Row < 1 || k.Row > lines || k.Key == "" {
				t.Fatalf("unknown key %q at row %d of %d", k.Key, k.Row, lines)
			}
		}
		_, _, _ = c.defaultRuntime()
		_ = c.sandboxImage()
		_ = c.registry()
	})
}

// FuzzStatusInfo: any verbose Status info parses or errors, and the handlers come sorted.
func FuzzStatusInfo(f *testing.F) {
	f.Add("OK", `{"sandboxImage":"registry.k8s.io/pause:3.6","containerd":{"runtimes":{"runc":{},"kata":{}}}}`)
	f.Add("cni config load failed", `{"pinnedImages":{"sandbox":"registry.k8s.io/pause:3.10"}}`)
	f.Add("", `{"containerd":{"runtimes":[]}}`)
	f.Add("", "not json")
	f.Fuzz(func(t *testing.T, cni, config string) {
		s, err := parseStatusInfo(map[string]string{"lastCNILoadStatus": cni, "config": config})
		if err != nil {
			return
		}
		if !s.HasCNIStatus || s.CNIStatus != cni {
			t.Fatalf("CNI status %q, want %q", s.CNIStatus, cni)
		}
		for i := 1; i < len(s.Handlers); i++ {
			if s.Handlers[i-1] > s.Handlers[i] {
				t.Fatalf("handlers not sorted: %q", s.Handlers)
			}
		}
	})
}

// FuzzImageRef: a reference splits into parts that give it back.
func FuzzImageRef(f *testing.F) {
	for _, s := range []string{"registry.k8s.io/pause:3.10", "pause", "localhost:5000/pause:3.9@sha256:abc", "docker.io/library/busybox", "a/b/c:1", ":", "@", "/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ref string) {
		r := parseImageRef(ref)
		if r.Registry == "" {
			t.Fatalf("%q: no registry", ref)
		}
		if r.Tag != "" && !strings.Contains(ref, ":"+r.Tag) || r.Digest != "" && !strings.HasSuffix(ref, "@"+r.Digest) {
			t.Fatalf("%q: %+v", ref, r)
		}
	})
}

// FuzzVersions: comparison is antisymmetric where it applies.
func FuzzVersions(f *testing.F) {
	f.Add("3.10", "3.9")
	f.Add("3.10.1", "3.10")
	f.Add("3", "x")
	f.Fuzz(func(t *testing.T, a, b string) {
		ab, ok1 := compareVersions(a, b)
		ba, ok2 := compareVersions(b, a)
		if ok1 != ok2 || ok1 && ab != -ba {
			t.Fatalf("%q vs %q: %d %v, %d %v", a, b, ab, ok1, ba, ok2)
		}
	})
}

// FuzzUnitSettings: a unit's settings are read from its [Service] section only, each with the
// line it is on.
func FuzzUnitSettings(f *testing.F) {
	f.Add("[Service]\nLimitNOFILE=1024\n[Install]\nLimitNPROC=1\n")
	f.Add("LimitNOFILE=1\n[Service]\n  TasksMax = 10 \n")
	f.Add("[Service]\nLimitNOFILE=1024:4096\n# LimitNPROC=1\n")
	f.Fuzz(func(t *testing.T, unit string) {
		lines := strings.Split(unit, "\n")
		for key, s := range serviceSettings([]byte(unit), "u") {
			if s.line < 1 || s.line > len(lines) || !strings.Contains(lines[s.line-1], key) {
				t.Fatalf("%q at line %d", key, s.line)
			}
			_, _ = limitValue(s.value)
		}
	})
}

func TestUnitSettingsSection(t *testing.T) {
	got := serviceSettings([]byte("LimitNOFILE=1\n[Service]\nLimitNPROC=64\n[Install]\nTasksMax=1\n"), "u")
	if len(got) != 1 || got["LimitNPROC"].value != "64" || got["LimitNPROC"].line != 3 {
		t.Errorf("%+v", got)
	}
	for v, want := range map[string]uint64{"1024": 1024, "1024:4096": 1024} {
		if n, ok := limitValue(v); !ok || n != want {
			t.Errorf("%q: %d %v", v, n, ok)
		}
	}
	for _, v := range []string{"infinity", "10%", ""} {
		if _, ok := limitValue(v); ok {
			t.Errorf("%q judged", v)
		}
	}
}

// brokenContainerdConfig has SystemdCgroup off while the kubelet uses systemd, a misspelled
// key, a mirror that sends Docker Hub elsewhere, and a Cyrillic а in the sandbox image.
const brokenContainerdConfig = `version = 2

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pаuse:3.10"
  [plugins."io.containerd.grpc.v1.cri".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
        SystemdCgroups = true
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "/etc/containerd/certs.d"
    [plugins."io.containerd.grpc.v1.cri".registry.mirrors."docker.io"]
      endpoint = ["https://hub.evil.example", "https://registry-1.docker.io"]
`
