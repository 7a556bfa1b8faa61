package bedrock_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/protocol/eventstream"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/document"
	"github.com/aws/aws-sdk-go-v2/service/bedrockruntime/types"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider"
	_ "github.com/berthml/berth/gateway/provider/bedrock"
	"github.com/berthml/berth/gateway/provider/internal/upstreamtest"
)

const (
	keyID  = "AKIDEXAMPLE"
	secret = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
	model  = "anthropic.claude-3-haiku-20240307-v1:0"
)

func build(t *testing.T, srv *upstreamtest.Server, m string) provider.Provider {
	return upstreamtest.Build(t, "amazon-bedrock", m, deployments.TypeChat, map[string]any{
		"aws_config":       map[string]any{"aws_region": "us-east-1", "aws_access_key_id": keyID, "aws_secret_access_key": secret},
		"bedrock_api_base": srv.URL,
	})
}

// sdk is the official client, pointed at the same upstream.
func sdk(srv *upstreamtest.Server) *bedrockruntime.Client {
	return bedrockruntime.New(bedrockruntime.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL),
		Credentials: aws.NewCredentialsCache(aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
			return aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, nil
		})), RetryMaxAttempts: 1})
}

const conversation = `{"messages":[
 {"role":"system","content":"Be brief."},
 {"role":"user","content":"Most popular song on WZPZ?"},
 {"role":"assistant","content":"Let me check.","tool_calls":[{"id":"tooluse_1","type":"function","function":{"name":"top_song","arguments":"{\"sign\":\"WZPZ\"}"}}]},
 {"role":"tool","tool_call_id":"tooluse_1","content":"Elemental Hotel"}],
 "tools":[{"type":"function","function":{"name":"top_song","description":"Get the most popular song played on a radio station.","parameters":{"type":"object","properties":{"sign":{"type":"string"}},"required":["sign"]}}}],
 "tool_choice":"required","temperature":1.0,"max_tokens":100,"stop":["END"]}`

// sdkConversation is the same conversation as the SDK's Converse input.
func sdkConversation() *bedrockruntime.ConverseInput {
	return &bedrockruntime.ConverseInput{
		ModelId: aws.String(model),
		System:  []types.SystemContentBlock{&types.SystemContentBlockMemberText{Value: "Be brief."}},
		Messages: []types.Message{
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "Most popular song on WZPZ?"}}},
			{Role: types.ConversationRoleAssistant, Content: []types.ContentBlock{
				&types.ContentBlockMemberText{Value: "Let me check."},
				&types.ContentBlockMemberToolUse{Value: types.ToolUseBlock{ToolUseId: aws.String("tooluse_1"), Name: aws.String("top_song"),
					Input: document.NewLazyDocument(map[string]any{"sign": "WZPZ"})}}}},
			{Role: types.ConversationRoleUser, Content: []types.ContentBlock{
				&types.ContentBlockMemberToolResult{Value: types.ToolResultBlock{ToolUseId: aws.String("tooluse_1"),
					Content: []types.ToolResultContentBlock{&types.ToolResultContentBlockMemberText{Value: "Elemental Hotel"}}}}}},
		},
		InferenceConfig: &types.InferenceConfiguration{MaxTokens: aws.Int32(100), Temperature: aws.Float32(0.5), StopSequences: []string{"END"}},
		ToolConfig: &types.ToolConfiguration{
			Tools: []types.Tool{&types.ToolMemberToolSpec{Value: types.ToolSpecification{Name: aws.String("top_song"),
				Description: aws.String("Get the most popular song played on a radio station."),
				InputSchema: &types.ToolInputSchemaMemberJson{Value: document.NewLazyDocument(map[string]any{
					"type": "object", "properties": map[string]any{"sign": map[string]any{"type": "string"}}, "required": []any{"sign"}})}}}},
			ToolChoice: &types.ToolChoiceMemberAny{},
		},
	}
}

func chat(t *testing.T, body string) *deployments.ChatRequest {
	t.Helper()
	var r deployments.ChatRequest
	if err := json.Unmarshal([]byte(body), &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func decoded(t *testing.T, b []byte) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return v
}

// TestConverseRequestMatchesTheSDK sends one conversation through berth's
// adapter and through the AWS SDK, and compares the two requests.
func TestConverseRequestMatchesTheSDK(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "converse.json")})
	if _, err := sdk(srv).Converse(context.Background(), sdkConversation()); err != nil {
		t.Fatal(err)
	}
	want := srv.Last(t)
	if _, err := build(t, srv, model).Chat(context.Background(), chat(t, conversation)); err != nil {
		t.Fatal(err)
	}
	got := srv.Last(t)
	if got.RequestURI != want.RequestURI || got.RequestURI != "/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse" {
		t.Errorf("path %s, the SDK's %s", got.RequestURI, want.RequestURI)
	}
	if g, w := decoded(t, got.Body), decoded(t, want.Body); !reflect.DeepEqual(g, w) {
		t.Errorf("body\n%s\nthe SDK's\n%s", got.Body, want.Body)
	}
	if got.Header.Get("Content-Type") != want.Header.Get("Content-Type") {
		t.Errorf("content-type %q, the SDK's %q", got.Header.Get("Content-Type"), want.Header.Get("Content-Type"))
	}
}

