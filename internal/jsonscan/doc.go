// Package jsonscan is the JSON scanner under berth's two scoring
// protocols: one grammar for numbers and strings, one escape and
// surrogate decoder, one depth limit ([MaxDepth]) and one set of syntax
// problems, shared by api/scoring (which builds a flat arena of spans over
// the body, with a tensor's lists of numbers converted into one slice as
// they are scanned) and api/oip (which streams the body and parses tensor
// data in place).
//
// The pieces work on a string or a []byte in place ([Text]): [SkipSpace],
// [Number], [Float] and [String] scan one token and say where it ends, or where
// and why ([Problem]) it went wrong; [Unescape] decodes an escaped
// string's content; [Skip], [Valid], [Value] and [Decode] walk whole
// values. [Decode] reads what [encoding/json] reads, to the same values
// (numbers as [encoding/json.Number], lone surrogates as U+FFFD, the last
// of duplicate keys winning); it refuses valid JSON only deeper than
// MaxDepth or not UTF-8. FuzzDecode checks exactly that against
// encoding/json.
//
// [Float] is [Number] that converts as it scans: the mantissa eight digits
// at a time, then Clinger's exact path or Eisel-Lemire over strconv's
// power table, bit for bit what strconv.ParseFloat gives (FuzzFloat,
// FuzzFloatBits), falling back to strconv only where it cannot decide.
// [Floats] reads a whole run of numbers (a tensor's innermost list) into
// a float32 or float64 slice: the common number in one loop that keeps its
// state in registers, the separator between elements (comma, newline,
// indent) learnt once and matched a word or two at a time, anything else
// through [Float] (FuzzFloats checks it against one Float per element);
// [FloatsGap] carries the learnt separator from one run of a body to the
// next. The figures below predate both; docs/speed.md has the current ones
// (about 1.4 GB/s of CPU time into a float32 tensor for MLflow's
// pretty-printed examples, 15-16× encoding/json).
//
// # Why not encoding/json or gjson
//
// The scoring servers' hot path is turning a body of numbers into a
// float32/float64 tensor without an allocation per element, after
// refusing any body that is not JSON. BenchmarkFloats measures it on a
// 10,000-row "inputs" body (390 kB; Go 1.26 on a shared, loaded 2-core
// Xeon, so take ±30%): this package's grammar with strconv 2.0 ms and 0
// allocations; gjson 2.7 ms (ValidBytes, then GetBytes/ForEach/Float:
// gjson does not check syntax while it reads, so the check is a second
// pass); encoding/json into a [][]float64 8.7 ms with 30,000 allocations
// (4.4× this package).
//
// gjson validates faster than this package (BenchmarkValid on that body:
// 0.45 ms against 0.74 ms; encoding/json 0.80 ms), and decoding a whole
// body into any is a wash between the three (BenchmarkDecode: gjson 5.6
// ms, this package 8.7 ms, encoding/json 11 ms in one run; 5.5, 5.3 and
// 8.0 ms in another). gjson is not used because it is a query engine over
// a document it assumes valid: its Valid answers only yes or no, while
// both protocols answer a malformed body with the byte offset and the
// problem, and enforce a depth limit; and the protocols fill tensors
// straight from the number spans they scanned, which reading through
// gjson's Result values would only slow down. encoding/json has the
// messages but is 4× slower on the hot path and allocates per element.
package jsonscan
