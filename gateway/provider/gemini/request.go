package gemini

import (
	"encoding/json"

	"github.com/berthml/berth/api/deployments"
	"github.com/berthml/berth/gateway/provider/internal/upstream"
)

// generateRequest is the body of generateContent.
type generateRequest struct {
	Contents          []content      `json:"contents"`
	SystemInstruction *content       `json:"system_instruction,omitempty"`
	GenerationConfig  map[string]any `json:"generationConfig,omitempty"`
	Tools             []toolSet      `json:"tools,omitempty"`
	ToolConfig        map[string]any `json:"toolConfig,omitempty"`
}

type content struct {
	Role  string `json:"role,omitempty"`
	Parts []part `json:"parts"`
}

type part struct {
	Text             *string           `json:"text,omitempty"`
	InlineData       *blob             `json:"inlineData,omitempty"`
	FileData         *fileData         `json:"fileData,omitempty"`
	FunctionCall     *functionCall     `json:"functionCall,omitempty"`
	FunctionResponse *functionResponse `json:"functionResponse,omitempty"`
}

type blob struct {
	MimeType string `json:"mimeType"`
	Data     string `json:"data"`
}

type fileData struct {
	FileURI string `json:"fileUri"`
}

type functionCall struct {
	ID   string          `json:"id,omitempty"`
	Name string          `json:"name"`
	Args json.RawMessage `json:"args,omitempty"`
}

type functionResponse struct {
	ID       string          `json:"id,omitempty"`
	Name     string          `json:"name"`
	Response json.RawMessage `json:"response"`
}

type toolSet struct {
	FunctionDeclarations []functionDeclaration `json:"functionDeclarations"`
}

type functionDeclaration struct {
	Name                 string          `json:"name"`
	Description          string          `json:"description,omitempty"`
	ParametersJSONSchema json.RawMessage `json:"parametersJsonSchema,omitempty"`
}

// keyMapping is MLflow's GENERATION_CONFIG_KEY_MAPPING.
var keyMapping = [][2]string{
	{"stop", "stopSequences"}, {"n", "candidateCount"}, {"max_tokens", "maxOutputTokens"}, {"top_k", "topK"},
	{"top_p", "topP"}, {"frequency_penalty", "frequencyPenalty"}, {"presence_penalty", "presencePenalty"},
}

func text(s string) part { return part{Text: &s} }

