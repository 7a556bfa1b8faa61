package modelpack

import (
	"context"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Push writes img (from Build) to the registry reference ref, such as
// "registry.example.com/team/iris:1", and returns the manifest digest.
// Blobs the registry already holds are not uploaded again.
//
// Options: WithKeychain, WithInsecure, WithTransport, WithProgress (bytes
// uploaded of all blobs; Path is empty).
func Push(ctx context.Context, img v1.Image, ref string, opts ...Option) (v1.Hash, error) {
	o := makeOptions(opts)
	r, err := name.ParseReference(ref, o.nameOptions()...)
	if err != nil {
		return v1.Hash{}, fmt.Errorf("parsing reference %q: %w", ref, err)
	}
	ropts := o.remoteOptions(ctx)
	var done chan struct{}
	if o.progress != nil {
		updates := make(chan v1.Update, 64)
		done = make(chan struct{})
		go func() {
			defer close(done)
			for u := range updates { // remote.Write closes updates when it returns
				if u.Error == nil {
					o.report(Progress{Complete: u.Complete, Total: u.Total})
				}
			}
		}()
		ropts = append(ropts, remote.WithProgress(updates))
	}
	err = remote.Write(r, img, ropts...)
	if done != nil {
		<-done
	}
	if err != nil {
		return v1.Hash{}, fmt.Errorf("pushing %s: %w", r, err)
	}
	d, err := img.Digest()
	if err != nil {
		return v1.Hash{}, fmt.Errorf("computing manifest digest: %w", err)
	}
	return d, nil
}

func (o *options) nameOptions() []name.Option {
	if o.insecure {
		return []name.Option{name.Insecure}
	}
	return nil
}

func (o *options) remoteOptions(ctx context.Context) []remote.Option {
	ropts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(o.keychain)}
	if o.transport != nil {
		ropts = append(ropts, remote.WithTransport(o.transport))
	}
	return ropts
}
