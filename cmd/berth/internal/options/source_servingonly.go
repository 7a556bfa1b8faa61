//go:build servingonly

package options

import (
	"context"
	"fmt"

	"github.com/berthml/berth/modeluri"
)

// openObjects refuses s3:// sources: the servingonly build (the binary in
// berth pack's images, bin/berth-serving) leaves the AWS SDK out to keep
// images small. Versions logged through the tracking server's artifact
// proxy (mlflow-artifacts:, MLflow's default) download without it.
func (o *Source) openObjects(ctx context.Context, uri string) (modeluri.ObjectStore, error) {
	return nil, fmt.Errorf("%s: this berth is the serving-only build (as in berth pack's images), which reads no s3:// sources; "+
		"serve it with the full berth binary (berth pack --binary bin/berth puts that one in an image), "+
		"or register the version through the tracking server's artifact proxy", uri)
}
