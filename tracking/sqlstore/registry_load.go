package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"

	"github.com/berthml/berth/tracking"
)

// stageDeleted marks a deleted model version; its number is never reused.
const stageDeleted = "Deleted_Internal"

const versionColumns = `name, version, creation_time, last_updated_time, description, user_id, current_stage,
	source, run_id, run_link, status, status_message`

// loadVersions reads model versions matching clause (over model_versions
// aliased mv) with their tags; withAliases also fills Aliases.
func (s *Store) loadVersions(ctx context.Context, q querier, withAliases bool, clause string, args ...any) ([]tracking.ModelVersion, error) {
	type key struct {
		name    string
		version int64
	}
	var out []tracking.ModelVersion
	index := map[key]int{}
	err := s.eachRow(ctx, q, `SELECT `+prefixed("mv.", versionColumns)+` FROM model_versions mv `+clause, args, func(rows *sql.Rows) error {
		var v tracking.ModelVersion
		var n int64
		if err := rows.Scan(&v.Name, &n, &v.CreationTimestamp, &v.LastUpdatedTimestamp, &v.Description, &v.UserID,
			&v.CurrentStage, &v.Source, &v.RunID, &v.RunLink, &v.Status, &v.StatusMessage); err != nil {
			return err
		}
		v.Version = strconv.FormatInt(n, 10)
		index[key{v.Name, n}] = len(out)
		out = append(out, v)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading model versions: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	names := map[string]bool{}
	var nameArgs []any
	for _, v := range out {
		if !names[v.Name] {
			names[v.Name] = true
			nameArgs = append(nameArgs, v.Name)
		}
	}
	in := ` WHERE name IN (` + placeholders(len(nameArgs)) + `)`
	err = s.eachRow(ctx, q, `SELECT name, version, key, value FROM model_version_tags`+in+` ORDER BY seq`, nameArgs, func(rows *sql.Rows) error {
		var k key
		var t tracking.Tag
		if err := rows.Scan(&k.name, &k.version, &t.Key, &t.Value); err != nil {
			return err
		}
		if i, ok := index[k]; ok {
			out[i].Tags = append(out[i].Tags, t)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading model version tags: %w", err)
	}
	if !withAliases {
		return out, nil
	}
	err = s.eachRow(ctx, q, `SELECT name, version, alias FROM registered_model_aliases`+in+` ORDER BY alias`, nameArgs, func(rows *sql.Rows) error {
		var k key
		var alias string
		if err := rows.Scan(&k.name, &k.version, &alias); err != nil {
			return err
		}
		if i, ok := index[k]; ok {
			out[i].Aliases = append(out[i].Aliases, alias)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading model version aliases: %w", err)
	}
	return out, nil
}

// loadModels reads registered models matching clause (over
// registered_models aliased rm) with tags, aliases and latest versions.
func (s *Store) loadModels(ctx context.Context, q querier, clause string, args ...any) ([]tracking.RegisteredModel, error) {
	var out []tracking.RegisteredModel
	index := map[string]int{}
	var names []any
	err := s.eachRow(ctx, q, `SELECT rm.name, rm.creation_time, rm.last_updated_time, rm.description FROM registered_models rm `+clause, args,
		func(rows *sql.Rows) error {
			var m tracking.RegisteredModel
			if err := rows.Scan(&m.Name, &m.CreationTimestamp, &m.LastUpdatedTimestamp, &m.Description); err != nil {
				return err
			}
			index[m.Name] = len(out)
			names = append(names, m.Name)
			out = append(out, m)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("reading registered models: %w", err)
	}
	if len(out) == 0 {
		return nil, nil
	}
	in := ` WHERE name IN (` + placeholders(len(names)) + `)`
	err = s.eachRow(ctx, q, `SELECT name, key, value FROM registered_model_tags`+in+` ORDER BY seq`, names, func(rows *sql.Rows) error {
		var name string
		var t tracking.Tag
		if err := rows.Scan(&name, &t.Key, &t.Value); err != nil {
			return err
		}
		m := &out[index[name]]
		m.Tags = append(m.Tags, t)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading registered model tags: %w", err)
	}
	err = s.eachRow(ctx, q, `SELECT name, alias, version FROM registered_model_aliases`+in+` ORDER BY alias`, names, func(rows *sql.Rows) error {
		var name string
		var a tracking.Alias
		var v int64
		if err := rows.Scan(&name, &a.Alias, &v); err != nil {
			return err
		}
		a.Version = strconv.FormatInt(v, 10)
		m := &out[index[name]]
		m.Aliases = append(m.Aliases, a)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading registered model aliases: %w", err)
	}
	latest, err := s.loadVersions(ctx, q, false, `WHERE mv.name IN (`+placeholders(len(names))+`) AND mv.current_stage <> ?
		AND mv.version = (SELECT MAX(v2.version) FROM model_versions v2 WHERE v2.name = mv.name AND v2.current_stage = mv.current_stage)
		ORDER BY mv.name, mv.version`, append(append([]any{}, names...), stageDeleted)...)
	if err != nil {
		return nil, err
	}
	for _, v := range latest {
		m := &out[index[v.Name]]
		m.LatestVersions = append(m.LatestVersions, v)
	}
	return out, nil
}

func prefixed(prefix, columns string) string {
	out := []byte{}
	start := true
	for i := 0; i < len(columns); i++ {
		c := columns[i]
		if start && c != ' ' && c != '\n' && c != '\t' {
			out = append(out, prefix...)
			start = false
		}
		if c == ',' {
			start = true
		}
		out = append(out, c)
	}
	return string(out)
}