// TestSigV4 checks the signature as the server sees the request: the
// Authorization header is the SigV4 of what arrived, at the configured
// clock, for service bedrock in the configured region.
func TestSigV4(t *testing.T) {
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "converse.json")})
	if _, err := build(t, srv, model).Chat(context.Background(), chat(t, `{"messages":[{"role":"user","content":"hi"}]}`)); err != nil {
		t.Fatal(err)
	}
	r := srv.Last(t)
	auth := r.Header.Get("Authorization")
	if !strings.HasPrefix(auth, "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260102/us-east-1/bedrock/aws4_request, SignedHeaders=") ||
		!strings.Contains(auth, "host") || r.Header.Get("X-Amz-Date") != "20260102T030405Z" {
		t.Fatalf("Authorization %q, X-Amz-Date %q", auth, r.Header.Get("X-Amz-Date"))
	}
	if strings.Contains(auth, secret) {
		t.Fatal("the secret is in the header")
	}
	again, _ := http.NewRequest(r.Method, srv.URL+r.RequestURI, bytes.NewReader(r.Body))
	for k, v := range r.Header {
		if k != "Authorization" && k != "X-Amz-Date" && k != "Accept-Encoding" && k != "User-Agent" {
			again.Header[k] = v
		}
	}
	sum := sha256.Sum256(r.Body)
	err := v4.NewSigner().SignHTTP(context.Background(), aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}, again,
		hex.EncodeToString(sum[:]), "bedrock", "us-east-1", upstreamtest.Now)
	if err != nil {
		t.Fatal(err)
	}
	if again.Header.Get("Authorization") != auth {
		t.Errorf("signature of what arrived:\n%s\nsent:\n%s", again.Header.Get("Authorization"), auth)
	}
}

func TestConverseResponse(t *testing.T) {
	for _, c := range []struct{ fixture, want string }{
		{"converse.json", `{"id":"bedrock-chat-1767323045","object":"chat.completion","created":1767323045,"model":"anthropic.claude-3-haiku-20240307-v1:0","choices":[{"index":0,"message":{"role":"assistant","content":"Hello! How can I help you today?","tool_calls":null},"finish_reason":"stop"}],"usage":{"prompt_tokens":12,"completion_tokens":9,"total_tokens":21}}`},
		{"converse_tool_use.json", `{"id":"bedrock-chat-1767323045","object":"chat.completion","created":1767323045,"model":"anthropic.claude-3-haiku-20240307-v1:0","choices":[{"index":0,"message":{"role":"assistant","content":"I'll look up the most popular song on WZPZ.","tool_calls":[{"id":"tooluse_kZJMlvQmRJ6eAyJE5GIl7Q","type":"function","function":{"name":"top_song","arguments":"{\"sign\":\"WZPZ\"}"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":375,"completion_tokens":72,"total_tokens":447}}`},
	} {
		t.Run(c.fixture, func(t *testing.T) {
			srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, c.fixture)})
			out, err := sdk(srv).Converse(context.Background(), &bedrockruntime.ConverseInput{ModelId: aws.String(model),
				Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}})
			if err != nil || out.Usage == nil || *out.Usage.TotalTokens == 0 || out.StopReason == "" {
				t.Fatalf("the SDK does not read the fixture: %v %+v", err, out)
			}
			resp, err := build(t, srv, model).Chat(context.Background(), chat(t, `{"messages":[{"role":"user","content":"hi"}]}`))
			if err != nil {
				t.Fatal(err)
			}
			if got, _ := json.Marshal(resp); string(got) != c.want {
				t.Errorf("got  %s\nwant %s", got, c.want)
			}
		})
	}
}

