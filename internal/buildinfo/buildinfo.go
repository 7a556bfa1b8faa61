// Package buildinfo reports berth's version and the commit it was built from.
package buildinfo

import (
	"runtime/debug"
	"sync"
)

// Version is berth's release version. Release builds set it with
// -ldflags "-X github.com/berthml/berth/internal/buildinfo.Version=v1.2.3".
var Version = "0.1.0-dev"

var (
	once     sync.Once
	revision string
)

// Revision returns the VCS revision the binary was built from, or "".
func Revision() string {
	once.Do(func() {
		info, ok := debug.ReadBuildInfo()
		if !ok {
			return
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" {
				revision = s.Value
			}
		}
	})
	return revision
}
