// Package builtin registers the flavors berth ships with. Import it for its
// side effect:
//
//	import _ "github.com/berthml/berth/flavors/builtin"
package builtin

import (
	_ "github.com/berthml/berth/flavors/onnx"      // ONNX through ONNX Runtime
	_ "github.com/berthml/berth/flavors/promptlab" // promptlab models: prompts through a gateway
)
