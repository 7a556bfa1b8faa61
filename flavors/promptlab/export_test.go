package promptlab

// PyStringList is exported for tests.
var PyStringList = pyStringList
