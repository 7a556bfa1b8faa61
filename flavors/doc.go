// Package flavors reads MLflow model directories (the MLmodel file, its
// signature and input example) and turns them into runnable predictors
// through plug-in flavors.
//
// A flavor registers itself from its package's init function:
//
//	func init() { flavors.Register(Flavor{}) }
//
// and [Load] picks the first flavor of a model directory that is
// registered. Tensors move between the protocol packages and a predictor as
// [Tensor] values whose Data is a plain Go slice of the element type.
package flavors
