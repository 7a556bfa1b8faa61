package modelpack

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// writer writes the files of an artifact's layers under root.
type writer struct {
	ctx   context.Context
	root  *os.Root
	o     *options
	layer int            // index of the layer being written
	files map[string]int // path -> the layer that wrote it
	sizes map[string]int64
	order []string

	done, total int64 // compressed bytes read, of all layers
	written     int64 // bytes written, all files together
}

// pullLayer fetches one layer and writes its file(s), checking the blob
// against desc.
func (w *writer) pullLayer(img v1.Image, kind string, desc v1.Descriptor) error {
	lk := imageLayerKind(desc.MediaType)
	var fp string
	if kind == KindModelPack {
		lk = modelpackLayerKind(desc.MediaType)
		fp = desc.Annotations[AnnotationFilepath]
		if lk == kindUnknown {
			return fmt.Errorf("%w: layer media type %q", ErrUnsupported, desc.MediaType)
		}
		if lk == kindRaw {
			if err := ValidatePath(fp); err != nil {
				return fmt.Errorf("annotation %s: %w", AnnotationFilepath, err)
			}
			// Refuse the path before fetching anything.
			if err := w.claim(fp, false); err != nil {
				return err
			}
		}
	}
	l, err := img.LayerByDigest(desc.Digest)
	if err != nil {
		return fmt.Errorf("finding blob: %w", err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return fmt.Errorf("fetching blob: %w", err)
	}
	defer rc.Close()
	var cur string
	v, err := newVerifier(w.ctx, rc, desc, func(n int64) {
		w.done += n
		w.o.report(Progress{Path: cur, Complete: w.done, Total: w.total})
	})
	if err != nil {
		return err
	}
	switch lk {
	case kindRaw:
		cur = fp
		if err := w.create(fp, v); err != nil {
			return err
		}
	case kindTar, kindTarGzip:
		var r io.Reader = v
		if lk == kindTarGzip {
			zr, err := gzip.NewReader(v)
			if err != nil {
				return fmt.Errorf("reading gzip: %w", err)
			}
			defer zr.Close()
			r = zr
		}
		prefix, overlay := "", false
		if kind == KindImage {
			prefix, overlay = ModelDir+"/", true
		}
		if err := w.extractTar(r, prefix, overlay, &cur); err != nil {
			return err
		}
	}
	return v.finish()
}

// claim records that the current layer writes p. A path written twice is
// refused, except that in a container image (overlay) a later layer
// replaces what an earlier one wrote.
func (w *writer) claim(p string, overlay bool) error {
	if prev, ok := w.files[p]; ok {
		if !overlay || prev == w.layer {
			return fmt.Errorf("%w %q: written twice", ErrUnsafePath, p)
		}
		if err := w.remove(p); err != nil {
			return err
		}
	}
	w.files[p] = w.layer
	w.order = append(w.order, p)
	return nil
}

// remove deletes p, a file or directory earlier layers wrote, and forgets
// the files under it.
func (w *writer) remove(p string) error {
	if err := w.root.RemoveAll(p); err != nil {
		return fmt.Errorf("removing %s: %w", p, err)
	}
	for q := range w.files {
		if q == p || strings.HasPrefix(q, p+"/") {
			delete(w.files, q)
			delete(w.sizes, q)
		}
	}
	return nil
}

// create writes a new regular file p, which must not exist yet, from r.
func (w *writer) create(p string, r io.Reader) error {
	if d := path.Dir(p); d != "." {
		if err := w.root.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("creating directory for %s: %w", p, err)
		}
	}
	f, err := w.root.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return fmt.Errorf("creating %s: %w", p, err)
	}
	left := w.o.maxSize - w.written
	n, err := io.Copy(f, io.LimitReader(r, left+1))
	w.written += n
	if err == nil && n > left {
		err = fmt.Errorf("%w: more than %d bytes", ErrTooLarge, w.o.maxSize)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", p, err)
	}
	if w.sizes == nil {
		w.sizes = map[string]int64{}
	}
	w.sizes[p] = n
	return nil
}

// extractTar writes the regular files of a tar archive. With a prefix,
// only entries under it are written, with the prefix taken off; overlay
// applies container image layer semantics (later layers replace files,
// .wh. whiteouts delete them). Every entry name is checked, in or out of
// the prefix, and a ".." anywhere is refused. *cur is set to the file
// being written, for progress reports.
func (w *writer) extractTar(r io.Reader, prefix string, overlay bool, cur *string) error {
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading tar: %w", err)
		}
		name := hdr.Name
		for strings.HasPrefix(name, "./") || strings.HasPrefix(name, "/") {
			name = strings.TrimPrefix(strings.TrimPrefix(name, "./"), "/")
		}
		name = strings.TrimSuffix(name, "/")
		if name == "" || name == "." {
			continue
		}
		for seg := range strings.SplitSeq(name, "/") {
			if seg == ".." {
				return fmt.Errorf("tar entry: %w %q: has a \"..\" segment", ErrUnsafePath, hdr.Name)
			}
		}
		if prefix != "" {
			if !strings.HasPrefix(name+"/", prefix) {
				continue
			}
			name = strings.TrimPrefix(name+"/", prefix)
			name = strings.TrimSuffix(name, "/")
			if name == "" {
				continue // the model directory itself
			}
		}
		if err := ValidatePath(name); err != nil {
			return fmt.Errorf("tar entry: %w", err)
		}
		if base := path.Base(name); overlay && strings.HasPrefix(base, ".wh.") {
			if err := w.whiteout(name); err != nil {
				return err
			}
			continue
		}
		switch hdr.Typeflag {
		case tar.TypeDir:
			continue
		case tar.TypeReg:
			for k := range hdr.PAXRecords {
				if strings.HasPrefix(k, "GNU.sparse.") {
					return fmt.Errorf("tar entry %q: %w: sparse files are not supported", hdr.Name, ErrUnsafePath)
				}
			}
		default:
			return fmt.Errorf("tar entry %q: %w: not a regular file (type %q)", hdr.Name, ErrUnsafePath, hdr.Typeflag)
		}
		if err := w.claim(name, overlay); err != nil {
			return err
		}
		*cur = name
		if err := w.create(name, tr); err != nil {
			return err
		}
	}
}

// whiteout applies a .wh. entry of a container image layer: .wh.NAME
// deletes NAME, .wh..wh..opq deletes what earlier layers put in its
// directory.
func (w *writer) whiteout(name string) error {
	dir, base := path.Dir(name), path.Base(name)
	if base == ".wh..wh..opq" {
		for p, layer := range w.files {
			if layer < w.layer && (dir == "." || strings.HasPrefix(p, dir+"/")) {
				if err := w.remove(p); err != nil {
					return err
				}
			}
		}
		return nil
	}
	target := path.Join(dir, strings.TrimPrefix(base, ".wh."))
	if err := ValidatePath(target); err != nil {
		return fmt.Errorf("whiteout: %w", err)
	}
	return w.remove(target)
}
