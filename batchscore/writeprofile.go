package batchscore

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/berthml/berth/drift"
)

// WriteProfile writes p to path as indented JSON ending in a newline, the
// form of a model directory's drift profile (drift.FileName), which
// drift.ReadProfile reads back.
func WriteProfile(path string, p *drift.Profile) error {
	data, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(path, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("writing profile: %w", err)
	}
	return nil
}
