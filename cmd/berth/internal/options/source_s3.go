//go:build !servingonly

package options

import (
	"context"

	"github.com/berthml/berth/blob/s3"
	"github.com/berthml/berth/modeluri"
)

// openObjects opens the bucket of an s3:// source with the S3 flags.
func (o *Source) openObjects(ctx context.Context, uri string) (modeluri.ObjectStore, error) {
	var opts []s3.Option
	if o.S3EndpointURL != "" {
		opts = append(opts, s3.WithEndpoint(o.S3EndpointURL))
	}
	if o.S3IgnoreTLS {
		opts = append(opts, s3.WithInsecureTLS())
	}
	return s3.Open(ctx, uri, opts...)
}
