package host

import (
	"io/fs"
	"time"
)

// Entry is what kockpit knows of one file without opening it: its stat, as `stat` shows it.
type Entry struct {
	// Path is the node path ("/etc/hosts"), not the path on this machine (see Root.Display).
	Path   string
	Mode   fs.FileMode
	Size   int64
	Blocks int64 // 512-byte blocks allocated: far fewer than Size/512 means a sparse file
	Mtime  time.Time
	Ctime  time.Time
	Uid    uint32
	Gid    uint32
	Dev    uint64 // the file system it is on
	Attrs  Attrs
}

// Name is the last element of the path.
func (e Entry) Name() string {
	for i := len(e.Path) - 1; i >= 0; i-- {
		if e.Path[i] == '/' {
			return e.Path[i+1:]
		}
	}
	return e.Path
}

// IsDir reports whether the entry is a directory.
func (e Entry) IsDir() bool { return e.Mode.IsDir() }

// IsRegular reports whether the entry is a regular file.
func (e Entry) IsRegular() bool { return e.Mode.IsRegular() }

// Attrs are the inode flags `lsattr` shows that matter to Kubernetes.
type Attrs struct {
	// Known is false when the file system does not report them.
	Known bool
	// Immutable: nobody, not even root, may change, rename, delete or link the file (chattr +i).
	Immutable bool
	// AppendOnly: the file may only be appended to (chattr +a).
	AppendOnly bool
}

// File is a file read by ReadFile.
type File struct {
	Entry
	Data []byte
	// Truncated is true when the file is larger than Limits.MaxFileBytes and Data holds only
	// its start.
	Truncated bool
}

// Usage is a file system's use, as `df` and `df -i` show it.
type Usage struct {
	// Used and Avail are bytes in use and available to unprivileged users; the blocks
	// reserved for root count in neither, as in df.
	Used, Avail uint64
	// InodesUsed and InodesFree count inodes (zero on file systems without a fixed number).
	InodesUsed, InodesFree uint64
	// Dev is the device of the file system, so callers see when two paths share one.
	Dev uint64
}

// BytesPercent is the percentage of space in use, as df computes it: used / (used + avail).
func (u Usage) BytesPercent() float64 { return percent(u.Used, u.Avail) }

// InodesPercent is the percentage of inodes in use.
func (u Usage) InodesPercent() float64 { return percent(u.InodesUsed, u.InodesFree) }

func percent(used, avail uint64) float64 {
	if used+avail == 0 {
		return 0
	}
	return 100 * float64(used) / float64(used+avail)
}

// Listing is a directory's entries, sorted by name.
type Listing struct {
	// Entries are the directory's entries in byte order of their names; when Truncated, the
	// first of them (Limits.MaxDirEntries, or as many as were read within Limits.MaxDirTime).
	Entries []Entry
	// Truncated is true when the directory holds more (matching) entries than Entries: a name
	// missing from Entries may still be there.
	Truncated bool
	// Total is how many (matching) names the directory holds: exact when AllNames, a lower
	// bound otherwise.
	Total int
	// AllNames is true when every name of the directory was read (fewer than
	// Limits.MaxDirNames), so Entries are the directory's lexically first entries, not the
	// first of those read.
	AllNames bool
	// TimedOut is true when the entries were not all statted within Limits.MaxDirTime.
	TimedOut bool
}

// More is how many (matching) entries of the directory Entries leave out, as far as known:
// a lower bound unless AllNames.
func (l Listing) More() int {
	if !l.Truncated {
		return 0
	}
	return max(l.Total-len(l.Entries), 1)
}
