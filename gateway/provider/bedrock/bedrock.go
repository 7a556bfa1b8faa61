// Package bedrock is the gateway's adapter for Amazon Bedrock's runtime API
// (https://docs.aws.amazon.com/bedrock/latest/APIReference/API_Operations_Amazon_Bedrock_Runtime.html),
// every request signed with SigV4 by the AWS SDK for Go v2's signer.
// Chat and completions go to Converse (/model/{modelId}/converse; streams
// to /converse-stream, AWS's binary event stream), one API for every model
// family, where MLflow 2.x calls InvokeModel with a body per family:
// system messages → system, max_tokens/temperature/top_p/stop →
// inferenceConfig (temperature halved: MLflow's range 0–2 onto Bedrock's
// 0–1, as MLflow does for Titan and Anthropic), tools → toolConfig, tool
// calls and results → toolUse / toolResult blocks. Embeddings go to
// InvokeModel (/model/{modelId}/invoke) with the family's body: Amazon
// Titan ({"inputText"}, one call per input) or Cohere ({"texts"}).
//
// model.config settings (MLflow's; registered as bedrock and amazon-bedrock):
//
//	aws_config.aws_region             required here (MLflow falls back to boto3's default)
//	aws_config.aws_access_key_id      required here, with aws_secret_access_key
//	aws_config.aws_secret_access_key
//	aws_config.aws_session_token      optional
//	bedrock_api_base                  berth's addition: the runtime URL; default https://bedrock-runtime.<region>.amazonaws.com
//
// MLflow's aws_config.aws_role_arn (an STS AssumeRole) and boto3's default
// credential chain are not supported: a config using them is refused.
package bedrock

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/berthml/berth/gateway/provider"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// Name is MLflow's name for this provider.
const Name = "bedrock"

// service is the SigV4 signing name of the Bedrock runtime.
const service = "bedrock"

func init() {
	provider.Register(provider.Spec{Name: Name, Aliases: []string{"amazon-bedrock"}, New: New, RequiredFields: []string{"aws_config"}})
}

// Provider calls Bedrock for one endpoint.
type Provider struct {
	up     upstream.Caller
	model  string
	region string
	creds  aws.Credentials
	signer *v4.Signer
	base   string // base + "/model/" + escaped model id
	now    func() time.Time
}

// New builds the adapter from an endpoint's model config.
func New(cfg provider.Config) (provider.Provider, error) {
	ac, ok := cfg.Settings["aws_config"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("aws_config must be a mapping")
	}
	str := func(k string) string { s, _ := ac[k].(string); return s }
	if str("aws_role_arn") != "" {
		return nil, fmt.Errorf("aws_config.aws_role_arn is not supported by berth yet: give aws_access_key_id and aws_secret_access_key")
	}
	region := str("aws_region")
	if region == "" {
		return nil, fmt.Errorf("aws_config.aws_region is required")
	}
	id, secret := str("aws_access_key_id"), str("aws_secret_access_key")
	if id == "" || secret == "" {
		return nil, fmt.Errorf("aws_config.aws_access_key_id and aws_config.aws_secret_access_key are required (the default credential chain is not supported)")
	}
	if cfg.Model == "" {
		return nil, fmt.Errorf("model.name (the Bedrock model id) is required")
	}
	base := strings.TrimRight(cfg.String("bedrock_api_base"), "/")
	if base == "" {
		base = "https://bedrock-runtime." + region + ".amazonaws.com"
	}
	if _, err := url.Parse(base); err != nil {
		return nil, fmt.Errorf("bedrock_api_base: %w", err)
	}
	name := cfg.Provider
	if name == "" {
		name = Name
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	return &Provider{
		up:     upstream.Caller{Provider: name, Client: cfg.HTTPClient, Now: now},
		model:  cfg.Model,
		region: region,
		creds:  aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: str("aws_session_token"), Source: "berth gateway config"},
		signer: v4.NewSigner(),
		base:   base + "/model/" + strings.ReplaceAll(url.PathEscape(cfg.Model), ":", "%3A"), // as the SDK escapes model ids
		now:    now,
	}, nil
}

// post signs and sends body to the model's op (converse, converse-stream,
// invoke) and returns the 2xx answer.
func (p *Provider) post(ctx context.Context, op string, body any) (*http.Response, error) {
	b, err := json.Marshal(body)
	if err != nil {
		return nil, p.up.Err(provider.KindInvalidRequest, "encoding the request", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.base+"/"+op, bytes.NewReader(b))
	if err != nil {
		return nil, p.up.Err(provider.KindUnreachable, "building the request", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	if op == "converse-stream" {
		req.Header.Set("Accept", "application/vnd.amazon.eventstream")
	}
	sum := sha256.Sum256(b)
	if err := p.signer.SignHTTP(ctx, p.creds, req, hex.EncodeToString(sum[:]), service, p.region, p.now()); err != nil {
		return nil, p.up.Err(provider.KindInvalidRequest, "signing the request", err)
	}
	return p.up.Do(ctx, req)
}
