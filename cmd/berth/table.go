package main

import (
	"fmt"
	"io"
	"strings"

	"github.com/berthml/berth/api/mlflowrest"
)

func row(w io.Writer, cols ...any) {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = fmt.Sprint(c)
	}
	fmt.Fprintln(w, strings.Join(parts, "\t"))
}

func aliasesOf(as []mlflowrest.RegisteredModelAlias, version string) string {
	var out []string
	for _, a := range as {
		if version == "" || a.Version == version {
			out = append(out, "@"+a.Alias)
		}
	}
	return strings.Join(out, ",")
}
