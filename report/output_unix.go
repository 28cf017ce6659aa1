//go:build unix

package report

import (
	"fmt"
	"os"
	"slices"
	"syscall"

	"golang.org/x/sys/unix"
)

// links is how many hard links a file has.
func links(fi os.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Nlink)
	}
	return 1
}

// owner is a file's uid and gid.
func owner(fi os.FileInfo) (uid, gid int, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, false
	}
	return int(st.Uid), int(st.Gid), true
}

// canKeepOwner says why a file that replaces fi could not have fi's owner and group: root
// may give it any, another user only their own uid and one of their groups.
func canKeepOwner(fi os.FileInfo) error {
	uid, gid, ok := owner(fi)
	if !ok {
		return nil
	}
	groups, _ := os.Getgroups()
	return ownerProblem(uid, gid, os.Geteuid(), os.Getegid(), groups)
}

// ownerProblem is canKeepOwner for a file of uid:gid and a process of euid:egid in groups.
func ownerProblem(uid, gid, euid, egid int, groups []int) error {
	switch {
	case euid == 0:
		return nil
	case uid != euid:
		return fmt.Errorf("belongs to uid %d; replacing it would make it yours (run as its owner or as root, or name another file)", uid)
	case gid != egid && !slices.Contains(groups, gid):
		return fmt.Errorf("is in group %d, which is not one of yours; replacing it would change its group (name another file)", gid)
	}
	return nil
}

// keepOwner gives f the owner and group of the file it replaces.
func keepOwner(f *os.File, old os.FileInfo) error {
	uid, gid, ok := owner(old)
	if !ok {
		return nil
	}
	return f.Chown(uid, gid)
}

// ownedByUsOr says whether fi belongs to this process's user or to the owner of its directory,
// the files the kernel lets a process follow or open for writing in a shared sticky directory.
func ownedByUsOr(fi, dir os.FileInfo) bool {
	uid, _, ok := owner(fi)
	dirUID, _, dirOK := owner(dir)
	return !ok || !dirOK || uid == os.Geteuid() || uid == dirUID
}

// dirWritable says why this process could not create or rename files in dir (permissions,
// a read-only file system), or nil. access(2) judges by the real uid, which is kockpit's own:
// it is never installed set-uid.
func dirWritable(dir string) error {
	if err := unix.Access(dir, unix.W_OK|unix.X_OK); err != nil {
		return &os.PathError{Op: "access", Path: dir, Err: err}
	}
	return nil
}
