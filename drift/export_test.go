package drift

import "testing"

// RefXC is refXC for the package's external tests.
func RefXC(t *testing.T) *Profile { return refXC(t) }
