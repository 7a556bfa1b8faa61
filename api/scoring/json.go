package scoring

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"

	"github.com/berthml/berth/internal/jsonscan"
)

// MaxDepth is the deepest nesting of JSON arrays and objects a request may
// have; deeper bodies are refused before they can exhaust the stack.
const MaxDepth = jsonscan.MaxDepth

// kind is a JSON value's type.
type kind uint8

const (
	kindNull kind = iota
	kindFalse
	kindTrue
	kindNumber
	kindString
	kindArray
	kindObject
)

func (k kind) String() string {
	switch k {
	case kindNull:
		return "null"
	case kindFalse, kindTrue:
		return "boolean"
	case kindNumber:
		return "number"
	case kindString:
		return "string"
	case kindArray:
		return "list"
	case kindObject:
		return "object"
	}
	return "?"
}

const (
	flagEscaped uint8 = 1 << iota // string holds backslash escapes
	flagExt                       // string is doc.ext[start] (a CSV cell)
	flagFloat                     // number whose float64 value is in f
	flagDense                     // array of numbers whose values are doc.nums[head:head+n]
)

// node is one JSON value in a doc's flat arena. Containers link their
// children through head/next; an object's children alternate key, value.
// A dense array (flagDense: a list of numbers only, such as a tensor's
// innermost list) has no child nodes: its values are doc.nums[head :
// head+n], and [doc.first] gives it child nodes when a reader needs them.
type node struct {
	start, end int32 // raw span in src: a string's content, a number's text
	head       int32 // first child, or -1; for a dense array, its first value in doc.nums
	next       int32 // next sibling, or -1
	n          int32 // elements of an array, members of an object
	kind       kind
	flags      uint8
	f          float64 // a number's value, where flags has flagFloat
}

// doc is a parsed JSON body (or a CSV table dressed as one): values are
// kept as spans of src and decoded only when a tensor is filled, so a
// numeric array costs no allocation per element.
type doc struct {
	src     string
	nodes   []node
	nums    []float64 // the values of dense arrays, in document order
	ext     []string  // cells that are not spans of src
	strings int       // string nodes, object keys included
}

// appendNode appends n, doubling the arena when it is full: append's
// growth of a quarter for large slices would allocate about five times a
// large body's final arena on the way there, doubling about twice.
func appendNode(nodes []node, n node) []node {
	if len(nodes) == cap(nodes) {
		nodes = slices.Grow(nodes, max(cap(nodes), 256))
	}
	return append(nodes, n)
}

// maxPooledNodes is the largest arena kept for the next request (4 MiB
// of nodes): a huge body's arena goes to the garbage collector instead.
// maxPooledNums is the same for the values of dense arrays (4 MiB).
const (
	maxPooledNodes = 1 << 17
	maxPooledNums  = 1 << 19
)

// denseFrom is the shortest list of numbers a parse keeps dense (one span
// of doc.nums, no node per number), within a top-level "dataframe_split"
// (split) and everywhere else (other). A decoder that reads a tensor's
// lists, or a frame through fromDenseSplit, wants every list dense (1): a
// tensor's rows, however short, are then one span like its long ones
// (twice as fast for iris rows). One that reads values through a node
// each wants short lists (an iris row, a short column) to get their nodes
// as they are parsed (nodesBelow), which is cheaper than giving them to a
// dense list later.
type denseFrom struct{ other, split int32 }

// allDense keeps every list of numbers dense, wherever it is.
var allDense = denseFrom{other: 1, split: 1}

// nodesBelow is where a list of numbers read through nodes becomes dense
// anyway: long lists are cheaper to give nodes to on demand.
const nodesBelow = 8

// denseRuns turns dense arrays on; tests turn them off to check that both
// ways decode every body alike.
var denseRuns = true

// rowRuns turns on reading the rows of a matrix by the gap between them
// (parser.nextRow); tests turn it off to check that the docs are the same.
var rowRuns = true

