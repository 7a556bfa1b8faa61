package scoring

import (
	"math"
	"slices"

	"github.com/berthml/berth/internal/jsonscan"
)

// Runs of numbers in the parse: a tensor's innermost lists read in one
// loop into doc.nums, and the rows of a matrix found by the bytes between
// them.

// learnRowGap learns what lies between the row that ends at p.pos and
// the first number of the next, where that is ',', '[' and white space
// only (32 bytes at most): json.dumps writes the same between all rows of
// a matrix.
func (p *parser) learnRowGap() {
	s := p.s
	i := jsonscan.SkipSpace(s, p.pos)
	if i >= len(s) || s[i] != ',' {
		return
	}
	j := jsonscan.SkipSpace(s, i+1)
	if j >= len(s) || s[j] != '[' {
		return
	}
	if k := jsonscan.SkipSpace(s, j+1); k < len(s) && k-p.pos <= 32 && (s[k] == '-' || s[k]-'0' <= 9) {
		p.rowGap, p.rowOpen = s[p.pos:k], j-p.pos
	}
}

// nextRow reports whether the learnt gap between rows follows p.pos, and
// a number after it.
func (p *parser) nextRow() bool {
	k := p.pos + len(p.rowGap)
	return p.rowGap != "" && k < len(p.s) && (p.s[k] == '-' || p.s[k]-'0' <= 9) && p.s[p.pos:k] == p.rowGap
}

// numbers reads the run of numbers that starts array arr's elements at
// p.pos: the whole content of a tensor's innermost lists, in one loop
// (jsonscan.FloatsGap) into d.nums instead of a node per element. done says
// it read the closing ']': the array is then dense (or, when shorter than
// p.minDense, has its number nodes). Otherwise the run is given its nodes,
// p.pos is at the element that ended it and array goes on from last: the
// general path reads that element and reports any problem with the same
// message and offset as before.
func (p *parser) numbers(arr int32) (last, count int32, done bool) {
	d, s := p.d, p.s
	base := len(d.nums)
	pos := p.pos
	runStart := pos
	closed := false
	for {
		if len(d.nums) == cap(d.nums) {
			d.nums = slices.Grow(d.nums, max(cap(d.nums), 1024))
		}
		var k int
		k, pos, closed = jsonscan.FloatsGap(s, pos, d.nums[len(d.nums):cap(d.nums)], math.Inf(1), &p.gap)
		d.nums = d.nums[:len(d.nums)+k]
		if closed {
			break
		}
		if len(d.nums) == cap(d.nums) {
			continue // full: grow and go on
		}
		// An element Floats leaves to others: a number it does not convert
		// exactly (more than 19 digits, a huge exponent) is read here and
		// the run goes on; anything else ends the run.
		f, _, end, exact, prob := jsonscan.Float(s, pos)
		if prob != 0 {
			break
		}
		if !exact {
			f, _ = parseFloat(s[pos:end])
		}
		j := jsonscan.SkipSpace(s, end)
		if j >= len(s) || (s[j] != ',' && s[j] != ']') {
			break // the general path reports it
		}
		d.nums = append(d.nums, f)
		if s[j] == ']' {
			pos, closed = j+1, true
			break
		}
		if pos = jsonscan.SkipSpace(s, j+1); pos >= len(s) || (s[pos] != '-' && s[pos]-'0' > 9) {
			break // not a number next: the general path goes on from here
		}
	}
	count = int32(len(d.nums) - base)
	if closed && count >= p.minDense && denseRuns {
		n := &d.nodes[arr]
		n.flags |= flagDense
		n.head, n.n, n.end = int32(base), count, int32(pos)
		p.pos = pos
		return -1, count, true
	}
	// Short, or followed by something that is not a number: a node per
	// number, as the readers of mixed lists expect.
	vals := d.nums[base:]
	d.nums = d.nums[:base]
	last = d.numberNodes(arr, runStart, vals)
	if closed {
		d.nodes[arr].n = count
		d.nodes[arr].end = int32(pos)
		p.pos = pos
		return last, count, true
	}
	p.pos = pos
	return last, count, false
}

// numberNodes appends a node for each of the numbers vals whose text
// starts at pos, the first child of array arr, and links them; it returns
// the last one. The numbers were scanned before: only their spans are
// found again.
func (d *doc) numberNodes(arr int32, pos int, vals []float64) (last int32) {
	last = -1
	for _, f := range vals {
		start, end, _ := jsonscan.Number(d.src, pos)
		idx := int32(len(d.nodes))
		d.nodes = appendNode(d.nodes, node{kind: kindNumber, flags: flagFloat, f: f,
			start: int32(start), end: int32(end), head: -1, next: -1})
		if last >= 0 {
			d.nodes[last].next = idx
		} else {
			d.nodes[arr].head = idx
		}
		last = idx
		pos = jsonscan.SkipSpace(d.src, end) + 1 // past the ','
	}
	return last
}
