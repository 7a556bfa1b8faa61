package server

import (
	"github.com/gin-gonic/gin"

	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
	"github.com/berthml/berth/tracking/search"
)

// maxResults applies a search's default page size and checks its limit.
func maxResults(n mlflowrest.Int64, def, limit int) (int, error) {
	if n == 0 {
		return def, nil
	}
	if n < 0 || int64(n) > int64(limit) {
		return 0, invalidParam("Invalid value %d for parameter 'max_results' supplied: it must be between 1 and %d.", n, limit)
	}
	return int(n), nil
}

func (s *Server) createExperiment(c *gin.Context) (any, error) {
	var req mlflowrest.CreateExperimentRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	id, err := s.store.CreateExperiment(c.Request.Context(), req.Name, req.ArtifactLocation, tagsOf(req.Tags))
	if err != nil {
		return nil, err
	}
	return mlflowrest.CreateExperimentResponse{ExperimentID: id}, nil
}

func (s *Server) getExperiment(c *gin.Context) (any, error) {
	var req mlflowrest.GetExperimentRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	e, err := s.store.GetExperiment(c.Request.Context(), req.ExperimentID)
	if err != nil {
		return nil, err
	}
	return mlflowrest.GetExperimentResponse{Experiment: toExperiment(e)}, nil
}

func (s *Server) getExperimentByName(c *gin.Context) (any, error) {
	var req mlflowrest.GetExperimentByNameRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	e, err := s.store.GetExperimentByName(c.Request.Context(), req.ExperimentName)
	if err != nil {
		return nil, err
	}
	return mlflowrest.GetExperimentResponse{Experiment: toExperiment(e)}, nil
}

// searchExperiments answers GET and POST experiments/search. As in MLflow,
// max_results has no default: a request without it is rejected.
func (s *Server) searchExperiments(c *gin.Context) (any, error) {
	var req mlflowrest.SearchExperimentsRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	q := tracking.ExperimentQuery{MaxResults: int(req.MaxResults), PageToken: req.PageToken}
	if req.MaxResults < 0 || req.MaxResults > tracking.MaxExperimentResults {
		return nil, invalidParam("Invalid value %d for parameter 'max_results' supplied: it must be between 1 and %d.", req.MaxResults, tracking.MaxExperimentResults)
	}
	var err error
	if q.ViewType, err = tracking.ParseViewType(req.ViewType); err != nil {
		return nil, err
	}
	if req.Filter != "" {
		f, err := search.ParseExperimentFilter(req.Filter)
		if err != nil {
			return nil, err
		}
		q.Filter = *f
	}
	if q.OrderBy, err = search.ParseExperimentOrderBy(req.OrderBy); err != nil {
		return nil, err
	}
	page, err := s.store.SearchExperiments(c.Request.Context(), q)
	if err != nil {
		return nil, err
	}
	resp := mlflowrest.SearchExperimentsResponse{NextPageToken: page.NextPageToken}
	for i := range page.Experiments {
		resp.Experiments = append(resp.Experiments, toExperiment(&page.Experiments[i]))
	}
	return resp, nil
}

func (s *Server) updateExperiment(c *gin.Context) (any, error) {
	var req mlflowrest.UpdateExperimentRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.RenameExperiment(c.Request.Context(), req.ExperimentID, req.NewName)
}

func (s *Server) deleteExperiment(c *gin.Context) (any, error) {
	var req mlflowrest.ExperimentIDRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteExperiment(c.Request.Context(), req.ExperimentID)
}

func (s *Server) restoreExperiment(c *gin.Context) (any, error) {
	var req mlflowrest.ExperimentIDRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.RestoreExperiment(c.Request.Context(), req.ExperimentID)
}

func (s *Server) setExperimentTag(c *gin.Context) (any, error) {
	var req mlflowrest.SetExperimentTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.SetExperimentTag(c.Request.Context(), req.ExperimentID, tracking.Tag{Key: req.Key, Value: req.Value})
}

func (s *Server) deleteExperimentTag(c *gin.Context) (any, error) {
	var req mlflowrest.DeleteExperimentTagRequest
	if err := s.bind(c, &req); err != nil {
		return nil, err
	}
	return nil, s.store.DeleteExperimentTag(c.Request.Context(), req.ExperimentID, req.Key)
}