// jsonError is a syntax error at a byte offset.
type jsonError struct {
	off int
	msg string
	// notUTF8 says the body is not UTF-8 (off and msg are then unset):
	// found in a string, the only place a body that parses can hold
	// bytes beyond ASCII.
	notUTF8 bool
}

type parser struct {
	d        *doc
	s        string
	pos      int
	err      *jsonError
	gap      jsonscan.Gap // the separator between numbers learnt in the last run
	rowGap   string       // the bytes from a row's ']' to the next row's first number, learnt; "" while unknown
	rowOpen  int          // where the next row's '[' is in rowGap
	dense    denseFrom
	minDense int32 // the one of dense that applies where the parse is
}

// parseJSON parses src into d, reusing d's arena.
func parseJSON(d *doc, src string, dense denseFrom) *jsonError {
	d.src = src
	d.nodes = d.nodes[:0]
	d.nums = d.nums[:0]
	d.ext = d.ext[:0]
	d.strings = 0
	p := parser{d: d, s: src, dense: dense, minDense: dense.other}
	p.skipSpace()
	if p.pos >= len(p.s) {
		return &jsonError{off: p.pos, msg: "expecting a value, found the end of the input"}
	}
	p.value(0)
	if p.err != nil {
		return p.err
	}
	p.skipSpace()
	if p.pos < len(p.s) {
		return &jsonError{off: p.pos, msg: "extra data after the JSON value"}
	}
	return nil
}

func (p *parser) fail(msg string) int32 {
	if p.err == nil {
		p.err = &jsonError{off: p.pos, msg: msg}
	}
	return -1
}

func (p *parser) skipSpace() {
	p.pos = jsonscan.SkipSpace(p.s, p.pos)
}

func (p *parser) add(k kind, start int) int32 {
	p.d.nodes = appendNode(p.d.nodes, node{kind: k, start: int32(start), end: int32(start), head: -1, next: -1})
	return int32(len(p.d.nodes) - 1)
}

// value parses the value at p.pos (not space) and returns its node.
func (p *parser) value(depth int) int32 {
	if p.pos >= len(p.s) {
		return p.fail("expecting a value, found the end of the input")
	}
	switch c := p.s[p.pos]; {
	case c == '{' || c == '[':
		if depth >= MaxDepth {
			return p.fail(jsonscan.TooDeep.String())
		}
		if c == '{' {
			return p.object(depth + 1)
		}
		return p.array(depth + 1)
	case c == '"':
		return p.str()
	case c == '-' || (c >= '0' && c <= '9'):
		// scanned and converted here, not in a method, to keep one call
		// per number: the scan that checks the grammar also gives the
		// value, so filling a tensor does not read the digits again.
		f, _, end, exact, prob := jsonscan.Float(p.s, p.pos)
		if prob != 0 {
			return p.badNumber(end, prob)
		}
		nd := node{kind: kindNumber, start: int32(p.pos), end: int32(end), head: -1, next: -1}
		if exact {
			nd.flags, nd.f = flagFloat, f
		}
		p.d.nodes = appendNode(p.d.nodes, nd)
		p.pos = end
		return int32(len(p.d.nodes) - 1)
	case c == 't':
		return p.literal("true", kindTrue)
	case c == 'f':
		return p.literal("false", kindFalse)
	case c == 'n':
		return p.literal("null", kindNull)
	case c == 'N' || c == 'I':
		return p.fail("NaN and Infinity are not valid JSON numbers; send finite numbers")
	}
	return p.fail("expecting a value")
}

func (p *parser) literal(word string, k kind) int32 {
	if len(p.s)-p.pos < len(word) || p.s[p.pos:p.pos+len(word)] != word {
		return p.fail("expecting a value")
	}
	i := p.add(k, p.pos)
	p.pos += len(word)
	p.d.nodes[i].end = int32(p.pos)
	return i
}

// badNumber fails on a number that went wrong at end.
func (p *parser) badNumber(end int, prob jsonscan.Problem) int32 {
	if prob == jsonscan.BadNumber && end == p.pos+1 && p.s[p.pos] == '-' && end < len(p.s) && p.s[end] == 'I' {
		return p.fail("NaN and Infinity are not valid JSON numbers; send finite numbers")
	}
	p.pos = end
	return p.fail(prob.String())
}

