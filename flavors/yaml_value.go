package flavors

import (
	"fmt"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"
)

// maxAliasBytes bounds what YAML aliases may expand to (each value or key
// counts its text plus one), so that a small file of nested aliases
// ("billion laughs") cannot exhaust memory, here or when written back.
const maxAliasBytes = 1 << 18

// nodeReader turns YAML nodes into plain Go values: map[string]any, []any,
// string, int, uint64, float64, bool and nil, as yaml.v3 decodes them into
// an interface, with field paths in its errors.
type nodeReader struct {
	expanding  map[*yaml.Node]bool // aliases being expanded, to refuse cycles
	aliasDepth int
	aliasBytes int
}

func newNodeReader() *nodeReader {
	return &nodeReader{expanding: map[*yaml.Node]bool{}}
}

// resolve follows aliases to the node they name.
func (r *nodeReader) resolve(n *yaml.Node, path string) (*yaml.Node, error) {
	for n.Kind == yaml.AliasNode {
		if n.Alias == nil {
			return nil, fieldErr(path, "alias %q names no anchor", n.Value)
		}
		n = n.Alias
	}
	return n, nil
}

// value converts n, the value at path, to a plain Go value.
func (r *nodeReader) value(n *yaml.Node, path string) (any, error) {
	if err := r.charge(n, path); err != nil {
		return nil, err
	}
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias == nil {
			return nil, fieldErr(path, "alias %q names no anchor", n.Value)
		}
		if r.expanding[n.Alias] {
			return nil, fieldErr(path, "alias %q contains itself", n.Value)
		}
		r.expanding[n.Alias] = true
		r.aliasDepth++
		defer func() { r.aliasDepth--; delete(r.expanding, n.Alias) }()
		return r.value(n.Alias, path)
	case yaml.ScalarNode:
		var v any
		if err := n.Decode(&v); err != nil {
			return nil, fieldErr(path, "%v", err)
		}
		if s, ok := v.(string); ok && !utf8.ValidString(s) {
			return nil, fieldErr(path, "value is not valid UTF-8 text")
		}
		return v, nil
	case yaml.MappingNode:
		return r.mapping(n, path)
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for i, c := range n.Content {
			v, err := r.value(c, fmt.Sprintf("%s[%d]", path, i))
			if err != nil {
				return nil, err
			}
			s = append(s, v)
		}
		return s, nil
	}
	return nil, fieldErr(path, "unexpected YAML node")
}

// charge counts n against maxAliasBytes when it is reached through an
// alias.
func (r *nodeReader) charge(n *yaml.Node, path string) error {
	if r.aliasDepth == 0 {
		return nil
	}
	if r.aliasBytes += len(n.Value) + 1; r.aliasBytes > maxAliasBytes {
		return fieldErr(path, "aliases expand to more than %d bytes", maxAliasBytes)
	}
	return nil
}

// mapping converts a mapping node; its keys must be scalars and distinct.
func (r *nodeReader) mapping(n *yaml.Node, path string) (map[string]any, error) {
	m := make(map[string]any, len(n.Content)/2)
	err := r.eachPair(n, path, func(key string, v *yaml.Node) error {
		val, err := r.value(v, joinPath(path, key))
		m[key] = val
		return err
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// eachPair calls fn for each key and value node of the mapping n, in
// order, refusing keys that are not scalars or that repeat.
func (r *nodeReader) eachPair(n *yaml.Node, path string, fn func(key string, v *yaml.Node) error) error {
	seen := make(map[string]bool, len(n.Content)/2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, err := r.resolve(n.Content[i], path)
		if err != nil {
			return err
		}
		if err := r.charge(k, path); err != nil {
			return err
		}
		if k.Kind != yaml.ScalarNode {
			return fieldErr(path, "mapping key on line %d is not a plain string", k.Line)
		}
		if !utf8.ValidString(k.Value) {
			return fieldErr(path, "mapping key on line %d is not valid UTF-8 text", k.Line)
		}
		if seen[k.Value] {
			return fieldErr(path, "key %q appears twice", k.Value)
		}
		seen[k.Value] = true
		if err := fn(k.Value, n.Content[i+1]); err != nil {
			return err
		}
	}
	return nil
}

// kindName describes a node's kind for error messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!null" {
			return "null"
		}
		return fmt.Sprintf("%q", n.Value)
	}
	return "an alias"
}

func joinPath(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}
