package flavors

import "errors"

// ReadMLmodelFile is a placeholder until the YAML codec lands.
func ReadMLmodelFile(path string) (*MLmodel, error) { return nil, errors.New("not implemented") }
