// Package servingreport is what berth serve writes back to the registry
// for the models it serves from there: it turns what a scoring server
// served (its plain usage counters, never its metrics) into serving
// reports of registered versions, one per version per interval, and sets
// up the [writeback.Writer] that records those reports and the closed
// drift windows. cmd/berth binds the flags; this package does the rest.
package servingreport