// chatRequest translates a gateway chat request.
func (p *Provider) chatRequest(req *deployments.ChatRequest) (*generateRequest, error) {
	for _, k := range keyMapping {
		if _, ok := req.Extra[k[1]]; ok {
			return nil, p.up.Invalid("Invalid parameter %s. Use %s instead.", k[1], k[0])
		}
	}
	gen := map[string]any{}
	if req.Temperature != nil {
		gen["temperature"] = *req.Temperature
	}
	if len(req.Stop) > 0 {
		gen["stopSequences"] = req.Stop
	}
	if req.N != nil {
		gen["candidateCount"] = *req.N
	}
	if req.MaxTokens != nil {
		gen["maxOutputTokens"] = *req.MaxTokens
	} else if raw, ok := req.Extra["max_completion_tokens"]; ok {
		gen["maxOutputTokens"] = raw
	}
	for _, k := range keyMapping[3:] {
		if raw, ok := req.Extra[k[0]]; ok && string(raw) != "null" {
			gen[k[1]] = raw
		}
	}
	if raw, ok := req.Extra["response_format"]; ok {
		var rf struct {
			Type       string `json:"type"`
			JSONSchema struct {
				Schema json.RawMessage `json:"schema"`
			} `json:"json_schema"`
		}
		if json.Unmarshal(raw, &rf) == nil && rf.Type == "json_schema" && len(rf.JSONSchema.Schema) > 0 {
			gen["responseJsonSchema"] = rf.JSONSchema.Schema
			gen["responseMimeType"] = "application/json"
		}
	}
	out := &generateRequest{}
	if len(gen) > 0 {
		out.GenerationConfig = gen
	}
	names := map[string]string{} // tool call id → function name
	for i, m := range req.Messages {
		switch m.Role {
		case "system", "developer":
			s, err := upstream.TextOf(m.Content)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			if out.SystemInstruction == nil {
				out.SystemInstruction = &content{}
			}
			out.SystemInstruction.Parts = append(out.SystemInstruction.Parts, text(s))
		case "user", "assistant":
			c, err := p.content(m, names)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			out.Contents = append(out.Contents, c)
		case "tool":
			name, ok := names[m.ToolCallID]
			if !ok {
				return nil, p.up.Invalid("messages[%d]: tool_call_id %q names no earlier tool call", i, m.ToolCallID)
			}
			s, err := upstream.TextOf(m.Content)
			if err != nil {
				return nil, p.up.Invalid("messages[%d]: %v", i, err)
			}
			resp := json.RawMessage(s)
			var obj map[string]json.RawMessage
			if json.Unmarshal(resp, &obj) != nil || obj == nil { // Gemini wants an object
				resp, _ = json.Marshal(map[string]string{"content": s})
			}
			out.Contents = append(out.Contents, content{Role: "user", Parts: []part{{FunctionResponse: &functionResponse{ID: m.ToolCallID, Name: name, Response: resp}}}})
		default:
			return nil, p.up.Invalid("messages[%d]: role %q is not one of system, user, assistant, tool", i, m.Role)
		}
	}
	tools, err := upstream.ParseTools(req.Tools)
	if err != nil {
		return nil, p.up.Invalid("%v", err)
	}
	if len(tools) > 0 {
		decl := make([]functionDeclaration, len(tools))
		for i, t := range tools {
			decl[i] = functionDeclaration{Name: t.Name, Description: t.Description, ParametersJSONSchema: t.Parameters}
		}
		out.Tools = []toolSet{{FunctionDeclarations: decl}}
	}
	tc, err := upstream.ParseToolChoice(req.Extra)
	if err != nil {
		return nil, p.up.Invalid("%v", err)
	}
	switch tc.Mode {
	case "auto":
		out.ToolConfig = map[string]any{"functionCallingConfig": map[string]any{"mode": "AUTO"}}
	case "none":
		out.ToolConfig = map[string]any{"functionCallingConfig": map[string]any{"mode": "NONE"}}
	case "required":
		out.ToolConfig = map[string]any{"functionCallingConfig": map[string]any{"mode": "ANY"}}
	case "function":
		out.ToolConfig = map[string]any{"functionCallingConfig": map[string]any{"mode": "ANY", "allowedFunctionNames": []string{tc.Name}}}
	}
	return out, nil
}

// content translates a user or assistant message.
func (p *Provider) content(m deployments.Message, names map[string]string) (content, error) {
	role := m.Role
	if role == "assistant" {
		role = "model"
	}
	c := content{Role: role}
	calls, err := upstream.ParseToolCalls(m.ToolCalls)
	if err != nil {
		return c, err
	}
	parts, err := upstream.ParseContent(m.Content)
	if err != nil {
		return c, err
	}
	for _, pt := range parts {
		switch {
		case !pt.Image:
			if pt.Text != "" || len(calls) == 0 {
				c.Parts = append(c.Parts, text(pt.Text))
			}
		case pt.URL != "":
			c.Parts = append(c.Parts, part{FileData: &fileData{FileURI: pt.URL}})
		default:
			c.Parts = append(c.Parts, part{InlineData: &blob{MimeType: pt.MediaType, Data: pt.Data}})
		}
	}
	for _, call := range calls {
		args, err := call.ArgumentsObject()
		if err != nil {
			return c, err
		}
		names[call.ID] = call.Name
		c.Parts = append(c.Parts, part{FunctionCall: &functionCall{ID: call.ID, Name: call.Name, Args: args}})
	}
	if len(c.Parts) == 0 {
		c.Parts = []part{text("")}
	}
	return c, nil
}

// completionsRequest sends the prompt as one user message, after
// system_prompt as a system message when given (MLflow's).
func (p *Provider) completionsRequest(req *deployments.CompletionsRequest) (*generateRequest, error) {
	msgs := []deployments.Message{deployments.TextMessage("user", req.Prompt)}
	extra := req.Extra
	if raw, ok := req.Extra["system_prompt"]; ok {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return nil, p.up.Invalid("system_prompt must be a string")
		}
		msgs = append([]deployments.Message{deployments.TextMessage("system", s)}, msgs...)
		extra = make(deployments.Extra, len(req.Extra))
		for k, v := range req.Extra {
			if k != "system_prompt" {
				extra[k] = v
			}
		}
	}
	return p.chatRequest(&deployments.ChatRequest{Messages: msgs, Temperature: req.Temperature, N: req.N, Stop: req.Stop,
		MaxTokens: req.MaxTokens, Extra: extra})
}
