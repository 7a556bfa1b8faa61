package pack

import (
	"archive/tar"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Normalised modes of the entries in a layer.
const (
	modeFile = 0o644
	modeExec = 0o755
	modeDir  = 0o755
	modeTmp  = 0o1777
)

// entry is one file, directory or symbolic link of a layer. Its content is
// data, or the file src of size bytes on the build host.
type entry struct {
	name     string // path in the image, without a leading slash
	typ      byte   // tar.TypeReg, tar.TypeDir or tar.TypeSymlink
	mode     int64
	linkname string
	data     []byte
	src      string
	size     int64
}

// tree is a set of entries keyed by path: the contents of one layer.
type tree struct {
	entries map[string]*entry
}

func newTree() *tree { return &tree{entries: map[string]*entry{}} }

func clean(p string) string { return strings.TrimPrefix(path.Clean("/"+p), "/") }

// dir adds the directory p and its parents.
func (t *tree) dir(p string, mode int64) error {
	p = clean(p)
	if p == "" {
		return nil
	}
	if err := t.dir(path.Dir(p), modeDir); err != nil {
		return err
	}
	if e, ok := t.entries[p]; ok {
		if e.typ != tar.TypeDir {
			return fmt.Errorf("adding directory /%s: it is already a file or link in the layer", p)
		}
		if mode != modeDir {
			e.mode = mode
		}
		return nil
	}
	t.entries[p] = &entry{name: p, typ: tar.TypeDir, mode: mode}
	return nil
}

func (t *tree) add(e *entry) error {
	e.name = clean(e.name)
	if err := t.dir(path.Dir(e.name), modeDir); err != nil {
		return err
	}
	if old, ok := t.entries[e.name]; ok {
		if old.typ == e.typ && old.linkname == e.linkname && old.src == e.src && string(old.data) == string(e.data) {
			return nil
		}
		return fmt.Errorf("adding /%s: the layer already has another entry there", e.name)
	}
	t.entries[e.name] = e
	return nil
}

// bytes adds a file with the given content.
func (t *tree) bytes(p string, mode int64, data []byte) error {
	return t.add(&entry{name: p, typ: tar.TypeReg, mode: mode, data: data, size: int64(len(data))})
}

// file adds the host file src at p; its mode is 0755 when src is executable
// by its owner, else 0644.
func (t *tree) file(p, src string) error {
	fi, err := os.Stat(src)
	if err != nil {
		return fmt.Errorf("adding %s: %w", src, err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("adding %s: not a regular file", src)
	}
	mode := int64(modeFile)
	if fi.Mode()&0o100 != 0 {
		mode = modeExec
	}
	return t.add(&entry{name: p, typ: tar.TypeReg, mode: mode, src: src, size: fi.Size()})
}

func (t *tree) symlink(p, target string) error {
	return t.add(&entry{name: p, typ: tar.TypeSymlink, mode: 0o777, linkname: target})
}

// layer makes a gzip-compressed layer of the tree, every entry with time
// mtime, by the name order (parents before children). Reading the layer
// stops with stop's error, when not nil.
func (t *tree) layer(stop func() error, mtime time.Time, level int, mt types.MediaType) (v1.Layer, error) {
	list := make([]*entry, 0, len(t.entries))
	for _, e := range t.entries {
		list = append(list, e)
	}
	slices.SortFunc(list, func(a, b *entry) int { return strings.Compare(a.name, b.name) })
	opener := func() (io.ReadCloser, error) {
		pr, pw := io.Pipe()
		go func() { pw.CloseWithError(writeTar(stop, pw, list, mtime)) }()
		return pr, nil
	}
	l, err := tarball.LayerFromOpener(opener, tarball.WithCompressionLevel(level), tarball.WithMediaType(mt))
	if err != nil {
		return nil, fmt.Errorf("making layer: %w", err)
	}
	return l, nil
}

func writeTar(stop func() error, w io.Writer, list []*entry, mtime time.Time) error {
	tw := tar.NewWriter(w)
	for _, e := range list {
		if err := stop(); err != nil {
			return err
		}
		h := &tar.Header{
			Typeflag: e.typ,
			Name:     e.name,
			Linkname: e.linkname,
			Mode:     e.mode,
			ModTime:  mtime,
			Format:   tar.FormatPAX,
		}
		if e.typ == tar.TypeDir {
			h.Name += "/"
		}
		if e.typ == tar.TypeReg {
			h.Size = e.size
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("writing /%s: %w", e.name, err)
		}
		if e.typ != tar.TypeReg {
			continue
		}
		if e.src == "" {
			if _, err := tw.Write(e.data); err != nil {
				return fmt.Errorf("writing /%s: %w", e.name, err)
			}
			continue
		}
		if err := copyFile(stop, tw, e.src, e.size); err != nil {
			return fmt.Errorf("writing /%s: %w", e.name, err)
		}
	}
	return tw.Close()
}

func copyFile(stop func() error, w io.Writer, src string, size int64) error {
	f, err := os.Open(src)
	if err != nil {
		return err
	}
	defer f.Close()
	n, err := io.Copy(w, &stopReader{r: io.LimitReader(f, size+1), stop: stop})
	if err != nil {
		return err
	}
	if n != size {
		return fmt.Errorf("%s changed size while packing (%d bytes, was %d)", src, n, size)
	}
	return nil
}

// stopReader fails with stop's error, once it has one.
type stopReader struct {
	r    io.Reader
	stop func() error
}

func (s *stopReader) Read(p []byte) (int, error) {
	if err := s.stop(); err != nil {
		return 0, err
	}
	return s.r.Read(p)
}
