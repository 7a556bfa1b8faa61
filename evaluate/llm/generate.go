package llm

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/berthml/berth/api/deployments"
)

// placeholder is MLflow's prompt template variable: {{ name }}.
var placeholder = regexp.MustCompile(`\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}`)

// Template is a prompt template with {{ variable }} placeholders, as
// MLflow's prompt engineering UI writes them.
type Template struct {
	text string
	vars []string
}

// ErrBadTemplate is wrapped by ParseTemplate's errors.
var ErrBadTemplate = errors.New("invalid prompt template")

// ParseTemplate parses s, refusing braces that are not a whole
// placeholder ("{{ x", "{{ 1x }}", "}}" alone).
func ParseTemplate(s string) (*Template, error) {
	t := &Template{text: s}
	seen := map[string]bool{}
	rest := placeholder.ReplaceAllStringFunc(s, func(m string) string {
		v := placeholder.FindStringSubmatch(m)[1]
		if !seen[v] {
			seen[v] = true
			t.vars = append(t.vars, v)
		}
		return ""
	})
	if i := strings.Index(rest, "{{"); i >= 0 {
		return nil, fmt.Errorf("%w: an unclosed or invalid {{ placeholder: want {{ name }} with name of letters, digits and _", ErrBadTemplate)
	}
	if strings.Contains(rest, "}}") {
		return nil, fmt.Errorf("%w: }} without {{", ErrBadTemplate)
	}
	return t, nil
}

// Variables are the template's variables in order of first use.
func (t *Template) Variables() []string { return t.vars }

// Render fills the placeholders from vals.
func (t *Template) Render(vals map[string]string) string {
	return placeholder.ReplaceAllStringFunc(t.text, func(m string) string {
		return vals[placeholder.FindStringSubmatch(m)[1]]
	})
}

// Generator turns a prompt into an output.
type Generator interface {
	Generate(ctx context.Context, prompt string) (string, error)
}

// Gateway generates through an MLflow Deployments (gateway) chat endpoint:
// the prompt is one user message.
type Gateway struct {
	Client      *deployments.Client
	Endpoint    string
	Temperature *float64 // nil: the endpoint's default
	MaxTokens   *int     // nil: the endpoint's default
}

// Generate asks the endpoint and returns the first choice's text.
func (g *Gateway) Generate(ctx context.Context, prompt string) (string, error) {
	resp, err := g.Client.Chat(ctx, g.Endpoint, &deployments.ChatRequest{
		Messages: []deployments.Message{deployments.TextMessage("user", prompt)}, Temperature: g.Temperature, MaxTokens: g.MaxTokens})
	if err != nil {
		return "", err
	}
	if len(resp.Choices) == 0 || resp.Choices[0].Message.Content == nil {
		return "", fmt.Errorf("endpoint %s answered no text", g.Endpoint)
	}
	return *resp.Choices[0].Message.Content, nil
}

// Generate renders tmpl for every row of tab (each variable a column) and
// asks gen, at most concurrency calls at once. It returns the outputs and
// each row's latency in seconds; the first failure stops it and names its
// row.
func Generate(ctx context.Context, gen Generator, tmpl *Template, tab *Table, concurrency int) ([]*string, []float64, error) {
	cols := map[string][]*string{}
	for _, v := range tmpl.Variables() {
		c, err := tab.TextColumn(v)
		if err != nil {
			return nil, nil, fmt.Errorf("the template's variable %q: %w", v, err)
		}
		cols[v] = c
	}
	n := len(tab.Data)
	outs, lat := make([]*string, n), make([]float64, n)
	err := fanOut(ctx, n, concurrency, func(ctx context.Context, i int) error {
		vals := map[string]string{}
		for v, c := range cols {
			if c[i] != nil {
				vals[v] = *c[i]
			}
		}
		start := time.Now()
		out, err := gen.Generate(ctx, tmpl.Render(vals))
		lat[i] = time.Since(start).Seconds()
		if err != nil {
			return fmt.Errorf("row %d: %w", i+1, err)
		}
		outs[i] = &out
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return outs, lat, nil
}
