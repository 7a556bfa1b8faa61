package jsonscan

import "bytes"

// Values is an upper bound of the number of JSON values in b: one for b
// itself and one more for each '[', '{' and ',' outside strings. It is what
// a server weighs before it decodes an untrusted body, since a decoder
// makes at least one Go value of each (a body of 60 MB of "{}," becomes 20
// million structs); it reads b once, without checking it, and a body that
// is not JSON is counted all the same (a server may refuse it for its
// cost before its syntax is checked).
func Values(b []byte) int {
	n := 1
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '[', '{', ',':
			n++
		case '"':
			i = stringEnd(b, i+1)
		}
	}
	return n
}

// stringEnd returns the index of the quote that closes the string whose
// content starts at i (len(b) when none does): the first quote after i
// not escaped by an odd number of backslashes.
func stringEnd(b []byte, i int) int {
	for {
		k := bytes.IndexByte(b[i:], '"')
		if k < 0 {
			return len(b)
		}
		q := i + k
		s := q
		for s > i && b[s-1] == '\\' {
			s--
		}
		if (q-s)%2 == 0 {
			return q
		}
		i = q + 1
	}
}
