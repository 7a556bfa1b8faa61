package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/berthml/berth/cmd/berth/internal/options"
	"github.com/berthml/berth/gateway/keys"
)

// gatewayKeys runs berth gateway keys with args against db.
func gatewayKeys(t *testing.T, db string, args ...string) (string, error) {
	t.Helper()
	cmd := newGatewayKeysCmd(&options.Log{Format: "text", Level: "info"})
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(append(args, "--backend-store-uri", db))
	err := cmd.Execute()
	return out.String(), err
}

func TestGatewayKeysCLI(t *testing.T) {
	db := "sqlite:///" + filepath.Join(t.TempDir(), "gateway.db")
	out, err := gatewayKeys(t, db, "create", "--name", "team-a", "--endpoint", "chat,embed", "--rpm", "60",
		"--month-spend", "12.5", "--expires", "30d", "-o", "json")
	if err != nil {
		t.Fatalf("create: %v\n%s", err, out)
	}
	var created struct {
		Key struct {
			ID, Name, Hint, Status, Limits string
			Endpoints                      []string
		}
		Secret string
	}
	if err := json.Unmarshal([]byte(out), &created); err != nil {
		t.Fatalf("create -o json: %v\n%s", err, out)
	}
	if _, err := keys.ParseSecret(created.Secret); err != nil {
		t.Fatalf("created secret: %v", err)
	}
	if created.Key.Name != "team-a" || created.Key.Status != "active" || created.Key.Limits != "rpm=60 spend/month=$12.5" ||
		strings.Join(created.Key.Endpoints, ",") != "chat,embed" || !strings.HasSuffix(created.Secret, created.Key.Hint[6:]) {
		t.Fatalf("created %+v", created.Key)
	}

	out, err = gatewayKeys(t, db, "create", "--name", "team-b")
	if err != nil || !strings.Contains(out, "shown only now") || !strings.Contains(out, "bk-") {
		t.Fatalf("create (table): %v\n%s", err, out)
	}

	out, err = gatewayKeys(t, db, "list")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if !strings.Contains(out, "team-a") || !strings.Contains(out, "team-b") || !strings.Contains(out, created.Key.Hint) ||
		!strings.Contains(out, "0 req, 0 tok, $0") || strings.Contains(out, created.Secret) {
		t.Fatalf("list:\n%s", out)
	}

	if out, err = gatewayKeys(t, db, "revoke", "team-a"); err != nil || !strings.Contains(out, "Revoked gateway key team-a (id "+created.Key.ID+")") {
		t.Fatalf("revoke: %v\n%s", err, out)
	}
	out, _ = gatewayKeys(t, db, "list")
	if strings.Contains(out, "team-a") {
		t.Fatalf("list shows a revoked key without --all:\n%s", out)
	}
	out, _ = gatewayKeys(t, db, "list", "--all", "-o", "json")
	var listed []struct{ Name, Status string }
	if err := json.Unmarshal([]byte(out), &listed); err != nil || len(listed) != 2 || listed[0].Status != "revoked" {
		t.Fatalf("list --all -o json: %v\n%s", err, out)
	}

	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"create"}, "--name is required"},
		{[]string{"create", "--name", "team-b"}, `a key named "team-b" exists`},
		{[]string{"create", "--name", "x", "--expires", "soon"}, `--expires: "soon" is neither a duration`},
		{[]string{"create", "--name", "x", "--day-spend", "lots"}, "--day-spend: parsing amount"},
		{[]string{"create", "--name", "x", "--rpm", "-1"}, "requests per minute must not be negative"},
		{[]string{"create", "--name", "x", "-o", "yaml"}, "--output must be table or json"},
		{[]string{"revoke", "nobody"}, `no key has the id or live name "nobody"`},
	} {
		if _, err := gatewayKeys(t, db, tt.args...); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("berth gateway keys %s: %v, want %q", strings.Join(tt.args, " "), err, tt.want)
		}
	}
	if _, err := gatewayKeys(t, "mysql://db/x", "list"); err == nil || !strings.Contains(err.Error(), "cannot store to mysql") {
		t.Errorf("list on mysql://: %v", err)
	}
}