func (p *parser) str() int32 {
	end, escaped, ascii, prob := jsonscan.StringASCII(p.s, p.pos+1)
	if prob != 0 {
		return p.badString(end, prob)
	}
	var flags uint8
	if escaped {
		flags = flagEscaped
	}
	if !ascii && !utf8.ValidString(p.s[p.pos+1:end]) {
		if p.err == nil {
			p.err = &jsonError{notUTF8: true}
		}
		return -1
	}
	p.d.nodes = appendNode(p.d.nodes, node{kind: kindString, flags: flags, start: int32(p.pos + 1), end: int32(end), head: -1, next: -1})
	p.d.strings++
	p.pos = end + 1
	return int32(len(p.d.nodes) - 1)
}

func (p *parser) badString(end int, prob jsonscan.Problem) int32 {
	p.pos = end
	return p.fail(prob.String())
}

func (p *parser) array(depth int) int32 {
	n := p.add(kindArray, p.pos)
	p.pos++
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == ']' {
		p.pos++
		p.d.nodes[n].end = int32(p.pos)
		return n
	}
	last := int32(-1)
	count := int32(0)
	if p.pos < len(p.s) && (p.s[p.pos] == '-' || p.s[p.pos]-'0' <= 9) {
		var done bool
		if last, count, done = p.numbers(n); done {
			return n
		}
	}
	return p.elements(n, depth, last, count)
}

// elements reads array n's elements from p.pos on (at an element), after
// last, the count-th: the general path of array.
func (p *parser) elements(n int32, depth int, last, count int32) int32 {
	for {
		p.skipSpace()
		c := p.value(depth)
		if p.err != nil {
			return -1
		}
		if last < 0 {
			p.d.nodes[n].head = c
		} else {
			p.d.nodes[last].next = c
		}
		last = c
		count++
		if rowRuns && p.d.nodes[c].flags&flagDense != 0 {
			// A row of numbers: the rows after it are read by the bytes
			// between two rows, learnt once, instead of a byte at a time.
			// (Its depth is within MaxDepth, since c is.)
			if p.rowGap == "" {
				p.learnRowGap()
			}
			for p.nextRow() {
				r := p.add(kindArray, p.pos+p.rowOpen)
				p.pos += len(p.rowGap)
				rl, rc, done := p.numbers(r)
				if !done && p.elements(r, depth+1, rl, rc) < 0 {
					return -1
				}
				p.d.nodes[last].next = r
				last = r
				count++
			}
		}
		p.skipSpace()
		if p.pos >= len(p.s) {
			return p.fail("expecting ',' or ']', found the end of the input")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case ']':
			p.pos++
			p.d.nodes[n].n = count
			p.d.nodes[n].end = int32(p.pos)
			return n
		default:
			return p.fail("expecting ',' or ']'")
		}
	}
}

// first returns node i's first child, or -1. A dense array gets its
// number nodes first (appended to the arena: a pointer into d.nodes taken
// before the call is stale after it).
func (d *doc) first(i int32) int32 {
	if d.nodes[i].flags&flagDense != 0 {
		d.expand(i)
	}
	return d.nodes[i].head
}

// firstKind returns the kind of container i's first child, without giving
// a dense array its nodes. i must have a child.
func (d *doc) firstKind(i int32) kind {
	if d.nodes[i].flags&flagDense != 0 {
		return kindNumber
	}
	return d.nodes[d.nodes[i].head].kind
}

// expand gives dense array a its number nodes.
func (d *doc) expand(a int32) {
	n := d.nodes[a]
	d.nodes[a].flags &^= flagDense
	d.nodes[a].head = -1
	d.numberNodes(a, int(n.start)+1, d.nums[n.head:n.head+n.n])
}

