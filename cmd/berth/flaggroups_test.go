package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// TestFlagGroups checks that the commands sharing a flag get it from its
// group: present on each, with one usage text.
func TestFlagGroups(t *testing.T) {
	root := newRoot()
	find := func(path string) *cobra.Command {
		cmd, _, err := root.Find(strings.Fields(path))
		if err != nil || cmd.Name() != strings.Fields(path)[len(strings.Fields(path))-1] {
			t.Fatalf("no command %q: %v", path, err)
		}
		return cmd
	}
	groups := map[string][]string{
		"registry-uri":        {"serve", "pack", "evaluate", "promote", "models list", "models show", "models register", "models alias", "models tag", "runs list", "runs show"},
		"registry-token":      {"serve", "pack", "evaluate", "promote", "models list", "runs list"},
		"cache-dir":           {"serve", "pack", "evaluate", "promote"},
		"allow-local-sources": {"serve", "pack", "evaluate", "promote"},
		"ort-lib":             {"serve", "evaluate", "promote", "drift profile", "drift report"},
		"host":                {"serve", "server"},
		"body-timeout":        {"serve", "server"},
		"allowed-hosts":       {"serve", "server"},
		"shutdown-timeout":    {"serve", "server"},
		"access-log":          {"serve", "server"},
		"output":              {"evaluate", "promote", "models list", "runs show"},
		"insecure":            {"pack", "pull"},
	}
	for flag, cmds := range groups {
		usage := ""
		for _, path := range cmds {
			f := find(path).Flags().Lookup(flag)
			if f == nil {
				t.Errorf("berth %s has no --%s", path, flag)
				continue
			}
			if usage == "" {
				usage = f.Usage
			} else if f.Usage != usage {
				t.Errorf("berth %s --%s: %q, want the group's %q", path, flag, f.Usage, usage)
			}
		}
	}
	for cmd, port := range map[string]string{"serve": "8080", "server": "5000"} {
		if f := find(cmd).Flags().Lookup("port"); f == nil || f.DefValue != port || f.Shorthand != "p" {
			t.Errorf("berth %s --port: %+v, want -p with default %s", cmd, f, port)
		}
	}
	if f := find("pack").Flags().Lookup("ort-lib"); f == nil || !strings.Contains(f.Usage, "to put in the image") {
		t.Errorf("berth pack --ort-lib does not say the library goes into the image: %+v", f)
	}
}
