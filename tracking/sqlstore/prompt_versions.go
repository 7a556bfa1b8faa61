package sqlstore

import (
	"context"

	"github.com/berthml/berth/tracking"
)

// CreatePromptVersion creates a version of a registered model like
// CreateModelVersion, except that the source is not validated: MLflow 3's
// prompt registry sends source "dummy-source" with tag
// mlflow.prompt.is_prompt, and MLflow's server skips the source check for
// such requests. The server calls it only for those.
func (s *Store) CreatePromptVersion(ctx context.Context, v tracking.CreateModelVersion) (*tracking.ModelVersion, error) {
	return s.createVersion(ctx, v, false)
}
