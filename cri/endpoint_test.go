package cri

import (
	"strings"
	"testing"
)

func TestCandidatesInCrictlsOrder(t *testing.T) {
	got, errs := Candidates("unix:///run/k3s/containerd/containerd.sock", "unix:///run/containerd/containerd.sock")
	want := []Candidate{
		{"/run/k3s/containerd/containerd.sock", CrictlConfig},
		{"/run/containerd/containerd.sock", "the kubelet's containerRuntimeEndpoint"},
		{"/run/crio/crio.sock", "crictl's default"},
		{"/var/run/cri-dockerd.sock", "crictl's default"},
	}
	if len(errs) != 0 || len(got) != len(want) {
		t.Fatalf("%v %v", got, errs)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("%d: %v, want %v", i, got[i], want[i])
		}
	}
	if _, errs := Candidates("tcp://10.0.0.1:1234", ""); len(errs) != 1 || !strings.Contains(errs[0].Error(), "only unix://") {
		t.Errorf("a tcp endpoint: %v", errs)
	}
}

// FuzzSocketPath: an endpoint gives a clean absolute path or an error.
func FuzzSocketPath(f *testing.F) {
	for _, s := range []string{"unix:///run/containerd/containerd.sock", "/run/crio/crio.sock", "npipe:////./pipe/x", "unix://relative", "unix:///a/../../b", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, endpoint string) {
		p, err := SocketPath(endpoint)
		if err == nil && (!strings.HasPrefix(p, "/") || strings.Contains(p, "/../")) {
			t.Fatalf("%q gives %q", endpoint, p)
		}
	})
}

// FuzzCrictlEndpoint: any crictl.yaml parses or errors, never panics.
func FuzzCrictlEndpoint(f *testing.F) {
	f.Add([]byte("runtime-endpoint: unix:///run/containerd/containerd.sock\nimage-endpoint: unix:///x\ntimeout: 2\n"))
	f.Add([]byte("runtime-endpoint: [\n"))
	f.Add([]byte("- a\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = CrictlEndpoint(data)
	})
}
