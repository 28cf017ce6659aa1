package host

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"strings"
	"syscall"
)

// maxSymlinks is how many links one path may pass through, as Linux allows (ELOOP after 40).
const maxSymlinks = 40

// Resolve returns the node path p names once every symbolic link is followed as the node
// would: "/usr/bin/iptables" may resolve to "/usr/sbin/xtables-nft-multi". Links never lead
// out of the root: an absolute target starts again at the root, ".." stops at it.
func (r *Root) Resolve(ctx context.Context, p string) (string, error) {
	rel, err := guard(ctx, r, p, func() (string, error) { return r.resolve(p, true) })
	if err != nil {
		return "", err
	}
	return "/" + strings.TrimPrefix(rel, "."), nil
}

// resolve turns the node path p into a path relative to the root without symbolic links
// (but for the last component when followLast is false), "." for the root itself.
func (r *Root) resolve(p string, followLast bool) (string, error) {
	rest := strings.Split(strings.TrimPrefix(clean(p), "/"), "/")
	var done []string
	links := 0
	for len(rest) > 0 {
		c := rest[0]
		rest = rest[1:]
		switch c {
		case "", ".":
			continue
		case "..":
			if len(done) > 0 {
				done = done[:len(done)-1]
			}
			continue
		}
		cand := path.Join(append(done, c)...)
		if len(rest) == 0 && !followLast {
			done = append(done, c)
			break
		}
		fi, err := r.root.Lstat(cand)
		if err != nil {
			return "", pathError("lstat", "/"+cand, err)
		}
		if fi.Mode()&fs.ModeSymlink == 0 {
			if len(rest) > 0 && !fi.IsDir() {
				return "", &fs.PathError{Op: "resolve", Path: "/" + cand, Err: syscall.ENOTDIR}
			}
			done = append(done, c)
			continue
		}
		if links++; links > maxSymlinks {
			return "", &fs.PathError{Op: "resolve", Path: clean(p), Err: syscall.ELOOP}
		}
		target, err := r.root.Readlink(cand)
		if err != nil {
			return "", pathError("readlink", "/"+cand, err)
		}
		if path.IsAbs(target) {
			done = done[:0]
		}
		rest = append(strings.Split(target, "/"), rest...)
	}
	if len(done) == 0 {
		return ".", nil
	}
	return strings.Join(done, "/"), nil
}

// pathError names the node path in an error from os.Root, whose own message names the path
// relative to the root.
func pathError(op, nodePath string, err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &fs.PathError{Op: op, Path: nodePath, Err: err}
}
