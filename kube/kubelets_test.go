package kube

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/client-go/rest"
)

func TestKubeletConfigIsAskedOncePerRun(t *testing.T) {
	var asked atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/api/v1/nodes/n1/proxy/configz" {
			http.NotFound(w, r)
			return
		}
		asked.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"kubeletconfig":{"clusterDNS":["10.96.0.10"],"clusterDomain":"cluster.local"}}`))
	}))
	defer srv.Close()
	c, err := NewCluster(&rest.Config{Host: srv.URL}, "test")
	if err != nil {
		t.Fatal(err)
	}
	snap := NewLiveSnapshot(context.Background(), c)
	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cfg, err := snap.KubeletConfig(context.Background(), "n1")
			if err != nil || cfg.ClusterDomain != "cluster.local" {
				t.Errorf("KubeletConfig = %+v, %v", cfg, err)
			}
		}()
	}
	wg.Wait()
	if n := asked.Load(); n != 1 {
		t.Errorf("the kubelet was asked %d times in one run, want 1", n)
	}
	offline, _ := NewObjectSnapshot(context.Background())
	if _, err := offline.KubeletConfig(context.Background(), "n1"); err != ErrOffline {
		t.Errorf("offline: %v, want ErrOffline", err)
	}
}
