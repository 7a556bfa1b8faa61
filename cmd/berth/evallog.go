package main

import (
	"path/filepath"
)

// modelLabel names a model in run names: name-vN for a registry version,
// else the directory's base name.
func modelLabel(m *localModel) string {
	if v := m.version; v != nil {
		return v.Name + "-v" + v.Version
	}
	abs, err := filepath.Abs(m.dir)
	if err != nil {
		return filepath.Base(m.dir)
	}
	return filepath.Base(abs)
}

// registeredName and registeredVersion name the registry version m came
// from, "" for a directory.
func (m *localModel) registeredName() string {
	if m.version == nil {
		return ""
	}
	return m.version.Name
}

func (m *localModel) registeredVersion() string {
	if m.version == nil {
		return ""
	}
	return m.version.Version
}
