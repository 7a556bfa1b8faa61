package server

import (
	"context"

	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

func (s *Server) createRegisteredModel(c *gin.Context) (any, error) {
	var req mlflowrest.CreateRegisteredModelRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	m, err := s.store.CreateRegisteredModel(c.Request.Context(), req.Name, req.Description, tagsOf(req.Tags))
	if err != nil {
		return nil, err
	}
	s.emitModelCreated(m)
	return mlflowrest.RegisteredModelResponse{RegisteredModel: toRegisteredModel(m)}, nil
}

func (s *Server) getRegisteredModel(c *gin.Context) (any, error) {
	var req mlflowrest.RegisteredModelNameRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	m, err := s.store.GetRegisteredModel(c.Request.Context(), req.Name)
	if err != nil {
		return nil, err
	}
	return mlflowrest.RegisteredModelResponse{RegisteredModel: toRegisteredModel(m)}, nil
}

func (s *Server) renameRegisteredModel(c *gin.Context) (any, error) {
	var req mlflowrest.RenameRegisteredModelRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	m, err := s.store.RenameRegisteredModel(c.Request.Context(), req.Name, req.NewName)
	if err != nil {
		return nil, err
	}
	return mlflowrest.RegisteredModelResponse{RegisteredModel: toRegisteredModel(m)}, nil
}

func (s *Server) updateRegisteredModel(c *gin.Context) (any, error) {
	var req mlflowrest.UpdateRegisteredModelRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	m, err := s.store.UpdateRegisteredModel(c.Request.Context(), req.Name, req.Description)
	if err != nil {
		return nil, err
	}
	return mlflowrest.RegisteredModelResponse{RegisteredModel: toRegisteredModel(m)}, nil
}

func (s *Server) deleteRegisteredModel(c *gin.Context) (any, error) {
	var req mlflowrest.RegisteredModelNameRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteRegisteredModel(c.Request.Context(), req.Name)
}

func (s *Server) searchRegisteredModels(c *gin.Context) (any, error) {
	var req mlflowrest.SearchRegisteredModelsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n, err := maxResults(req.MaxResults, defaultRegisteredModelResults, tracking.MaxRegisteredModelResults)
	if err != nil {
		return nil, err
	}
	q := tracking.ModelQuery{MaxResults: n, PageToken: req.PageToken}
	if req.Filter != "" {
		f, err := search.ParseModelFilter(req.Filter)
		if err != nil {
			return nil, err
		}
		q.Filter = *f
	}
	if q.OrderBy, err = search.ParseModelOrderBy(req.OrderBy); err != nil {
		return nil, err
	}
	page, err := s.store.SearchRegisteredModels(c.Request.Context(), q)
	if err != nil {
		return nil, err
	}
	resp := mlflowrest.SearchRegisteredModelsResponse{NextPageToken: page.NextPageToken}
	for i := range page.RegisteredModels {
		resp.RegisteredModels = append(resp.RegisteredModels, toRegisteredModel(&page.RegisteredModels[i]))
	}
	return resp, nil
}

func (s *Server) getLatestVersions(c *gin.Context) (any, error) {
	var req mlflowrest.GetLatestVersionsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	vs, err := s.store.GetLatestVersions(c.Request.Context(), req.Name, req.Stages)
	if err != nil {
		return nil, err
	}
	return mlflowrest.ModelVersionsResponse{ModelVersions: toModelVersions(vs)}, nil
}

func (s *Server) setRegisteredModelTag(c *gin.Context) (any, error) {
	var req mlflowrest.SetRegisteredModelTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := s.store.SetRegisteredModelTag(c.Request.Context(), req.Name, tracking.Tag{Key: req.Key, Value: req.Value}); err != nil {
		return nil, err
	}
	s.emitModelTag(c, req.Name, req.Key, &req.Value)
	return nil, nil
}

func (s *Server) deleteRegisteredModelTag(c *gin.Context) (any, error) {
	var req mlflowrest.DeleteRegisteredModelTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := s.store.DeleteRegisteredModelTag(c.Request.Context(), req.Name, req.Key); err != nil {
		return nil, err
	}
	s.emitModelTag(c, req.Name, req.Key, nil)
	return nil, nil
}

func (s *Server) setAlias(c *gin.Context) (any, error) {
	var req mlflowrest.SetRegisteredModelAliasRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := s.store.SetRegisteredModelAlias(c.Request.Context(), req.Name, req.Alias, req.Version); err != nil {
		return nil, err
	}
	s.emitAlias(c, req.Name, req.Alias, req.Version, true)
	return nil, nil
}

// deleteAlias succeeds for an alias that does not exist, as MLflow does.
func (s *Server) deleteAlias(c *gin.Context) (any, error) {
	var req mlflowrest.RegisteredModelAliasRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := s.store.DeleteRegisteredModelAlias(c.Request.Context(), req.Name, req.Alias); err != nil {
		return nil, err
	}
	s.emitAlias(c, req.Name, req.Alias, "", false)
	return nil, nil
}

func (s *Server) getModelVersionByAlias(c *gin.Context) (any, error) {
	var req mlflowrest.RegisteredModelAliasRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	get := s.store.GetModelVersionByAlias
	if isLatestAlias(req.Alias) {
		// MLflow 3 answers @latest with the newest version (prompts.go).
		get = func(ctx context.Context, name, _ string) (*tracking.ModelVersion, error) {
			return s.newestVersion(ctx, name)
		}
	}
	v, err := get(c.Request.Context(), req.Name, req.Alias)
	if err != nil {
		return nil, err
	}
	return mlflowrest.ModelVersionResponse{ModelVersion: toModelVersion(v)}, nil
}

func (s *Server) createModelVersion(c *gin.Context) (any, error) {
	var req mlflowrest.CreateModelVersionRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	cv := tracking.CreateModelVersion{
		Name: req.Name, Source: req.Source, RunID: req.RunID, Tags: tagsOf(req.Tags),
		RunLink: req.RunLink, Description: req.Description,
	}
	// MLflow 3: a version of a logged model (model_id, or a source of
	// models:/m-<id>) takes the model's run and is listed in its
	// mlflow.modelVersions tag.
	modelID := loggedModelSource(req.ModelID, req.Source)
	if modelID != "" {
		if err := s.registerLoggedModel(c, &cv, modelID); err != nil {
			return nil, err
		}
	}
	// A prompt version skips source validation (prompts.go).
	v, err := s.createVersion(c.Request.Context(), cv)
	if err != nil {
		return nil, err
	}
	if modelID != "" {
		if err := s.recordModelVersion(c, modelID, v); err != nil {
			return nil, err
		}
	}
	s.emitVersionCreated(v)
	return mlflowrest.ModelVersionResponse{ModelVersion: toModelVersion(v)}, nil
}

func (s *Server) getModelVersion(c *gin.Context) (any, error) {
	var req mlflowrest.ModelVersionRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	v, err := s.store.GetModelVersion(c.Request.Context(), req.Name, req.Version)
	if err != nil {
		return nil, err
	}
	return mlflowrest.ModelVersionResponse{ModelVersion: toModelVersion(v)}, nil
}

func (s *Server) updateModelVersion(c *gin.Context) (any, error) {
	var req mlflowrest.UpdateModelVersionRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	v, err := s.store.UpdateModelVersion(c.Request.Context(), req.Name, req.Version, req.Description)
	if err != nil {
		return nil, err
	}
	return mlflowrest.ModelVersionResponse{ModelVersion: toModelVersion(v)}, nil
}

func (s *Server) deleteModelVersion(c *gin.Context) (any, error) {
	var req mlflowrest.ModelVersionRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteModelVersion(c.Request.Context(), req.Name, req.Version)
}

func (s *Server) searchModelVersions(c *gin.Context) (any, error) {
	var req mlflowrest.SearchModelVersionsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	n, err := maxResults(req.MaxResults, defaultModelVersionResults, tracking.MaxModelVersionResults)
	if err != nil {
		return nil, err
	}
	q := tracking.ModelQuery{MaxResults: n, PageToken: req.PageToken}
	if req.Filter != "" {
		f, err := search.ParseModelVersionFilter(req.Filter)
		if err != nil {
			return nil, err
		}
		q.Filter = *f
	}
	if q.OrderBy, err = search.ParseModelVersionOrderBy(req.OrderBy); err != nil {
		return nil, err
	}
	page, err := s.store.SearchModelVersions(c.Request.Context(), q)
	if err != nil {
		return nil, err
	}
	return mlflowrest.SearchModelVersionsResponse{ModelVersions: toModelVersions(page.ModelVersions),
		NextPageToken: page.NextPageToken}, nil
}

func (s *Server) transitionStage(c *gin.Context) (any, error) {
	var req mlflowrest.TransitionModelVersionStageRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	v, err := s.store.TransitionModelVersionStage(c.Request.Context(), req.Name, req.Version, req.Stage, req.ArchiveExistingVersions)
	if err != nil {
		return nil, err
	}
	return mlflowrest.ModelVersionResponse{ModelVersion: toModelVersion(v)}, nil
}

func (s *Server) setModelVersionTag(c *gin.Context) (any, error) {
	var req mlflowrest.SetModelVersionTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := s.store.SetModelVersionTag(c.Request.Context(), req.Name, req.Version, tracking.Tag{Key: req.Key, Value: req.Value}); err != nil {
		return nil, err
	}
	s.emitVersionTag(c, req.Name, req.Version, req.Key, &req.Value)
	return nil, nil
}

func (s *Server) deleteModelVersionTag(c *gin.Context) (any, error) {
	var req mlflowrest.DeleteModelVersionTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	if err := s.store.DeleteModelVersionTag(c.Request.Context(), req.Name, req.Version, req.Key); err != nil {
		return nil, err
	}
	s.emitVersionTag(c, req.Name, req.Version, req.Key, nil)
	return nil, nil
}

func (s *Server) getDownloadURI(c *gin.Context) (any, error) {
	var req mlflowrest.ModelVersionRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	uri, err := s.store.GetModelVersionDownloadURI(c.Request.Context(), req.Name, req.Version)
	if err != nil {
		return nil, err
	}
	if uri, err = s.loggedModelDownloadURI(c, uri); err != nil {
		return nil, err
	}
	return mlflowrest.GetModelVersionDownloadURIResponse{ArtifactURI: uri}, nil
}
