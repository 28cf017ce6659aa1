// Command bench measures kockpit against a real API server seeded with many nodes and pods,
// and prints one line: the report's wall time, the floor (the bare LISTs the report needed,
// made the same way, concurrently), their ratio, and kockpit's peak RSS. Then it writes a
// snapshot of as many nodes and 150,000 pods as YAML and JSON and prints a line for the report
// on each: wall time, MB/s, peak RSS. `make bench` runs it.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"

	"github.com/kockpit/kockpit/kube"
	"github.com/kockpit/kockpit/kube/testcluster"
)

func main() {
	binary := flag.String("kockpit", "bin/kockpit", "the kockpit binary to measure")
	nodes := flag.Int("nodes", 1000, "nodes to seed")
	pods := flag.Int("pods", 20000, "pods to seed")
	volumes := flag.Int("volumes", 20000, "claims to seed, each with its bound volume and VolumeAttachment")
	runs := flag.Int("runs", 3, "measured runs; the best of each is reported")
	snapshotPods := flag.Int("snapshot-pods", 150000, "pods in the generated snapshot files; 0 leaves them out")
	live := flag.Bool("live", true, "seed the test API server and measure the live report")
	snapshotDir := flag.String("snapshot-dir", "", "write the snapshot files here and keep them (reused when there); default a temporary directory")
	flag.StringVar(&compareSkip, "compare-skip", "", "also measure the report with --skip this, on the same seeded cluster (e.g. 'workloads.*')")
	flag.Parse()
	if *live {
		if err := bench(*binary, *nodes, *pods, *volumes, *runs); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
	if *snapshotPods > 0 {
		if err := benchSnapshots(*binary, *snapshotDir, *nodes, *snapshotPods); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
	}
}

// compareSkip is the --skip of a second measurement: what the skipped checks cost.
var compareSkip string

func bench(binary string, nodes, pods, volumes, runs int) error {
	c, err := testcluster.Start(testcluster.Options{})
	if err != nil {
		return err
	}
	defer c.Stop()
	cfg := rest.CopyConfig(c.AdminConfig)
	cfg.QPS, cfg.Burst = 1000, 2000
	cfg.ContentType = "application/vnd.kubernetes.protobuf"
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	seedStart := time.Now()
	if err := seed(context.Background(), cs, nodes, pods); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: seeded %d nodes and %d pods in %s\n", nodes, pods, time.Since(seedStart).Round(time.Second))
	seedStart = time.Now()
	if err := seedStorage(context.Background(), cs, nodes, volumes); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "bench: seeded %d claims, volumes and attachments in %s\n", volumes, time.Since(seedStart).Round(time.Second))
	what := fmt.Sprintf("%d nodes, %d pods, %d PVCs, PVs and VolumeAttachments", nodes, pods, volumes)
	if err := measure(binary, c, what, runs); err != nil {
		return err
	}
	// The storage checks alone, against the LISTs they need.
	if err := measure(binary, c, what+", storage checks", runs, "--only", "storage."); err != nil {
		return err
	}
	if compareSkip == "" {
		return nil
	}
	return measure(binary, c, what+", --skip "+compareSkip, runs, "--skip", compareSkip)
}

// measure runs the report (the best of runs, after one that warms the server's caches) and the
// floor of its LISTs, and prints one line.
func measure(binary string, c *testcluster.Cluster, what string, runs int, args ...string) error {
	var bestReport, bestFloor time.Duration
	var peakRSS int64
	var lists []string
	for i := 0; i < runs+1; i++ { // the first run warms the server's caches and is not counted
		wall, rss, resources, err := runReport(binary, c.AdminKubeconfig, args...)
		if err != nil {
			return err
		}
		lists = resources
		floor, err := listFloor(c, resources)
		if err != nil {
			return err
		}
		if i == 0 {
			continue
		}
		if bestReport == 0 || wall < bestReport {
			bestReport = wall
		}
		if bestFloor == 0 || floor < bestFloor {
			bestFloor = floor
		}
		peakRSS = max(peakRSS, rss)
	}
	fmt.Printf("bench: %s, %d kinds listed: report %s, LIST floor %s, ratio %.2f, peak RSS %d MiB\n",
		what, len(lists), bestReport.Round(time.Millisecond), bestFloor.Round(time.Millisecond),
		float64(bestReport)/float64(bestFloor), peakRSS/1024)
	return nil
}

