package executable

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/kockpit/kockpit/kube/testcluster"
)

func readKube(t testing.TB, data []byte) (KubeBuild, error) {
	t.Helper()
	return ReadKubeVersion(context.Background(), bytes.NewReader(data), int64(len(data)), 0)
}

// TestReadKubeVersionOfARealKubectl reads the kubectl hack/kube-binaries.sh builds as the
// release does (-trimpath, stripped, the version set with -X).
func TestReadKubeVersionOfARealKubectl(t *testing.T) {
	p := filepath.Join(testcluster.BinDir(), "kubectl")
	f, err := os.Open(p)
	if err != nil {
		if os.Getenv("KOCKPIT_REQUIRE_CLUSTER") == "1" {
			t.Fatal(err)
		}
		t.Skipf("%v: run hack/kube-binaries.sh (KOCKPIT_REQUIRE_CLUSTER=1 makes this a failure)", err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	b, err := ReadKubeVersion(context.Background(), f, fi.Size(), 0)
	out, runErr := exec.Command(p, "version", "--client").Output()
	if runErr != nil {
		t.Fatal(runErr)
	}
	// The version it prints when run is the one read without running it.
	if err != nil || b.GitVersion == "" || !strings.Contains(string(out), "Client Version: "+b.GitVersion+"\n") ||
		b.Stamps < 2 || !b.Kubectl || b.MainPackage != "k8s.io/kubernetes/cmd/kubectl" || !strings.HasPrefix(b.GoVersion, "go1.") {
		t.Errorf("read %+v, %v; kubectl says %q", b, err, out)
	}
}

// TestReadKubeVersionOfAStrippedGoBuild builds a small program the way Kubernetes releases are
// built: -trimpath, -s -w, two versions stamped with -X. Nothing names them in the binary.
func TestReadKubeVersionOfAStrippedGoBuild(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go toolchain on PATH")
	}
	dir := t.TempDir()
	src := `package main

import "fmt"

var gitVersion, clientVersion = "v0.0.0-master+$Format:%H$", "v0.0.0-master+$Format:%H$"

func main() { fmt.Println("kubectl controls the Kubernetes cluster manager", gitVersion, clientVersion) }
`
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/oldkubectl\n\ngo 1.22\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "kubectl")
	build := exec.Command(goTool, "build", "-trimpath", "-o", bin,
		"-ldflags", "-s -w -X main.gitVersion=v1.12.10 -X main.clientVersion=v1.12.10")
	build.Dir = dir
	build.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=-mod=mod", "GOWORK=off")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	data, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	b, err := readKube(t, data)
	if err != nil || b.GitVersion != "v1.12.10" || b.Stamps != 2 || !b.Kubectl || b.GoVersion != runtime.Version() || b.MainPackage != "example.com/oldkubectl" {
		t.Errorf("read %+v, %v", b, err)
	}
}

// stub is a file with what the reader looks for and nothing else: how a scenario carries an
// old kubectl without its megabytes.
func stub(stamps ...string) []byte {
	var b bytes.Buffer
	b.WriteString("\x7fELF\x02\x01\x01\x00" + strings.Repeat("\x00", 56))
	b.WriteString(kubectlMarker + "\x00")
	for _, s := range stamps {
		b.WriteString("\x00" + s + "\x00")
	}
	b.WriteString("\x00go1.10.8\x00")
	return b.Bytes()
}

func TestReadKubeVersionOfAStub(t *testing.T) {
	b, err := readKube(t, stub("v1.12.10", "v1.12.10"))
	if err != nil || b.GitVersion != "v1.12.10" || b.Stamps != 2 || !b.Kubectl || b.GoVersion != "go1.10.8" || b.MainPackage != "" {
		t.Errorf("read %+v, %v", b, err)
	}
	// Adjacent stamps share their NUL, as the linker lays them out.
	b, err = readKube(t, []byte("x\x00v1.31.0-eks-1a2b\x00v1.31.0-eks-1a2b\x00"))
	if err != nil || b.GitVersion != "v1.31.0-eks-1a2b" || b.Stamps != 2 || b.Kubectl {
		t.Errorf("adjacent: %+v, %v", b, err)
	}
	// A version inside other text is a Go string literal, not a stamp.
	if b, err := readKube(t, []byte("\x00needs v1.2.3\x00 or \x00v1.2.3 later\x00")); err != nil || b.GitVersion != "" {
		t.Errorf("literal: %+v, %v", b, err)
	}
}

func TestReadKubeVersionCannotTell(t *testing.T) {
	if _, err := readKube(t, stub("v1.12.10", "v1.13.0")); !errors.Is(err, ErrAmbiguous) {
		t.Errorf("two versions once each: %v", err)
	}
	// Most stamps win: a third-party module's stamp does not hide kubectl's own two.
	if b, err := readKube(t, stub("v1.12.10", "v1.9.0", "v1.12.10")); err != nil || b.GitVersion != "v1.12.10" {
		t.Errorf("%+v, %v", b, err)
	}
	data := stub("v1.12.10", "v1.12.10")
	_, err := ReadKubeVersion(context.Background(), bytes.NewReader(data), int64(len(data)), int64(len(data)-1))
	if !errors.Is(err, ErrTooLarge) {
		t.Errorf("past the cap: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadKubeVersion(ctx, bytes.NewReader(data), int64(len(data)), 0); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// TestReadKubeVersionAcrossChunks: a stamp cut by a chunk's edge is read once, whole; stamps
// in the overlap are not counted twice.
func TestReadKubeVersionAcrossChunks(t *testing.T) {
	for _, at := range []int{chunkBytes - 4, chunkBytes - chunkOverlap + 2, chunkBytes - 1, chunkBytes, 2*chunkBytes - 10} {
		data := make([]byte, 3*chunkBytes)
		copy(data[at:], "\x00v1.12.10\x00v1.12.10\x00")
		copy(data[10:], kubectlMarker)
		b, err := readKube(t, data)
		if err != nil || b.GitVersion != "v1.12.10" || b.Stamps != 2 || !b.Kubectl {
			t.Errorf("stamps at %d: %+v, %v", at, b, err)
		}
	}
}

func FuzzReadKubeVersion(f *testing.F) {
	f.Add(stub("v1.12.10", "v1.12.10"))
	f.Add(stub("v1.37.2-rc.0+abc", "v1.2.3"))
	f.Add([]byte("\x00v1.1.1\x00v1.1.1\x00v1.1.1"))
	f.Add([]byte("\x7fELF"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := readKube(t, data)
		if err != nil {
			if !errors.Is(err, ErrAmbiguous) {
				t.Fatalf("error %v", err)
			}
			return
		}
		if b.GitVersion != "" && (!strings.HasPrefix(b.GitVersion, "v1.") || b.Stamps < 1 || !bytes.Contains(data, []byte("\x00"+b.GitVersion+"\x00"))) {
			t.Fatalf("read %+v", b)
		}
	})
}

// BenchmarkReadKubeVersion reads the real kubectl (some 60 MiB) from the page cache.
func BenchmarkReadKubeVersion(b *testing.B) {
	f, err := os.Open(filepath.Join(testcluster.BinDir(), "kubectl"))
	if err != nil {
		b.Skipf("%v: run hack/kube-binaries.sh", err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	b.SetBytes(fi.Size())
	for b.Loop() {
		if v, err := ReadKubeVersion(context.Background(), f, fi.Size(), 0); err != nil || v.GitVersion == "" {
			b.Fatal(v, err)
		}
	}
}
