// Package writeback records what berth serve observes on an
// MLflow-compatible tracking server: closed drift windows and serving
// metrics (request rate, latency, errors). One monitoring run per model
// version and serving process ([WithInstance]; per version alone without
// it) receives each drift window's statistics as metrics (step =
// window number) and its latest full comparison as an artifact
// ([WindowArtifact]), and each serving report as serving.* metrics (step
// = report number); the registered model version is tagged with the
// latest drift status and serving report, and an optional webhook hears
// of drift status changes. A [Writer] does the writing; its queue
// ([Writer.Enqueue], [Writer.EnqueueServing], [Writer.Run]) keeps a slow
// or unreachable server off the scoring path.
//
// With [WithMerge], the replicas of a version merge their drift: each
// uploads its counts of every wall-clock period ([PeriodArtifact],
// [Writer.EnqueuePeriod]) and then sums all replicas' counts of the period
// into one verdict ([Writer.Merge]), which alone tags the version; each
// replica's own status goes on its monitoring run.
package writeback