// runReport runs kockpit --report --format json and returns its wall time, peak RSS (KiB) and
// the resources it listed.
func runReport(binary, kubeconfig string, args ...string) (time.Duration, int64, []string, error) {
	var out, errOut bytes.Buffer
	cmd := exec.Command(binary, append([]string{"--report", "--format", "json", "--kubeconfig", kubeconfig, "--fail-on", "never"}, args...)...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	start := time.Now()
	if err := cmd.Run(); err != nil {
		return 0, 0, nil, fmt.Errorf("kockpit: %v: %s", err, errOut.String())
	}
	wall := time.Since(start)
	rss := cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss
	var doc struct {
		Checks []struct {
			ID         string `json:"id"`
			DurationMs int64  `json:"durationMs"`
		} `json:"checks"`
		Lists []struct {
			Resource string `json:"resource"`
			Error    string `json:"error"`
		} `json:"lists"`
	}
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		return 0, 0, nil, fmt.Errorf("reading kockpit's JSON: %w", err)
	}
	for _, c := range doc.Checks {
		if strings.HasPrefix(c.ID, "workloads.") {
			fmt.Fprintf(os.Stderr, "bench: %s %dms\n", c.ID, c.DurationMs)
		}
	}
	var resources []string
	for _, l := range doc.Lists {
		if l.Error == kube.ErrNotInstalled.Error() {
			continue // a CRD kind (Cilium's, Calico's policies) the seeded cluster does not serve
		}
		if l.Error != "" {
			return 0, 0, nil, fmt.Errorf("kockpit's LIST of %s failed: %s", l.Resource, l.Error)
		}
		resources = append(resources, l.Resource)
	}
	return wall, rss, resources, nil
}

// listFloor makes the same LISTs kockpit made, concurrently, through kockpit's own snapshot
// code with nothing else around it: the least a report could cost.
func listFloor(c *testcluster.Cluster, resources []string) (time.Duration, error) {
	cluster, err := kube.NewCluster(c.AdminConfig, "bench")
	if err != nil {
		return 0, err
	}
	byName := map[string]kube.Resource{}
	for _, r := range kube.KnownResources {
		byName[r.String()] = r
	}
	ctx := context.Background()
	snap := kube.NewLiveSnapshot(ctx, cluster)
	start := time.Now()
	var wg sync.WaitGroup
	errs := make(chan error, len(resources))
	for _, name := range resources {
		r, ok := byName[name]
		if !ok {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := snap.List(ctx, r); err != nil {
				errs <- err
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

// seed creates the nodes (with kubelet versions in their status) and the pods, 5% of them
// failing to pull their image, with many requests in flight.
func seed(ctx context.Context, cs kubernetes.Interface, nodes, pods int) error {
	const namespaces = 50
	for i := range namespaces {
		ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("bench-%02d", i)}}
		if _, err := cs.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil {
			return fmt.Errorf("creating namespace: %w", err)
		}
	}
	return parallel(nodes+pods, 32, func(i int) error {
		if i < nodes {
			return seedNode(ctx, cs, fmt.Sprintf("node-%05d", i))
		}
		i -= nodes
		pod := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("pod-%06d", i), Namespace: fmt.Sprintf("bench-%02d", i%namespaces),
				Labels: map[string]string{"app": fmt.Sprintf("app-%d", i%200)}},
			Spec: corev1.PodSpec{NodeName: fmt.Sprintf("node-%05d", i%max(nodes, 1)), Containers: []corev1.Container{{
				Name: "app", Image: "registry.example/app:1.0", Ports: []corev1.ContainerPort{{Name: "http", ContainerPort: 8080}},
			}}},
		}
		if i%failingEvery == 0 {
			return seedFailingPod(ctx, cs, pod, i)
		}
		if i%pendingEvery == 1 {
			return seedPendingPod(ctx, cs, pod)
		}
		_, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
		return err
	})
}

// failingEvery makes one pod in 20 (5%) unable to pull its image, for runtime.pods to group.
const failingEvery = 20

