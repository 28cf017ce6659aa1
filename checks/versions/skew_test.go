package versions

import (
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/util/version"
	apiversion "k8s.io/apimachinery/pkg/version"
)

func TestParseKubeVersion(t *testing.T) {
	tests := []struct {
		in           string
		major, minor uint
		wantErr      bool
	}{
		{in: "v1.37.2", major: 1, minor: 37},
		{in: "1.30", major: 1, minor: 30},
		{in: "v1.31.0-eks-abc1234", major: 1, minor: 31},
		{in: "v1.29.4+k3s1", major: 1, minor: 29},
		{in: "v1.28.3-gke.1286000", major: 1, minor: 28},
		{in: " v1.12.0\n", major: 1, minor: 12},
		{in: "", wantErr: true},
		{in: "latest", wantErr: true},
		{in: "v1", wantErr: true},
		{in: "V1.30.0", wantErr: true},
	}
	for _, tt := range tests {
		v, err := ParseKubeVersion(tt.in)
		if tt.wantErr {
			if err == nil {
				t.Errorf("ParseKubeVersion(%q) = %v, want an error", tt.in, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseKubeVersion(%q): %v", tt.in, err)
			continue
		}
		if v.Major() != tt.major || v.Minor() != tt.minor {
			t.Errorf("ParseKubeVersion(%q) = %d.%d, want %d.%d", tt.in, v.Major(), v.Minor(), tt.major, tt.minor)
		}
	}
}

func TestVersionFromInfo(t *testing.T) {
	tests := []struct {
		name    string
		info    *apiversion.Info
		want    string
		wantErr bool
	}{
		{name: "gitVersion", info: &apiversion.Info{Major: "1", Minor: "37", GitVersion: "v1.37.2"}, want: "v1.37"},
		{name: "provider suffix", info: &apiversion.Info{Major: "1", Minor: "31+", GitVersion: "v1.31.0-eks-abc"}, want: "v1.31"},
		{name: "gitVersion unreadable", info: &apiversion.Info{Major: "1", Minor: "27+", GitVersion: "custom"}, want: "v1.27"},
		{name: "nothing", info: &apiversion.Info{GitVersion: "custom"}, wantErr: true},
		{name: "nil", info: nil, wantErr: true},
	}
	for _, tt := range tests {
		v, err := VersionFromInfo(tt.info)
		if tt.wantErr {
			if err == nil {
				t.Errorf("%s: got %v, want an error", tt.name, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := MinorString(v); got != tt.want {
			t.Errorf("%s: got %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestVersionFromImage(t *testing.T) {
	tests := []struct {
		image   string
		want    string
		wantErr bool
	}{
		{image: "registry.k8s.io/kube-apiserver:v1.37.2", want: "v1.37"},
		{image: "registry.k8s.io/kube-scheduler:v1.36.0@sha256:0123abcd", want: "v1.36"},
		{image: "localhost:5000/kube-controller-manager:v1.35.1", want: "v1.35"},
		{image: "kube-proxy:v1.34.0-eks-1-34", want: "v1.34"},
		{image: "localhost:5000/kube-apiserver", wantErr: true},
		{image: "registry.k8s.io/kube-apiserver@sha256:0123abcd", wantErr: true},
		{image: "registry.k8s.io/kube-apiserver:latest", wantErr: true},
	}
	for _, tt := range tests {
		v, err := VersionFromImage(tt.image)
		if tt.wantErr {
			if err == nil {
				t.Errorf("VersionFromImage(%q) = %v, want an error", tt.image, v)
			}
			continue
		}
		if err != nil {
			t.Errorf("VersionFromImage(%q): %v", tt.image, err)
			continue
		}
		if got := MinorString(v); got != tt.want {
			t.Errorf("VersionFromImage(%q) = %s, want %s", tt.image, got, tt.want)
		}
	}
}

func TestCompareSkew(t *testing.T) {
	tests := []struct {
		component   Component
		version     string
		server      string
		allowed     bool
		minors      int
		distance    string
		sentenceHas string
	}{
		{ComponentKubectl, "v1.37.0", "v1.37.2", true, 0, "on the same minor as", ""},
		{ComponentKubectl, "v1.36.9", "v1.37.2", true, -1, "one minor behind", ""},
		{ComponentKubectl, "v1.38.0", "v1.37.2", true, 1, "one minor ahead of", ""},
		{ComponentKubectl, "v1.35.0", "v1.37.2", false, -2, "2 minors behind", ""},
		{ComponentKubectl, "v1.39.0", "v1.37.2", false, 2, "2 minors ahead of", ""},
		{ComponentKubectl, "v1.12.0", "v1.37.2", false, -25, "25 minors behind", "kubectl v1.12 is 25 minors behind the server v1.37"},
		{ComponentKubelet, "v1.37.2", "v1.37.2", true, 0, "on the same minor as", ""},
		{ComponentKubelet, "v1.34.0", "v1.37.2", true, -3, "3 minors behind", ""},
		{ComponentKubelet, "v1.33.5", "v1.37.2", false, -4, "4 minors behind", ""},
		{ComponentKubelet, "v1.38.0", "v1.37.2", false, 1, "one minor ahead of", ""},
		{ComponentKubeProxy, "v1.34.1", "v1.37.2", true, -3, "3 minors behind", ""},
		{ComponentKubeProxy, "v1.33.0", "v1.37.2", false, -4, "4 minors behind", ""},
		{ComponentKubeProxy, "v1.38.0", "v1.37.2", false, 1, "one minor ahead of", ""},
		{ComponentControllerManager, "v1.36.0", "v1.37.2", true, -1, "one minor behind", ""},
		{ComponentControllerManager, "v1.35.0", "v1.37.2", false, -2, "2 minors behind", ""},
		{ComponentControllerManager, "v1.38.0", "v1.37.2", false, 1, "one minor ahead of", ""},
		{ComponentScheduler, "v1.36.0", "v1.37.2", true, -1, "one minor behind", ""},
		{ComponentScheduler, "v1.38.0", "v1.37.2", false, 1, "one minor ahead of", ""},
		{ComponentCloudControllerManager, "v1.36.0", "v1.37.2", true, -1, "one minor behind", ""},
		{ComponentCloudControllerManager, "v1.35.0", "v1.37.2", false, -2, "2 minors behind", ""},
		{ComponentAPIServer, "v1.36.0", "v1.37.2", true, -1, "one minor behind", ""},
		{ComponentAPIServer, "v1.38.0", "v1.37.2", true, 1, "one minor ahead of", ""},
		{ComponentAPIServer, "v1.35.0", "v1.37.2", false, -2, "2 minors behind", ""},
		{ComponentKubelet, "v2.37.0", "v1.37.2", false, 0, "on another major version than", ""},
		{Component("etcd"), "v3.6.0", "v3.1.0", true, 5, "5 minors ahead of", ""},
	}
	for _, tt := range tests {
		s := CompareSkew(tt.component, mustKubeVersion(t, tt.version), mustKubeVersion(t, tt.server))
		name := string(tt.component) + " " + tt.version + " vs " + tt.server
		if s.Allowed != tt.allowed {
			t.Errorf("%s: allowed = %v, want %v", name, s.Allowed, tt.allowed)
		}
		if s.SameMajor && s.Minors != tt.minors {
			t.Errorf("%s: minors = %d, want %d", name, s.Minors, tt.minors)
		}
		if got := s.Distance(); got != tt.distance {
			t.Errorf("%s: distance = %q, want %q", name, got, tt.distance)
		}
		if tt.sentenceHas != "" && !strings.Contains(s.Sentence(), tt.sentenceHas) {
			t.Errorf("%s: sentence %q lacks %q", name, s.Sentence(), tt.sentenceHas)
		}
		if s.Rule() == "" {
			t.Errorf("%s: empty rule", name)
		}
	}
}

func mustKubeVersion(t *testing.T, s string) *version.Version {
	t.Helper()
	v, err := ParseKubeVersion(s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
