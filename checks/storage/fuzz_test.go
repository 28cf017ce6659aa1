package storage

import (
	"strings"
	"testing"
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
