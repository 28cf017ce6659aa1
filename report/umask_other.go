//go:build !unix

package report

import "os"

func umask() os.FileMode { return 0o022 }