// expandTree gives every dense array within value v its number nodes.
func (d *doc) expandTree(v int32) {
	n := &d.nodes[v]
	switch {
	case n.flags&flagDense != 0:
		d.expand(v)
	case n.kind == kindArray:
		for c := n.head; c >= 0; c = d.nodes[c].next {
			d.expandTree(c)
		}
	case n.kind == kindObject:
		for k := n.head; k >= 0; k = d.nodes[d.nodes[k].next].next {
			d.expandTree(d.nodes[k].next)
		}
	}
}

func (p *parser) object(depth int) int32 {
	n := p.add(kindObject, p.pos)
	p.pos++
	p.skipSpace()
	if p.pos < len(p.s) && p.s[p.pos] == '}' {
		p.pos++
		p.d.nodes[n].end = int32(p.pos)
		return n
	}
	last := int32(-1)
	count := int32(0)
	for {
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != '"' {
			return p.fail("expecting a property name enclosed in double quotes")
		}
		k := p.str()
		if p.err != nil {
			return -1
		}
		p.skipSpace()
		if p.pos >= len(p.s) || p.s[p.pos] != ':' {
			return p.fail("expecting ':' after a property name")
		}
		p.pos++
		p.skipSpace()
		if depth == 1 { // a member of the body's object
			p.minDense = p.dense.other
			if p.d.keyIs(k, FieldDataframeSplit) {
				p.minDense = p.dense.split
			}
		}
		v := p.value(depth)
		if p.err != nil {
			return -1
		}
		if last < 0 {
			p.d.nodes[n].head = k
		} else {
			p.d.nodes[last].next = k
		}
		p.d.nodes[k].next = v
		last = v
		count++
		p.skipSpace()
		if p.pos >= len(p.s) {
			return p.fail("expecting ',' or '}', found the end of the input")
		}
		switch p.s[p.pos] {
		case ',':
			p.pos++
		case '}':
			p.pos++
			p.d.nodes[n].n = count
			p.d.nodes[n].end = int32(p.pos)
			return n
		default:
			return p.fail("expecting ',' or '}'")
		}
	}
}

// raw returns a node's span of src (a number's text, a string's escaped
// content).
func (d *doc) raw(i int32) string {
	n := &d.nodes[i]
	if n.flags&flagExt != 0 {
		return d.ext[n.start]
	}
	return d.src[n.start:n.end]
}

// text returns a string node's value, unescaped.
func (d *doc) text(i int32) string {
	n := &d.nodes[i]
	if n.flags&flagExt != 0 {
		return d.ext[n.start]
	}
	s := d.src[n.start:n.end]
	if n.flags&flagEscaped == 0 {
		return s
	}
	return jsonscan.Unescape(s)
}

// member returns the value of the last member of object o called key, or
// -1. The last one wins, as with Python's json.
func (d *doc) member(o int32, key string) int32 {
	found := int32(-1)
	for k := d.nodes[o].head; k >= 0; {
		v := d.nodes[k].next
		if d.keyIs(k, key) {
			found = v
		}
		k = d.nodes[v].next
	}
	return found
}

// keyIs reports whether string node k equals key.
func (d *doc) keyIs(k int32, key string) bool {
	n := &d.nodes[k]
	if n.flags == 0 {
		return d.src[n.start:n.end] == key
	}
	return d.text(k) == key
}

// float returns number node i's value as a float64, as parseFloat gives it.
func (d *doc) float(i int32) float64 {
	if n := &d.nodes[i]; n.flags&flagFloat != 0 {
		return n.f
	}
	f, _ := parseFloat(d.raw(i))
	return f
}

// parseFloat parses a number's text as a float64. Python's json turns
// numbers too large for a float64 into ±Inf; so does this.
func parseFloat(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return f, true
		}
		return math.NaN(), false
	}
	return f, true
}

// addExt appends a string node holding s (a CSV cell) and returns it.
func (d *doc) addExt(s string) int32 {
	d.ext = append(d.ext, s)
	d.nodes = appendNode(d.nodes, node{kind: kindString, flags: flagExt, start: int32(len(d.ext) - 1), head: -1, next: -1})
	return int32(len(d.nodes) - 1)
}
