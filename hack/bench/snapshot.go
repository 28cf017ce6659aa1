package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"
)

// benchSnapshots writes nodes and pods as one List in the YAML of `kubectl get -A -o yaml` and
// the JSON of `-o json`, runs the report on each, and prints one line per format: wall time,
// MB/s over the file, peak RSS.
func benchSnapshots(binary, dir string, nodes, pods int) error {
	if dir == "" {
		tmp, err := os.MkdirTemp("", "kockpit-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		dir = tmp
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	start := time.Now()
	files := map[string]string{"YAML": filepath.Join(dir, "cluster.yaml"), "JSON": filepath.Join(dir, "cluster.json")}
	if _, err := os.Stat(files["JSON"]); err != nil { // a kept directory holds them already
		if err := writeSnapshots(files["YAML"], files["JSON"], nodes, pods); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "bench: wrote %d nodes and %d pods as YAML and JSON in %s\n", nodes, pods, time.Since(start).Round(time.Second))
	}
	for _, format := range []string{"YAML", "JSON"} {
		fi, err := os.Stat(files[format])
		if err != nil {
			return err
		}
		var errOut bytes.Buffer
		cmd := exec.Command(binary, "--report", "--format", "json", "--snapshot", files[format], "--fail-on", "never", "-o", filepath.Join(dir, "report.json"))
		cmd.Stderr = &errOut
		start := time.Now()
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("kockpit --snapshot %s: %v: %s", files[format], err, errOut.String())
		}
		wall := time.Since(start)
		usage := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		cpu := time.Duration(usage.Utime.Nano() + usage.Stime.Nano())
		mb := float64(fi.Size()) / 1e6
		// CPU time says what a busy machine's wall time does not; the load says how busy.
		fmt.Printf("bench: snapshot of %d nodes, %d pods, %s %.0f MB: report %s, %.1f MB/s, CPU %s (%.1f MB per CPU-second), peak RSS %d MiB, load %s\n",
			nodes, pods, format, mb, wall.Round(10*time.Millisecond), mb/wall.Seconds(), cpu.Round(10*time.Millisecond), mb/cpu.Seconds(), usage.Maxrss/1024, loadAverage())
	}
	return nil
}

// loadAverage is the one-minute load average, "?" where the system does not say.
func loadAverage() string {
	data, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(data)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "?"
}

// writeSnapshots writes the List item by item, as kubectl does.
func writeSnapshots(yamlPath, jsonPath string, nodes, pods int) error {
	yf, err := os.Create(yamlPath)
	if err != nil {
		return err
	}
	defer yf.Close()
	jf, err := os.Create(jsonPath)
	if err != nil {
		return err
	}
	defer jf.Close()
	y, j := bufio.NewWriterSize(yf, 1<<20), bufio.NewWriterSize(jf, 1<<20)
	y.WriteString("apiVersion: v1\nitems:\n")
	j.WriteString("{\n    \"apiVersion\": \"v1\",\n    \"items\": [\n")
	for i := range nodes + pods {
		var obj runtime.Object
		if i < nodes {
			obj = benchNode(i)
		} else {
			obj = benchPod(i-nodes, nodes)
		}
		yb, err := yaml.Marshal(obj)
		if err != nil {
			return err
		}
		// `- ` before the first line, two spaces before the others.
		y.WriteString("- ")
		y.Write(bytes.ReplaceAll(bytes.TrimSuffix(yb, []byte("\n")), []byte("\n"), []byte("\n  ")))
		y.WriteString("\n")
		jb, err := json.MarshalIndent(obj, "        ", "    ")
		if err != nil {
			return err
		}
		if i > 0 {
			j.WriteString(",\n")
		}
		j.WriteString("        ")
		j.Write(jb)
	}
	y.WriteString("kind: List\nmetadata:\n  resourceVersion: \"\"\n")
	j.WriteString("\n    ],\n    \"kind\": \"List\",\n    \"metadata\": {\n        \"resourceVersion\": \"\"\n    }\n}\n")
	if err := y.Flush(); err != nil {
		return err
	}
	if err := j.Flush(); err != nil {
		return err
	}
	if err := yf.Close(); err != nil {
		return err
	}
	return jf.Close()
}

var benchTime = metav1.NewTime(time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC))

func benchNode(i int) *corev1.Node {
	name := fmt.Sprintf("node-%05d", i)
	return &corev1.Node{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Node"},
		ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}, CreationTimestamp: benchTime},
		Status: corev1.NodeStatus{
			Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady", LastTransitionTime: benchTime}},
			NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", ContainerRuntimeVersion: "containerd://2.1.4"},
		},
	}
}

// benchPod is a running pod as a cluster's LIST gives it: the seeded pods' spec with the
// metadata and status a kubelet and a ReplicaSet give them.
func benchPod(i, nodes int) *corev1.Pod {
	const namespaces = 50
	return &corev1.Pod{
		TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "Pod"},
		ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%06d", i), Namespace: fmt.Sprintf("bench-%02d", i%namespaces),
			UID: "0f6f3a2e-5b1c-4a7e-8d2f-1c9e4b7a6d33", ResourceVersion: fmt.Sprint(100000 + i), CreationTimestamp: benchTime,
			Labels:          map[string]string{"app": fmt.Sprintf("app-%d", i%200), "pod-template-hash": "7d4b9c6f8"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: fmt.Sprintf("app-%d-7d4b9c6f8", i%200), UID: "1f6f3a2e-5b1c-4a7e-8d2f-1c9e4b7a6d34"}}},
		Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%05d", i%max(nodes, 1)), Containers: []corev1.Container{{
			Name: "app", Image: "registry.example/app:1.0", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080, Protocol: "TCP"}},
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{"cpu": resource.MustParse("100m"), "memory": resource.MustParse("128Mi")}},
		}}},
		Status: corev1.PodStatus{
			Phase: corev1.PodRunning, PodIP: "10.244.1.17", HostIP: "192.168.1.10", StartTime: &benchTime,
			Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue, LastTransitionTime: benchTime}},
			ContainerStatuses: []corev1.ContainerStatus{{
				Name: "app", Ready: true, Image: "registry.example/app:1.0", ImageID: "registry.example/app@sha256:4f0c8d",
				ContainerID: "containerd://4f0c8d", State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: benchTime}},
			}},
		},
	}
}
