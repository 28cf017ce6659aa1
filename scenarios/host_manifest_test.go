package scenarios

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"testing/fstest"
	"time"

	"github.com/kockpit/kockpit/host"
)

const goodManifest = `# a node
files:
  /usr/bin/kubelet: {mode: "0755"}
  /var/lib/kubelet/config.yaml:
    mode: 0600
    owner: 0
    group: 0
    mtime: 2026-12-05T23:41:07Z
    attributes: [immutable]
  /var/lib/kubelet/pki/kubelet.key:
    mode: "0600"
    owner: 1000
    group: 1000
  /var/log/pods:
    mode: "0750"
    attributes:
      - append-only
`

func TestParseHostManifest(t *testing.T) {
	m, err := ParseHostManifest("host.yaml", []byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Files) != 4 {
		t.Fatalf("files %v", m.Files)
	}
	cfg := m.Files["/var/lib/kubelet/config.yaml"]
	if cfg.Mode != 0o600 || !cfg.HasMode || *cfg.Uid != 0 || *cfg.Gid != 0 || !cfg.Immutable || cfg.AppendOnly ||
		!cfg.Mtime.Equal(time.Date(2026, 12, 5, 23, 41, 7, 0, time.UTC)) || cfg.Line != 4 || cfg.Column != 3 {
		t.Errorf("config.yaml: %+v", cfg)
	}
	if k := m.Files["/var/lib/kubelet/pki/kubelet.key"]; *k.Uid != 1000 || k.Immutable || !k.Mtime.IsZero() {
		t.Errorf("kubelet.key: %+v", k)
	}
	if p := m.Files["/var/log/pods"]; !p.AppendOnly || p.Mode != 0o750 {
		t.Errorf("pods: %+v", p)
	}
	if k := m.Files["/usr/bin/kubelet"]; k.Uid != nil || k.Mode != 0o755 {
		t.Errorf("kubelet: %+v", k)
	}
	for _, empty := range []string{"", "# nothing\n", "files:\n"} {
		if m, err := ParseHostManifest("host.yaml", []byte(empty)); err != nil || len(m.Files) != 0 {
			t.Errorf("%q: %v %v", empty, m, err)
		}
	}
}

// TestHostManifestErrorsSayWhere: each mistake is named at its line and column, with the fix.
func TestHostManifestErrorsSayWhere(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"file:\n  /x: {}\n", `host.yaml:1:1: unknown key "file" (fix: a host manifest has one key, files)`},
		{"files:\n  usr/bin/x: {mode: \"0755\"}\n", `host.yaml:2:3: "usr/bin/x" is not a clean absolute node path (fix: the path as on the node, e.g. /var/lib/kubelet/config.yaml)`},
		{"files:\n  /usr/../x: {}\n", `host.yaml:2:3: "/usr/../x" is not a clean absolute node path (fix: the path as on the node, e.g. /var/lib/kubelet/config.yaml)`},
		{"files:\n  /x: {mode: \"0755\"}\n  /x: {mode: \"0644\"}\n", `host.yaml:3:3: YAML: mapping key "/x" already defined at [2:3]`},
		{"files:\n  /x:\n    mode: rwxr-xr-x\n", `host.yaml:3:11: /x: mode "rwxr-xr-x" is not octal permission bits (fix: a quoted octal mode such as "0755")`},
		{"files:\n  /x:\n    mode: \"04755\"\n", `host.yaml:3:11: /x: mode "04755" is not octal permission bits (fix: a quoted octal mode such as "0755")`},
		{"files:\n  /x:\n    owner: root\n", `host.yaml:3:12: /x: owner "root" is not a numeric id (fix: the user's number as on the node, e.g. 0 for root)`},
		{"files:\n  /x:\n    group: -1\n", `host.yaml:3:12: /x: group "-1" is not a numeric id (fix: the group's number as on the node, e.g. 0 for root)`},
		{"files:\n  /x:\n    mtime: yesterday\n", `host.yaml:3:12: /x: mtime "yesterday" is not an RFC 3339 time (fix: e.g. 2026-12-05T23:41:07Z)`},
		{"files:\n  /x:\n    attributes: [immutable, nodump]\n", `host.yaml:3:29: /x: attribute "nodump" is not one kockpit knows (fix: immutable or append-only, as chattr +i and +a set them)`},
		{"files:\n  /x:\n    attributes: immutable\n", `host.yaml:3:17: /x: attributes wants a list (fix: attributes: [immutable] or [append-only])`},
		{"files:\n  /x:\n    chattr: +i\n", `host.yaml:3:5: /x: unknown key "chattr" (fix: the keys are mode, owner, group, mtime, attributes)`},
		{"files:\n  /x:\n    mode: \"0644\"\n    mode: \"0755\"\n", `host.yaml:4:5: YAML: mapping key "mode" already defined at [3:5]`},
		{"files: [a]\n", `host.yaml:1:8: files: want a mapping of node paths to their mode, owner, group, mtime and attributes (fix: /usr/bin/kubelet: {mode: "0755"})`},
		{"- a\n", `host.yaml:1:1: a host manifest is a mapping with one key, files (fix: see the README's scenario format)`},
		{"files: {}\n---\nfiles: {}\n", `host.yaml:2:1: a host manifest is one YAML document (fix: remove the "---" and what follows, or merge it into the first)`},
	} {
		_, err := ParseHostManifest("host.yaml", []byte(tc.yaml))
		var me *ManifestError
		if !errors.As(err, &me) || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.yaml, err, tc.want)
		}
	}
}

