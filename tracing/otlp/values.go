package otlp

import (
	"mime"

	"google.golang.org/protobuf/encoding/protowire"

	"github.com/berthml/berth/internal/jsonscan"
	"github.com/berthml/berth/internal/protofields"
)

// Values is an upper bound of the number of messages (or JSON values)
// Decode makes of body: what a server weighs before decoding an export
// request, since a span of two bytes on the wire becomes a struct of
// hundreds. For protobuf it walks the trace schema's messages (resource
// spans, scope spans, spans, their events, links and status, key-values and
// any-values, arrays and lists within them) without decoding them; for
// JSON it is jsonscan.Values. Bytes that are not a message are counted as
// if every two of them were one.
func Values(body []byte, contentType string) int {
	if mt, _, _ := mime.ParseMediaType(contentType); mt != ContentProtobuf {
		return jsonscan.Values(body)
	}
	return count(body, mRequest, 0)
}

// kind is a message type of the OTLP trace schema, by what its
// length-delimited fields hold.
type kind int

const (
	mRequest       kind = iota // ExportTraceServiceRequest: 1 resource_spans
	mResourceSpans             // 1 resource, 2 scope_spans
	mResource                  // 1 attributes
	mScopeSpans                // 1 scope, 2 spans
	mScope                     // 3 attributes
	mSpan                      // 9 attributes, 11 events, 13 links, 15 status
	mEvent                     // 3 attributes
	mLink                      // 4 attributes
	mKeyValue                  // 2 value
	mAnyValue                  // 5 array_value, 6 kvlist_value
	mArrayValue                // 1 values (AnyValue)
	mKeyValueList              // 1 values (KeyValue)
	mLeaf                      // a message with no messages in it (Status)
)

// child is the kind of field num of a message of kind k, and whether it
// is a message at all.
func child(k kind, num protowire.Number) (kind, bool) {
	switch {
	case k == mRequest && num == 1:
		return mResourceSpans, true
	case k == mResourceSpans && num == 1:
		return mResource, true
	case k == mResourceSpans && num == 2:
		return mScopeSpans, true
	case k == mScopeSpans && num == 1:
		return mScope, true
	case k == mScopeSpans && num == 2:
		return mSpan, true
	case k == mSpan && num == 11:
		return mEvent, true
	case k == mSpan && num == 13:
		return mLink, true
	case k == mSpan && num == 15:
		return mLeaf, true
	case (k == mResource && num == 1) || (k == mScope && num == 3) || (k == mSpan && num == 9) ||
		(k == mEvent && num == 3) || (k == mLink && num == 4) || (k == mKeyValueList && num == 1):
		return mKeyValue, true
	case k == mKeyValue && num == 2, k == mArrayValue && num == 1:
		return mAnyValue, true
	case k == mAnyValue && num == 5:
		return mArrayValue, true
	case k == mAnyValue && num == 6:
		return mKeyValueList, true
	}
	return 0, false
}

// maxDepth bounds the walk into nested arrays and lists; what lies deeper
// is counted by its length.
const maxDepth = 64

// count counts b, a message of kind k, and the messages in it.
func count(b []byte, k kind, depth int) int {
	if depth > maxDepth {
		return 1 + len(b)/2
	}
	n := 1
	err := protofields.Walk(b, func(num protowire.Number, v []byte) error {
		if ck, ok := child(k, num); ok {
			n += count(v, ck, depth+1)
		}
		return nil
	})
	if err != nil {
		return n + len(b)/2
	}
	return n
}
