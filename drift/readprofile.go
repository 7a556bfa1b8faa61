package drift

import (
	"encoding/json"
	"fmt"
	"io"
)

// ReadProfile decodes a profile written as JSON (such as a model's
// [FileName]) and validates it.
func ReadProfile(r io.Reader) (*Profile, error) {
	var p Profile
	if err := json.NewDecoder(r).Decode(&p); err != nil {
		return nil, fmt.Errorf("reading a drift profile: %w", err)
	}
	if p.Version != ProfileVersion {
		return nil, fmt.Errorf("reading a drift profile: version %d, want %d", p.Version, ProfileVersion)
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("reading a drift profile: %w", err)
	}
	return &p, nil
}
