package server

import (
	"github.com/berthml/berth/api/mlflowrest"
	"github.com/berthml/berth/tracking"
)

// Translations between package tracking's domain types and MLflow's wire
// types.

func toExperiment(e *tracking.Experiment) mlflowrest.Experiment {
	out := mlflowrest.Experiment{
		ExperimentID:     e.ID,
		Name:             e.Name,
		ArtifactLocation: e.ArtifactLocation,
		LifecycleStage:   e.LifecycleStage,
		LastUpdateTime:   e.LastUpdateTime,
		CreationTime:     e.CreationTime,
	}
	for _, t := range e.Tags {
		out.Tags = append(out.Tags, mlflowrest.ExperimentTag{Key: t.Key, Value: t.Value})
	}
	return out
}

func toRunInfo(ri *tracking.RunInfo) mlflowrest.RunInfo {
	return mlflowrest.RunInfo{
		RunUUID:        ri.RunID,
		ExperimentID:   ri.ExperimentID,
		RunName:        ri.RunName,
		UserID:         ri.UserID,
		Status:         string(ri.Status),
		StartTime:      ri.StartTime,
		EndTime:        ri.EndTime,
		ArtifactURI:    ri.ArtifactURI,
		LifecycleStage: ri.LifecycleStage,
		RunID:          ri.RunID,
	}
}

// toRun converts a run; withInputs adds the "inputs" object that runs/get
// and runs/search answers carry and runs/create answers omit.
func toRun(r *tracking.Run, withInputs bool) mlflowrest.Run {
	out := mlflowrest.Run{Info: toRunInfo(&r.Info)}
	for _, m := range r.Data.Metrics {
		out.Data.Metrics = append(out.Data.Metrics, toMetric(m))
	}
	for _, p := range r.Data.Params {
		out.Data.Params = append(out.Data.Params, mlflowrest.Param{Key: p.Key, Value: p.Value})
	}
	for _, t := range r.Data.Tags {
		out.Data.Tags = append(out.Data.Tags, mlflowrest.RunTag{Key: t.Key, Value: t.Value})
	}
	if withInputs {
		out.Inputs = &mlflowrest.RunInputs{}
		for _, in := range r.Inputs {
			di := mlflowrest.DatasetInput{Dataset: mlflowrest.Dataset{
				Name: in.Dataset.Name, Digest: in.Dataset.Digest, SourceType: in.Dataset.SourceType,
				Source: in.Dataset.Source, Schema: in.Dataset.Schema, Profile: in.Dataset.Profile,
			}}
			for _, t := range in.Tags {
				di.Tags = append(di.Tags, mlflowrest.InputTag{Key: t.Key, Value: t.Value})
			}
			out.Inputs.DatasetInputs = append(out.Inputs.DatasetInputs, di)
		}
	}
	return out
}

func toMetric(m tracking.Metric) mlflowrest.Metric {
	return mlflowrest.Metric{Key: m.Key, Value: mlflowrest.Float64(m.Value),
		Timestamp: mlflowrest.Int64(m.Timestamp), Step: mlflowrest.Int64(m.Step)}
}

func fromMetric(m mlflowrest.Metric) tracking.Metric {
	return tracking.Metric{Key: m.Key, Value: float64(m.Value), Timestamp: int64(m.Timestamp), Step: int64(m.Step)}
}

func fromDatasetInput(in mlflowrest.DatasetInput) tracking.DatasetInput {
	out := tracking.DatasetInput{Dataset: tracking.Dataset{
		Name: in.Dataset.Name, Digest: in.Dataset.Digest, SourceType: in.Dataset.SourceType,
		Source: in.Dataset.Source, Schema: in.Dataset.Schema, Profile: in.Dataset.Profile,
	}}
	for _, t := range in.Tags {
		out.Tags = append(out.Tags, tracking.Tag{Key: t.Key, Value: t.Value})
	}
	return out
}

// wireTag is any of the wire's key/value tag types.
type wireTag interface {
	mlflowrest.ExperimentTag | mlflowrest.RunTag | mlflowrest.RegisteredModelTag | mlflowrest.ModelVersionTag
}

// tagsOf converts a list of wire tags.
func tagsOf[T wireTag](tags []T) []tracking.Tag {
	if len(tags) == 0 {
		return nil
	}
	out := make([]tracking.Tag, len(tags))
	for i, t := range tags {
		kv := struct{ Key, Value string }(t)
		out[i] = tracking.Tag{Key: kv.Key, Value: kv.Value}
	}
	return out
}

func toRegisteredModel(m *tracking.RegisteredModel) mlflowrest.RegisteredModel {
	out := mlflowrest.RegisteredModel{
		Name:                 m.Name,
		CreationTimestamp:    m.CreationTimestamp,
		LastUpdatedTimestamp: m.LastUpdatedTimestamp,
		Description:          m.Description,
	}
	for i := range m.LatestVersions {
		out.LatestVersions = append(out.LatestVersions, toModelVersion(&m.LatestVersions[i]))
	}
	for _, t := range m.Tags {
		out.Tags = append(out.Tags, mlflowrest.RegisteredModelTag{Key: t.Key, Value: t.Value})
	}
	for _, a := range m.Aliases {
		out.Aliases = append(out.Aliases, mlflowrest.RegisteredModelAlias{Alias: a.Alias, Version: a.Version})
	}
	return out
}

func toModelVersion(v *tracking.ModelVersion) mlflowrest.ModelVersion {
	out := mlflowrest.ModelVersion{
		Name:                 v.Name,
		Version:              v.Version,
		CreationTimestamp:    v.CreationTimestamp,
		LastUpdatedTimestamp: v.LastUpdatedTimestamp,
		UserID:               v.UserID,
		CurrentStage:         v.CurrentStage,
		Description:          v.Description,
		Source:               v.Source,
		RunID:                v.RunID,
		Status:               v.Status,
		StatusMessage:        v.StatusMessage,
		RunLink:              v.RunLink,
		Aliases:              v.Aliases,
	}
	for _, t := range v.Tags {
		out.Tags = append(out.Tags, mlflowrest.ModelVersionTag{Key: t.Key, Value: t.Value})
	}
	return out
}

func toModelVersions(vs []tracking.ModelVersion) []mlflowrest.ModelVersion {
	var out []mlflowrest.ModelVersion
	for i := range vs {
		out = append(out, toModelVersion(&vs[i]))
	}
	return out
}
