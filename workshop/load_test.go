package workshop

import (
	"context"
	"errors"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/kockpit/kockpit/checks"
	"github.com/kockpit/kockpit/kube"
)

var known = map[string]bool{"dns.policy": true, "network.policies": true}

const goodLesson = `title: The shop cannot resolve names
level: beginner
category: DNS
minutes: 10
story: the pager says lookup fails
goal: Find why names do not resolve.
hints:
  - Look at the pod template.
cause:
  check: dns.policy
  object: {kind: Deployment, namespace: shop, name: shop}
explanation: dnsPolicy Default is the node's resolver.
fix:
  - kubectl -n shop rollout restart deployment shop
decoys:
  - check: network.policies
    object: {kind: NetworkPolicy, namespace: shop, name: allow-frontend}
    why: A policy blocks connections, not lookups.
`

const clusterYAML = "apiVersion: v1\nkind: Namespace\nmetadata: {name: shop}\n"

func scenarioFS(lesson string, extra map[string]string) fstest.MapFS {
	fsys := fstest.MapFS{
		"s/one/scenario.yaml":      {Data: []byte(lesson)},
		"s/one/cluster/shop.yaml":  {Data: []byte(clusterYAML)},
		"bases/kubeadm/nodes.yaml": {Data: []byte("apiVersion: v1\nkind: Node\nmetadata: {name: cp1}\n")},
	}
	for k, v := range extra {
		fsys[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return fsys
}

func load(t *testing.T, fsys fstest.MapFS) (*Scenario, Problems) {
	t.Helper()
	s, err := Load(context.Background(), Library{Known: known, Bases: subFS(fsys, "bases")}, fsys, "s/one", "class/one")
	if err == nil {
		return s, nil
	}
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("Load: %v is not Problems", err)
	}
	return nil, ps
}

func subFS(fsys fstest.MapFS, dir string) fstest.MapFS {
	out := fstest.MapFS{}
	for k, v := range fsys {
		if rest, ok := strings.CutPrefix(k, dir+"/"); ok {
			out[rest] = v
		}
	}
	return out
}

func TestLoadGoodScenario(t *testing.T) {
	s, ps := load(t, scenarioFS(goodLesson, nil))
	if ps != nil {
		t.Fatalf("problems: %v", ps)
	}
	if s.Name != "one" || s.Level != "beginner" || len(s.Hints) != 1 || s.Cause.Object.Name != "shop" || len(s.Decoys) != 1 {
		t.Fatalf("decoded %+v", s)
	}
	snap, err := s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if snap.Source() != "scenario one" {
		t.Errorf("source %q", snap.Source())
	}
	// removes takes a base object out.
	s, ps = load(t, scenarioFS(goodLesson+"base: kubeadm\nremoves: [{kind: Node, name: cp1}]\n", nil))
	if ps != nil {
		t.Fatal(ps)
	}
	snap, err = s.Snapshot(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if nodes, err := snap.List(context.Background(), kube.Nodes); err != nil || len(nodes) != 0 {
		t.Errorf("the removed node is still listed: %d %v", len(nodes), err)
	}
}

// TestLoadProblems: each bad scenario is refused with the file, the line and column of the
// value to blame, and a fix.
func TestLoadProblems(t *testing.T) {
	cases := []struct {
		name   string
		lesson string
		extra  map[string]string
		want   string // a problem line starts with this
	}{
		{"bad level", strings.Replace(goodLesson, "level: beginner", "level: expertt", 1), nil,
			`class/one/scenario.yaml:2:8: level: "expertt" is not a level (fix: one of beginner, intermediate, expert)`},
		{"unknown key", goodLesson + "answer: dns.policy\n", nil, "class/one/scenario.yaml:19:1: unknown field \"answer\""},
		{"unknown check", strings.Replace(goodLesson, "check: dns.policy", "check: dns.polcy", 1), nil,
			`class/one/scenario.yaml:10:10: cause.check: no check "dns.polcy" (fix: an ID from kockpit checks)`},
		{"both object and file", strings.Replace(goodLesson, "  object: {kind: Deployment, namespace: shop, name: shop}", "  object: {kind: Deployment, namespace: shop, name: shop}\n  file: /etc/x", 1), nil,
			"class/one/scenario.yaml:12:9: cause: give object (kind, namespace, name) or file (a node path), not both"},
		{"no object, file or problem", strings.Replace(goodLesson, "  object: {kind: Deployment, namespace: shop, name: shop}\n", "", 1), nil,
			"class/one/scenario.yaml:10:8: cause: give object (kind, namespace, name), file (a node path) or problem"},
		{"bad problem", strings.Replace(goodLesson, "  object: {kind: Deployment, namespace: shop, name: shop}", "  problem: No Default Class", 1), nil,
			`class/one/scenario.yaml:11:12: cause.problem: "No Default Class" is not a kind of problem (fix: the last part of the finding's ID`},
		{"no decoys", goodLesson[:strings.Index(goodLesson, "decoys:")], nil, "class/one/scenario.yaml:1:6: decoys: none"},
		{"decoy without why", strings.Replace(goodLesson, "    why: A policy blocks connections, not lookups.\n", "", 1), nil,
			"class/one/scenario.yaml:16:10: decoys[0].why: missing"},
		{"wrong type", strings.Replace(goodLesson, "minutes: 10", "minutes: ten", 1), nil, "class/one/scenario.yaml:4:"},
		{"syntax", strings.Replace(goodLesson, "goal: Find", "goal: [Find", 1), nil, "class/one/scenario.yaml:"},
		{"base unknown", goodLesson + "base: kubeadmm\n", nil, `class/one/scenario.yaml:19:7: base: no base cluster "kubeadmm" (fix: one of kubeadm`},
		{"bad cluster object", goodLesson, map[string]string{"s/one/cluster/shop.yaml": "apiVersion: v1\nkind: Pod\nmetadata: {name: [x]}\n"}, "class/one/cluster: class/one/cluster/shop.yaml:3"},
		{"two recordings", goodLesson, map[string]string{"s/one/flows/a.jsonpb": "", "s/one/flows/b.jsonpb": ""}, "class/one/flows: 2 recordings"},
		{"removes what the base lacks", goodLesson + "base: kubeadm\nremoves: [{kind: Node, name: worker9}]\n", nil, "class/one/cluster: cannot remove Node worker9: it is not in scenario one"},
		{"deep", "a: " + strings.Repeat("[", 40), nil, "class/one/scenario.yaml:1:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, ps := load(t, scenarioFS(c.lesson, c.extra))
			if ps == nil {
				t.Fatal("loaded")
			}
			for _, p := range ps {
				if strings.HasPrefix(p.String(), c.want) {
					return
				}
			}
			t.Errorf("no problem starts with %q:\n%v", c.want, ps)
		})
	}
}

func TestLoadReservedAndBadNames(t *testing.T) {
	for _, name := range []string{"validate", "Bad_Name", "-x"} {
		fsys := fstest.MapFS{
			"s/" + name + "/scenario.yaml":     {Data: []byte(goodLesson)},
			"s/" + name + "/cluster/shop.yaml": {Data: []byte(clusterYAML)},
		}
		_, err := Load(context.Background(), Library{Known: known, Bases: fstest.MapFS{}}, fsys, "s/"+name, name)
		if err == nil || !strings.Contains(err.Error(), "cannot name a scenario") {
			t.Errorf("%q: %v", name, err)
		}
	}
}

func TestCatalogDuplicateNames(t *testing.T) {
	a := fstest.MapFS{"one/scenario.yaml": {Data: []byte(goodLesson)}, "one/cluster/shop.yaml": {Data: []byte(clusterYAML)}}
	_, err := Catalog(context.Background(), Library{Known: known, Bases: fstest.MapFS{}},
		[]Source{{FS: a, Root: ".", Display: "embedded"}, {FS: a, Root: ".", Display: "class"}})
	if err == nil || !strings.Contains(err.Error(), `class/one: a scenario named "one" is also in embedded/one`) {
		t.Fatalf("got %v", err)
	}
}

func TestJudge(t *testing.T) {
	s, ps := load(t, scenarioFS(goodLesson, nil))
	if ps != nil {
		t.Fatal(ps)
	}
	cause := checks.Finding{Object: &checks.ObjectRef{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "shop", Name: "shop"}}
	decoy := checks.Finding{Object: &checks.ObjectRef{Kind: "NetworkPolicy", Namespace: "shop", Name: "allow-frontend"}}
	other := checks.Finding{Object: &checks.ObjectRef{Kind: "Deployment", Namespace: "shop", Name: "cart"}}
	if v := s.Judge("dns.policy", cause); !v.Right || !strings.Contains(v.Text, "node's resolver") {
		t.Errorf("cause: %+v", v)
	}
	if v := s.Judge("network.policies", cause); v.Right {
		t.Errorf("the right object from another check is not the answer: %+v", v)
	}
	if v := s.Judge("network.policies", decoy); v.Right || !v.Decoy || !strings.Contains(v.Text, "not lookups") {
		t.Errorf("decoy: %+v", v)
	}
	if v := s.Judge("dns.policy", other); v.Right || v.Decoy || !strings.Contains(v.Text, "Find why names do not resolve.") {
		t.Errorf("other: %+v", v)
	}
	if got := s.Points(0); got != MaxPoints {
		t.Errorf("no hints: %d", got)
	}
	if got := s.Points(3); got != MaxPoints-3*DefaultHintCost {
		t.Errorf("3 hints: %d", got)
	}
	if got := s.Points(50); got != MaxPoints/10 {
		t.Errorf("many hints: %d, want the floor", got)
	}
}

// A target by check and problem names a finding about no object, or one of a check's findings
// about one object; "-2" is the second of one result with the same ID.
func TestJudgeByProblem(t *testing.T) {
	lesson := strings.Replace(goodLesson, "  check: dns.policy\n  object: {kind: Deployment, namespace: shop, name: shop}",
		"  check: dns.policy\n  problem: no-default-class", 1)
	lesson = strings.Replace(lesson, "    object: {kind: NetworkPolicy, namespace: shop, name: allow-frontend}",
		"    object: {kind: NetworkPolicy, namespace: shop, name: allow-frontend}\n    problem: blocks-dns", 1)
	s, ps := load(t, scenarioFS(lesson, nil))
	if ps != nil {
		t.Fatal(ps)
	}
	policy := &checks.ObjectRef{Kind: "NetworkPolicy", Namespace: "shop", Name: "allow-frontend"}
	for _, c := range []struct {
		check string
		f     checks.Finding
		right bool
		decoy bool
	}{
		{"dns.policy", checks.Finding{ID: "dns.policy/no-default-class"}, true, false},
		{"dns.policy", checks.Finding{ID: "dns.policy/no-default-class-2"}, true, false},
		{"dns.policy", checks.Finding{ID: "dns.policy/no-default-class-x"}, false, false},
		{"dns.policy", checks.Finding{ID: "dns.policy/several-default-classes"}, false, false},
		{"network.policies", checks.Finding{ID: "dns.policy/no-default-class"}, false, false},
		{"network.policies", checks.Finding{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/allow-frontend/blocks-dns", Object: policy}, false, true},
		{"network.policies", checks.Finding{ID: "network.policies/NetworkPolicy.networking.k8s.io/shop/allow-frontend/style", Object: policy}, false, false},
		{"network.policies", checks.Finding{ID: "network.policies/blocks-dns"}, false, false}, // no object
	} {
		if v := s.Judge(c.check, c.f); v.Right != c.right || v.Decoy != c.decoy {
			t.Errorf("%s %s: %+v, want right %v, decoy %v", c.check, c.f.ID, v, c.right, c.decoy)
		}
	}
	if got := s.Cause.String(); got != "dns.policy: no-default-class" {
		t.Errorf("cause named %q", got)
	}
}

// FuzzLoad: no scenario.yaml makes Load panic, hang or accept a scenario without its required
// fields.
func FuzzLoad(f *testing.F) {
	f.Add(goodLesson)
	f.Add("title: x\nlevel: [")
	f.Add("decoys: [{check: a, object: {kind: A, name: b}, why: c}]")
	f.Add("a: &x [*x, *x]")
	f.Add(strings.Replace(goodLesson, "  object: {kind: Deployment, namespace: shop, name: shop}", "  problem: no-default-class", 1))
	f.Fuzz(func(t *testing.T, lesson string) {
		s, ps := load(t, scenarioFS(lesson, nil))
		if ps != nil {
			for _, p := range ps {
				if p.Path == "" || p.Msg == "" {
					t.Fatalf("a problem without a place or a message: %+v", p)
				}
			}
			return
		}
		if s.Title == "" || len(s.Decoys) == 0 || !known[s.Cause.Check] {
			t.Fatalf("accepted an incomplete scenario: %+v", s)
		}
	})
}

// TestLoadHostManifestProblems: a mistake in host.yaml is named at its line with the fix, and a
// scenario still carrying host.modes is told how to move to host.yaml.
func TestLoadHostManifestProblems(t *testing.T) {
	for _, tc := range []struct {
		extra map[string]string
		want  string
	}{
		{map[string]string{
			"s/one/host/usr/bin/kubelet": "x",
			"s/one/host.yaml":            "files:\n  /usr/bin/kubelet: {mode: \"0755\"}\n  /usr/bin/kubectl: {attributes: [immutable]}\n",
		}, "class/one/host.yaml:3:3: /usr/bin/kubectl is not in the tree beside the manifest (fix: add the file, or correct or remove this entry)"},
		{map[string]string{
			"s/one/host/usr/bin/kubelet": "x",
			"s/one/host.yaml":            "files:\n  /usr/bin/kubelet: {mode: 999}\n",
		}, `class/one/host.yaml:2:28: /usr/bin/kubelet: mode "999" is not octal permission bits (fix: a quoted octal mode such as "0755")`},
		{map[string]string{
			"s/one/host/usr/bin/kubelet": "x",
			"s/one/host.modes":           "0755 usr/bin/kubelet\n",
		}, `class/one/host.modes: host.modes is no longer read: the modes, owners, times and attributes of host/'s files go in host.yaml (fix: for each "MODE PATH" line write "  /PATH: {mode: \"MODE\"}" under "files:" in host.yaml, and remove host.modes)`},
	} {
		_, ps := load(t, scenarioFS(goodLesson, tc.extra))
		if len(ps) != 1 || ps[0].String() != tc.want {
			t.Errorf("got %v\nwant %s", ps, tc.want)
		}
	}
}
