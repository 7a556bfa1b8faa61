// Package builtin registers berth's built-in gateway providers: import it
// for its side effects (import _ ".../gateway/provider/builtin"). Each
// adapter package registers itself in its init; add one line here per
// adapter.
package builtin

import (
	_ "github.com/berthml/berth/gateway/provider/berth"         // berth: embedding models run in the gateway's process (ONNX Runtime)
	_ "github.com/berthml/berth/gateway/provider/mlflowserving" // mlflow-model-serving: MLflow scoring servers, berth serve
	_ "github.com/berthml/berth/gateway/provider/openai"        // openai, azure, azuread, OpenAI-compatible servers

	// The SaaS adapters.
	_ "github.com/berthml/berth/gateway/provider/anthropic"  // anthropic (Messages API)
	_ "github.com/berthml/berth/gateway/provider/bedrock"    // bedrock, amazon-bedrock
	_ "github.com/berthml/berth/gateway/provider/cohere"     // cohere (v1 API)
	_ "github.com/berthml/berth/gateway/provider/gemini"     // gemini
	_ "github.com/berthml/berth/gateway/provider/mistral"    // mistral
	_ "github.com/berthml/berth/gateway/provider/togetherai" // togetherai
)