// eventStream encodes the fixture's events in AWS's event-stream framing.
func eventStream(t *testing.T, extra ...eventstream.Message) []byte {
	t.Helper()
	var events []struct {
		Type    string          `json:"type"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(upstreamtest.Fixture(t, "converse_stream.json"), &events); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	enc := eventstream.NewEncoder()
	for _, e := range events {
		m := eventstream.Message{Payload: e.Payload}
		m.Headers.Set(":message-type", eventstream.StringValue("event"))
		m.Headers.Set(":event-type", eventstream.StringValue(e.Type))
		m.Headers.Set(":content-type", eventstream.StringValue("application/json"))
		if err := enc.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range extra {
		if err := enc.Encode(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func TestConverseStream(t *testing.T) {
	body := eventStream(t)
	srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "application/vnd.amazon.eventstream", Body: body})
	// The SDK reads the encoded fixture as ten events.
	out, err := sdk(srv).ConverseStream(context.Background(), &bedrockruntime.ConverseStreamInput{ModelId: aws.String(model),
		Messages: []types.Message{{Role: types.ConversationRoleUser, Content: []types.ContentBlock{&types.ContentBlockMemberText{Value: "hi"}}}}})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for range out.GetStream().Events() {
		n++
	}
	if err := out.GetStream().Err(); err != nil || n != 10 {
		t.Fatalf("the SDK read %d events (%v), want 10", n, err)
	}
	if r := srv.Last(t); !strings.HasSuffix(r.Path, "/converse-stream") {
		t.Fatalf("SDK path %s", r.Path)
	}

	var got []string
	err = build(t, srv, model).ChatStream(context.Background(), chat(t, `{"messages":[{"role":"user","content":"hi"}]}`), func(ch *deployments.ChatChunk) error {
		d, _ := json.Marshal(ch.Choices[0])
		u := ""
		if ch.Usage != nil {
			b, _ := json.Marshal(ch.Usage)
			u = " " + string(b)
		}
		got = append(got, string(d)+u)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		`{"index":0,"finish_reason":null,"delta":{"role":"assistant","content":""}}`,
		`{"index":0,"finish_reason":null,"delta":{"role":null,"content":"Hello"}}`,
		`{"index":0,"finish_reason":null,"delta":{"role":null,"content":" there"}}`,
		`{"index":0,"finish_reason":null,"delta":{"role":null,"content":null,"tool_calls":[{"function":{"arguments":"","name":"top_song"},"id":"tooluse_1","index":0,"type":"function"}]}}`,
		`{"index":0,"finish_reason":null,"delta":{"role":null,"content":null,"tool_calls":[{"function":{"arguments":"{\"sign\":"},"index":0}]}}`,
		`{"index":0,"finish_reason":null,"delta":{"role":null,"content":null,"tool_calls":[{"function":{"arguments":" \"WZPZ\"}"},"index":0}]}}`,
		`{"index":0,"finish_reason":"tool_calls","delta":{"role":null,"content":null}} {"prompt_tokens":30,"completion_tokens":12,"total_tokens":42}`,
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("chunks\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if r := srv.Last(t); r.Header.Get("Accept") != "application/vnd.amazon.eventstream" {
		t.Errorf("Accept %q", r.Header.Get("Accept"))
	}
}

func TestStreamErrors(t *testing.T) {
	ctx := context.Background()
	exc := eventstream.Message{Payload: []byte(`{"message":"Too many tokens, please wait before trying again."}`)}
	exc.Headers.Set(":message-type", eventstream.StringValue("exception"))
	exc.Headers.Set(":exception-type", eventstream.StringValue("throttlingException"))
	full := eventStream(t)
	// The stream up to the first delta, then the exception.
	cut := eventStream(t, exc)
	srv := upstreamtest.New(t, upstreamtest.Answer{ContentType: "application/vnd.amazon.eventstream", Body: cut[len(full):]})
	err := build(t, srv, model).ChatStream(ctx, chat(t, `{"messages":[{"role":"user","content":"hi"}]}`), func(*deployments.ChatChunk) error { return nil })
	pe, ok := provider.AsError(err)
	if !ok || pe.Status != 429 || !strings.HasPrefix(pe.Message, "Too many tokens") || !pe.Retryable() {
		t.Errorf("exception event: %#v", err)
	}
	srv.Set(upstreamtest.Answer{ContentType: "application/vnd.amazon.eventstream", Body: full[:len(full)/2]})
	err = build(t, srv, model).ChatStream(ctx, chat(t, `{"messages":[{"role":"user","content":"hi"}]}`), func(*deployments.ChatChunk) error { return nil })
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindBadResponse {
		t.Errorf("cut stream: %v", err)
	}
}

func TestCompletionsAndEmbeddings(t *testing.T) {
	ctx := context.Background()
	srv := upstreamtest.New(t, upstreamtest.Answer{Body: upstreamtest.Fixture(t, "converse.json")})
	resp, err := build(t, srv, model).Completions(ctx, &deployments.CompletionsRequest{Prompt: "hi", MaxTokens: deployments.Ptr(5)})
	if err != nil || resp.Choices[0].Text != "Hello! How can I help you today?" || *resp.Choices[0].FinishReason != "stop" {
		t.Fatalf("completions %+v %v", resp, err)
	}
	if b := string(srv.Last(t).Body); b != `{"messages":[{"role":"user","content":[{"text":"hi"}]}],"inferenceConfig":{"maxTokens":5}}` {
		t.Errorf("sent %s", b)
	}
	srv.Set(upstreamtest.Answer{Body: upstreamtest.Fixture(t, "titan_embed.json")})
	emb, err := build(t, srv, "amazon.titan-embed-text-v2:0").Embeddings(ctx, &deployments.EmbeddingsRequest{Input: json.RawMessage(`["a","b"]`)})
	if err != nil || len(emb.Data) != 2 || emb.Data[1].Index != 1 || emb.Data[0].Embedding[2] != 0.789 || *emb.Usage.PromptTokens != 8 {
		t.Fatalf("titan %+v %v", emb, err)
	}
	if r := srv.Last(t); r.RequestURI != "/model/amazon.titan-embed-text-v2%3A0/invoke" || string(r.Body) != `{"inputText":"b"}` {
		t.Errorf("sent %s %s", r.RequestURI, r.Body)
	}
	srv.Set(upstreamtest.Answer{Body: []byte(`{"id":"x","embeddings":[[1,2],[3,4]],"texts":["a","b"],"response_type":"embeddings_floats"}`)})
	emb, err = build(t, srv, "cohere.embed-english-v3").Embeddings(ctx, &deployments.EmbeddingsRequest{Input: json.RawMessage(`["a","b"]`)})
	if err != nil || len(emb.Data) != 2 || emb.Data[1].Embedding[1] != 4 {
		t.Fatalf("cohere %+v %v", emb, err)
	}
	if b := string(srv.Last(t).Body); b != `{"input_type":"search_document","texts":["a","b"]}` {
		t.Errorf("sent %s", b)
	}
	_, err = build(t, srv, "meta.llama3-8b-instruct-v1:0").Embeddings(ctx, &deployments.EmbeddingsRequest{Input: json.RawMessage(`"a"`)})
	if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest {
		t.Errorf("llama embeddings: %v", err)
	}
}

func TestErrors(t *testing.T) {
	ctx := context.Background()
	srv := upstreamtest.New(t, upstreamtest.Answer{Status: 429, Header: map[string]string{"x-amzn-ErrorType": "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/",
		"Retry-After": "3"}, Body: upstreamtest.Fixture(t, "error_throttling.json")})
	_, err := build(t, srv, model).Chat(ctx, chat(t, `{"messages":[{"role":"user","content":"hi"}]}`))
	pe, ok := provider.AsError(err)
	if !ok || pe.Status != 429 || pe.Message != "Too many requests, please wait before trying again." || pe.RetryAfter != 3*time.Second || pe.Provider != "amazon-bedrock" {
		t.Errorf("got %#v", err)
	}
	if strings.Contains(err.Error(), secret) {
		t.Error("the error names the secret")
	}
	for _, c := range []struct{ body, want string }{
		{`{"messages":[{"role":"user","content":"hi"}],"n":3}`, "'n' must be '1'"},
		{`{"messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"https://x/y.png"}}]}]}`, "data: URLs only"},
		{`{"messages":[{"role":"system","content":"x"}]}`, "at least one user"},
	} {
		_, err := build(t, srv, model).Chat(ctx, chat(t, c.body))
		if pe, ok := provider.AsError(err); !ok || pe.Kind != provider.KindInvalidRequest || !strings.Contains(pe.Message, c.want) {
			t.Errorf("%s: got %v, want %q", c.body, err, c.want)
		}
	}
	spec, _ := provider.Lookup("bedrock")
	for _, c := range []struct {
		settings map[string]any
		want     string
	}{
		{map[string]any{}, "aws_config must be a mapping"},
		{map[string]any{"aws_config": map[string]any{"aws_region": "us-east-1", "aws_role_arn": "arn:aws:iam::1:role/x"}}, "aws_role_arn is not supported"},
		{map[string]any{"aws_config": map[string]any{"aws_access_key_id": "a", "aws_secret_access_key": "b"}}, "aws_region is required"},
		{map[string]any{"aws_config": map[string]any{"aws_region": "us-east-1"}}, "aws_access_key_id and"},
	} {
		_, err := spec.New(provider.Config{Model: model, Settings: c.settings})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want %q", c.settings, err, c.want)
		}
	}
}
