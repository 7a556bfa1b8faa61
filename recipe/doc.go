// Package recipe runs berth recipes: MLflow Recipes' shape (recipe.yaml,
// profiles/*.yaml, {{ VAR }} templating, validation_criteria) rebuilt as a
// cached pipeline from data to a registered, promoted, packed and
// smoke-tested model.
//
// A recipe's user steps are entry points of its MLflow project, run as
// tracked runs by package project; its native steps (evaluate, register,
// promote, pack, smoke) run berth's own commands (berth evaluate, berth
// models register, berth promote, berth pack, berth serve) as child
// processes of the berth binary given with WithBerth, so a recipe does on a
// laptop exactly what the same commands do in CI.
//
// Every step's outputs are kept under a key of its inputs, configuration,
// code and the key of the step before it (Key), in the recipe's work
// directory; Run re-runs a step only when its key changed, and a step that
// fails or times out leaves no cache entry behind. Inspect prints the graph
// and each step's card: what it read, wrote and measured, and the runs it
// made. Init scaffolds a working classification or regression recipe.
package recipe
