// Package writeback records closed drift windows on an MLflow-compatible
// tracking server: one monitoring run per model version receives each
// window's statistics as metrics (step = window number), the registered
// model version is tagged with the latest drift status, and an optional
// webhook hears of status changes. A [Writer] does the writing; its
// queue ([Writer.Enqueue], [Writer.Run]) keeps a slow or unreachable
// server off the scoring path.
package writeback