// pendingEvery leaves one pod in 97 (1%) Pending, owned by a ReplicaSet of Deployment "stuck"
// in its namespace (97 and 50 share no factor: every namespace has some) and asking for a label
// no node has: workloads.scheduling computes its "why not here" table over every node once per
// namespace's group.
const pendingEvery = 97

func seedPendingPod(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod) error {
	pod.Spec.NodeName = ""
	pod.Spec.NodeSelector = map[string]string{"disktype": "ssd"}
	pod.Labels["pod-template-hash"] = "7d9f8c6b5"
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet", Name: "stuck-7d9f8c6b5",
		UID: "00000000-0000-0000-0000-000000000001", Controller: ptrTo(true)}}
	created, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status.Phase = corev1.PodPending
	created.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: "0/1000 nodes are available: 1000 node(s) didn't match Pod's node affinity/selector."}}
	_, err = cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

func ptrTo[T any](v T) *T { return &v }

// seedFailingPod creates a pod of one of a few Deployments (by its ReplicaSet owner reference:
// the test server runs no garbage collector) in ImagePullBackOff; every other one keeps the
// kubelet's Failed event, the rest only their status, as after the events expired.
func seedFailingPod(ctx context.Context, cs kubernetes.Interface, pod *corev1.Pod, i int) error {
	deployment := fmt.Sprintf("shop-%d", i%7)
	hash := "5d7f8b9c6d"
	pod.Labels["pod-template-hash"] = hash
	pod.OwnerReferences = []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "ReplicaSet",
		Name: deployment + "-" + hash, UID: "00000000-0000-0000-0000-000000000001", Controller: ptr(true)}}
	pod.Spec.Containers[0].Image = "registry.exampel/app:1.0"
	created, err := cs.CoreV1().Pods(pod.Namespace).Create(ctx, pod, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	pullErr := `failed to pull and unpack image "registry.exampel/app:1.0": dial tcp: lookup registry.exampel on 10.0.0.2:53: no such host`
	created.Status.Phase = corev1.PodPending
	created.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "app", Image: "registry.exampel/app:1.0",
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ImagePullBackOff",
			Message: `Back-off pulling image "registry.exampel/app:1.0": ErrImagePull: ` + pullErr}}}}
	if _, err := cs.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, created, metav1.UpdateOptions{}); err != nil {
		return err
	}
	if i%(2*failingEvery) != 0 {
		return nil
	}
	now := metav1.Now()
	ev := &corev1.Event{ObjectMeta: metav1.ObjectMeta{Name: pod.Name + ".pull", Namespace: pod.Namespace},
		InvolvedObject: corev1.ObjectReference{APIVersion: "v1", Kind: "Pod", Namespace: pod.Namespace, Name: pod.Name},
		Reason:         "Failed", Type: corev1.EventTypeWarning, Count: 5, FirstTimestamp: now, LastTimestamp: now,
		Message: `Failed to pull image "registry.exampel/app:1.0": ` + pullErr, Source: corev1.EventSource{Component: "kubelet"}}
	_, err = cs.CoreV1().Events(pod.Namespace).Create(ctx, ev, metav1.CreateOptions{})
	return err
}

func ptr[T any](v T) *T { return &v }

func seedNode(ctx context.Context, cs kubernetes.Interface, name string) error {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{"kubernetes.io/hostname": name}}}
	created, err := cs.CoreV1().Nodes().Create(ctx, n, metav1.CreateOptions{})
	if err != nil {
		return err
	}
	created.Status = corev1.NodeStatus{
		Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, Reason: "KubeletReady"}},
		NodeInfo:   corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", ContainerRuntimeVersion: "containerd://2.1.4"},
	}
	_, err = cs.CoreV1().Nodes().UpdateStatus(ctx, created, metav1.UpdateOptions{})
	return err
}

// parallel runs fn(0..n-1) on workers goroutines and returns the first error.
func parallel(n, workers int, fn func(int) error) error {
	next := make(chan int)
	errs := make(chan error, workers)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				if err := fn(i); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	var err error
loop:
	for i := range n {
		select {
		case next <- i:
		case err = <-errs:
			break loop
		}
	}
	close(next)
	wg.Wait()
	if err == nil {
		select {
		case err = <-errs:
		default:
		}
	}
	return err
}
