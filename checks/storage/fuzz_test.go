package storage

import (
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// FuzzMentions: a driver is only found where its name stands whole in the argument.
func FuzzMentions(f *testing.F) {
	for _, s := range [][2]string{
		{"--drivername=csi.example.com", "csi.example.com"},
		{"--endpoint=/var/lib/kubelet/plugins/csi.example.com/csi.sock", "csi.example.com"},
		{"--drivername=csi.example.com2", "csi.example.com"},
		{"csi.example.comcsi.example.com", "csi.example.com"},
		{"", ""}, {"a", "aa"}, {"x=a,a", "a"},
	} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, arg, name string) {
		got := mentions(arg, name)
		if got && !strings.Contains(arg, name) {
			t.Fatalf("mentions(%q, %q) without the name in it", arg, name)
		}
		if name != "" && arg == name && !got {
			t.Fatalf("mentions(%q, %q) = false for the name alone", arg, name)
		}
		if name != "" && !strings.ContainsAny(name, "=/ :,\"'") && !got && mentions("--drivername="+name, name) != true {
			t.Fatalf("--drivername=%q not recognised", name)
		}
	})
}

// FuzzClassifyProvisioningFailure: every message gets a kind and a fix, whatever it holds.
func FuzzClassifyProvisioningFailure(f *testing.F) {
	for _, s := range []string{
		`failed to provision volume with StorageClass "fast": rpc error: code = InvalidArgument desc = invalid volume size`,
		`failed to get secret default/ceph-admin: secrets "ceph-admin" not found`,
		`rpc error: code = DeadlineExceeded desc = context deadline exceeded`,
		"", "\x1b[2J", "QUOTA",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, msg string) {
		k := classifyProvisioningFailure(msg)
		if k.summary == "" || k.fix == "" {
			t.Fatalf("no kind for %q", msg)
		}
	})
}

// FuzzMultiAttach: the volume read from a Multi-Attach message is quoted in it.
func FuzzMultiAttach(f *testing.F) {
	f.Add(`Multi-Attach error for volume "pvc-2d3e4f5a-queue" Volume is already exclusively attached to one node and can't be attached to another`)
	f.Add(`Multi-Attach error for volume "pvc-1" Volume is already used by pod(s) web-1, web-2`)
	f.Add(`Multi-Attach error for volume ""`)
	f.Fuzz(func(t *testing.T, msg string) {
		m := multiAttach.FindStringSubmatch(msg)
		if m != nil && !strings.Contains(msg, `"`+m[1]+`"`) {
			t.Fatalf("volume %q not quoted in %q", m[1], msg)
		}
	})
}

// FuzzResolveSecretTemplate: a resolved name holds no template left (every ${ opens one, and
// values come from a claim without any), and text without a template is kept as written.
func FuzzResolveSecretTemplate(f *testing.F) {
	for _, s := range []string{"${pvc.name}-luks", "${pvc.namespace}", "${pv.name}", "${pvc.annotations['example.com/key']}",
		"plain", "${", "${}", "a${pvc.name", "${pvc.annotations['}", "${pvc.name}${pvc.name}", "$${pvc.name}"} {
		f.Add(s, "node-stage", false)
		f.Add(s, "provisioner", true)
	}
	f.Fuzz(func(t *testing.T, tmpl, role string, namespace bool) {
		c := &corev1.PersistentVolumeClaim{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "claim",
			Annotations: map[string]string{"example.com/key": "from-annotation"}}}
		got, err := resolveSecretTemplate(tmpl, c, namespace, role)
		if err != nil {
			return
		}
		if !hasTemplate(tmpl) && got != tmpl {
			t.Fatalf("%q without a template became %q", tmpl, got)
		}
		if strings.Contains(got, "${") {
			t.Fatalf("%q resolved to %q, a template left", tmpl, got)
		}
	})
}
