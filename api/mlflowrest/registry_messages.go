package mlflowrest

// CreateRegisteredModelRequest is the body of registered-models/create.
type CreateRegisteredModelRequest struct {
	Name        string               `json:"name"`
	Tags        []RegisteredModelTag `json:"tags,omitempty"`
	Description string               `json:"description,omitempty"`
}

// RegisteredModelResponse answers registered-models/create, get, rename and
// update.
type RegisteredModelResponse struct {
	RegisteredModel RegisteredModel `json:"registered_model"`
}

// RenameRegisteredModelRequest is the body of registered-models/rename.
type RenameRegisteredModelRequest struct {
	Name    string `json:"name"`
	NewName string `json:"new_name"`
}

// UpdateRegisteredModelRequest is the body of PATCH registered-models/update.
type UpdateRegisteredModelRequest struct {
	Name        string `json:"name"`
	Description string `json:"description"`
}

// RegisteredModelNameRequest is the body of DELETE registered-models/delete
// and the query of GET registered-models/get.
type RegisteredModelNameRequest struct {
	Name string `json:"name"`
}

// SearchRegisteredModelsRequest is the query of GET registered-models/search.
type SearchRegisteredModelsRequest struct {
	Filter     string   `json:"filter,omitempty"`
	MaxResults Int64    `json:"max_results,omitempty"`
	OrderBy    []string `json:"order_by,omitempty"`
	PageToken  string   `json:"page_token,omitempty"`
}

// SearchRegisteredModelsResponse answers registered-models/search.
type SearchRegisteredModelsResponse struct {
	RegisteredModels []RegisteredModel `json:"registered_models,omitempty"`
	NextPageToken    string            `json:"next_page_token,omitempty"`
}

// GetLatestVersionsRequest is the body of registered-models/get-latest-versions.
type GetLatestVersionsRequest struct {
	Name   string   `json:"name"`
	Stages []string `json:"stages,omitempty"`
}

// ModelVersionsResponse answers registered-models/get-latest-versions.
type ModelVersionsResponse struct {
	ModelVersions []ModelVersion `json:"model_versions,omitempty"`
}

// SetRegisteredModelTagRequest is the body of registered-models/set-tag.
type SetRegisteredModelTagRequest struct {
	Name  string `json:"name"`
	Key   string `json:"key"`
	Value string `json:"value"`
}

// DeleteRegisteredModelTagRequest is the body of DELETE
// registered-models/delete-tag.
type DeleteRegisteredModelTagRequest struct {
	Name string `json:"name"`
	Key  string `json:"key"`
}

// SetRegisteredModelAliasRequest is the body of POST registered-models/alias.
type SetRegisteredModelAliasRequest struct {
	Name    string `json:"name"`
	Alias   string `json:"alias"`
	Version string `json:"version"`
}

// RegisteredModelAliasRequest is the body of DELETE registered-models/alias
// and the query of GET registered-models/alias.
type RegisteredModelAliasRequest struct {
	Name  string `json:"name"`
	Alias string `json:"alias"`
}

// CreateModelVersionRequest is the body of model-versions/create.
type CreateModelVersionRequest struct {
	Name        string            `json:"name"`
	Source      string            `json:"source"`
	RunID       string            `json:"run_id,omitempty"`
	Tags        []ModelVersionTag `json:"tags,omitempty"`
	RunLink     string            `json:"run_link,omitempty"`
	Description string            `json:"description,omitempty"`
	// ModelID is the logged model the version registers (MLflow 3).
	ModelID string `json:"model_id,omitempty"`
}

// ModelVersionResponse answers model-versions/create, get, update,
// transition-stage and GET registered-models/alias.
type ModelVersionResponse struct {
	ModelVersion ModelVersion `json:"model_version"`
}

// ModelVersionRequest is the body of DELETE model-versions/delete and the
// query of GET model-versions/get and get-download-uri.
type ModelVersionRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

// UpdateModelVersionRequest is the body of PATCH model-versions/update.
type UpdateModelVersionRequest struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	Description string `json:"description"`
}

// TransitionModelVersionStageRequest is the body of
// model-versions/transition-stage.
type TransitionModelVersionStageRequest struct {
	Name                    string `json:"name"`
	Version                 string `json:"version"`
	Stage                   string `json:"stage"`
	ArchiveExistingVersions bool   `json:"archive_existing_versions"`
}

// SearchModelVersionsRequest is the query of GET model-versions/search.
type SearchModelVersionsRequest struct {
	Filter     string   `json:"filter,omitempty"`
	MaxResults Int64    `json:"max_results,omitempty"`
	OrderBy    []string `json:"order_by,omitempty"`
	PageToken  string   `json:"page_token,omitempty"`
}

// SearchModelVersionsResponse answers model-versions/search.
type SearchModelVersionsResponse struct {
	ModelVersions []ModelVersion `json:"model_versions,omitempty"`
	NextPageToken string         `json:"next_page_token,omitempty"`
}

// GetModelVersionDownloadURIResponse answers model-versions/get-download-uri.
type GetModelVersionDownloadURIResponse struct {
	ArtifactURI string `json:"artifact_uri"`
}

// SetModelVersionTagRequest is the body of model-versions/set-tag.
type SetModelVersionTagRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Key     string `json:"key"`
	Value   string `json:"value"`
}

// DeleteModelVersionTagRequest is the body of DELETE model-versions/delete-tag.
type DeleteModelVersionTagRequest struct {
	Name    string `json:"name"`
	Version string `json:"version"`
	Key     string `json:"key"`
}