func manifestTree() fstest.MapFS {
	return fstest.MapFS{
		"host/usr/bin/kubelet":                    {Data: []byte("\x7fELF")},
		"host/var/lib/kubelet/config.yaml":        {Data: []byte("kind: KubeletConfiguration\n")},
		"host/var/lib/kubelet/pki/kubelet.key":    {Data: []byte("not a key")},
		"host/var/log/pods/.keep":                 {Data: nil},
		"host/etc/kubernetes/manifests/etcd.yaml": {Data: []byte("kind: Pod\n")},
	}
}

// TestUnpackTreeAppliesAndRecords: modes and times are on the files; owners are on them when
// unpacking as root and in the sidecar otherwise; attributes are always in the sidecar; a Root
// reading the tree with its sidecar shows all of them, as on the node.
func TestUnpackTreeAppliesAndRecords(t *testing.T) {
	m, err := ParseHostManifest("host.yaml", []byte(goodManifest))
	if err != nil {
		t.Fatal(err)
	}
	for _, asRoot := range []bool{true, false} {
		if asRoot && os.Geteuid() != 0 {
			t.Log("not root: owners are checked through the sidecar only")
			continue
		}
		name := map[bool]string{true: "as root", false: "unprivileged"}[asRoot]
		t.Run(name, func(t *testing.T) {
			defer func(was func() bool) { chownAllowed = was }(chownAllowed)
			chownAllowed = func() bool { return asRoot }
			u, err := UnpackTree(manifestTree(), "host", m, filepath.Join(t.TempDir(), "node"))
			if err != nil {
				t.Fatal(err)
			}
			cfg := filepath.Join(u.Root, "var/lib/kubelet/config.yaml")
			fi, err := os.Stat(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if fi.Mode().Perm() != 0o600 || !fi.ModTime().Equal(time.Date(2026, 12, 5, 23, 41, 7, 0, time.UTC)) {
				t.Errorf("config.yaml unpacked %v, modified %v", fi.Mode(), fi.ModTime())
			}
			if fi, _ := os.Stat(filepath.Join(u.Root, "var/log/pods")); fi.Mode().Perm() != 0o750 {
				t.Errorf("var/log/pods is %v", fi.Mode())
			}
			if fi, _ := os.Stat(filepath.Join(u.Root, "etc/kubernetes")); fi.Mode().Perm() != 0o755 {
				t.Errorf("an unlisted directory is %v", fi.Mode())
			}
			key := filepath.Join(u.Root, "var/lib/kubelet/pki/kubelet.key")
			st, _ := os.Lstat(key)
			onDisk := st.Sys().(*syscall.Stat_t).Uid
			rec, err := host.ReadRecorded(u.Recorded)
			if err != nil {
				t.Fatal(err)
			}
			recorded := rec.Files["/var/lib/kubelet/pki/kubelet.key"]
			if asRoot && (onDisk != 1000 || recorded.Uid != nil) {
				t.Errorf("as root the owner is applied: uid %d on disk, recorded %+v", onDisk, recorded)
			}
			if !asRoot && (recorded.Uid == nil || *recorded.Uid != 1000 || *recorded.Gid != 1000) {
				t.Errorf("unprivileged the owner is recorded: %+v", recorded)
			}
			if etcd := rec.Files["/etc/kubernetes/manifests/etcd.yaml"]; !asRoot && (etcd.Uid == nil || *etcd.Uid != 0 || *etcd.Gid != 0) {
				t.Errorf("an unlisted file is root's, whoever unpacks it: recorded %+v", etcd)
			}
			if !rec.AttrsComplete || !rec.Files["/var/lib/kubelet/config.yaml"].Immutable || !rec.Files["/var/log/pods"].AppendOnly {
				t.Errorf("attributes not recorded: %+v", rec)
			}

			// Read back as the checks read it: the node's facts, whoever unpacked it.
			r, err := host.Open(u.Root, host.Limits{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			if err := r.UseRecorded(rec); err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			e, err := r.Lstat(ctx, "/var/lib/kubelet/pki/kubelet.key")
			if err != nil || e.Uid != 1000 || e.Gid != 1000 || !e.Attrs.Known || e.Attrs.Immutable {
				t.Errorf("kubelet.key reads %+v, %v", e, err)
			}
			e, err = r.Attributes(ctx, "/var/lib/kubelet/config.yaml")
			if err != nil || !e.Attrs.Immutable || e.Attrs.AppendOnly {
				t.Errorf("config.yaml reads %+v, %v", e, err)
			}
			l, err := r.ReadDir(ctx, "/var/log")
			if err != nil || len(l.Entries) != 1 || !l.Entries[0].Attrs.AppendOnly {
				t.Errorf("listing /var/log: %+v, %v", l, err)
			}
			walked := map[string]host.Entry{}
			if _, err := r.Walk(ctx, "/var/lib", host.WalkOptions{}, func(e host.Entry) error { walked[e.Path] = e; return nil }); err != nil {
				t.Fatal(err)
			}
			if !walked["/var/lib/kubelet/config.yaml"].Attrs.Immutable || walked["/var/lib/kubelet/pki/kubelet.key"].Uid != 1000 {
				t.Errorf("walk: %+v", walked)
			}
			f, err := r.ReadFile(ctx, "/var/lib/kubelet/config.yaml")
			if err != nil || !f.Attrs.Immutable || string(f.Data) != "kind: KubeletConfiguration\n" {
				t.Errorf("read: %+v, %v", f.Entry, err)
			}
		})
	}
}

func TestUnpackTreeRefusesAPathNotInTheTree(t *testing.T) {
	m, err := ParseHostManifest("host.yaml", []byte("files:\n  /usr/bin/kubelet: {mode: \"0755\"}\n  /usr/bin/kubeclt: {mode: \"0755\"}\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = UnpackTree(manifestTree(), "host", m, t.TempDir())
	want := `host.yaml:3:3: /usr/bin/kubeclt is not in the tree beside the manifest (fix: add the file, or correct or remove this entry)`
	if err == nil || err.Error() != want {
		t.Errorf("got %v\nwant %s", err, want)
	}
}

// FuzzParseHostManifest: any input parses or fails with a ManifestError at a line; what
// parses holds only clean absolute paths and permission bits.
func FuzzParseHostManifest(f *testing.F) {
	f.Add(goodManifest)
	f.Add(string(nodeManifest))
	f.Add("files:\n  /x: {mode: \"0755\", attributes: [immutable, append-only]}\n")
	f.Add("files: {/x: {owner: 4294967295}}\n")
	f.Add("files:\n  /x: &a {mode: 1}\n  /y: *a\n")
	f.Add("[[[[[[[[[[[[[[[[[[[[")
	f.Fuzz(func(t *testing.T, data string) {
		m, err := ParseHostManifest("host.yaml", []byte(data))
		if err != nil {
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a ManifestError", err)
			}
			return
		}
		for p, f := range m.Files {
			if p == "/" || p[0] != '/' || filepath.Clean(p) != p || f.Mode > 0o777 || f.Line < 1 {
				t.Fatalf("accepted %q: %+v", p, f)
			}
		}
	})
}
