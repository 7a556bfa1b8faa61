package mlflowrest

// MLflow 3's webhooks (webhooks.proto), under /api/2.0/mlflow/webhooks.

// WebhookEvent is an entity and an action in proto enum spelling:
// {"entity": "MODEL_VERSION", "action": "CREATED"}.
type WebhookEvent struct {
	Entity string `json:"entity"`
	Action string `json:"action"`
}

// Webhook is a webhook as the server answers it; the secret is never sent
// back.
type Webhook struct {
	WebhookID            string         `json:"webhook_id"`
	Name                 string         `json:"name"`
	Description          string         `json:"description,omitempty"`
	URL                  string         `json:"url"`
	Events               []WebhookEvent `json:"events"`
	Status               string         `json:"status"`
	CreationTimestamp    int64          `json:"creation_timestamp"`
	LastUpdatedTimestamp int64          `json:"last_updated_timestamp"`
}

// CreateWebhookRequest is the body of POST /webhooks.
type CreateWebhookRequest struct {
	Name        string         `json:"name"`
	Description string         `json:"description,omitempty"`
	URL         string         `json:"url"`
	Events      []WebhookEvent `json:"events"`
	Secret      string         `json:"secret,omitempty"`
	Status      string         `json:"status,omitempty"`
}

// Validate reports a missing name, url or events, in MLflow's order.
func (r CreateWebhookRequest) Validate() error {
	switch {
	case r.Name == "":
		return missing("name")
	case r.URL == "":
		return missing("url")
	case len(r.Events) == 0:
		return missing("events")
	}
	return nil
}

// UpdateWebhookRequest is the body of PATCH /webhooks/{id}: only the
// fields sent change.
type UpdateWebhookRequest struct {
	Name        *string        `json:"name,omitempty"`
	Description *string        `json:"description,omitempty"`
	URL         *string        `json:"url,omitempty"`
	Events      []WebhookEvent `json:"events,omitempty"`
	Secret      *string        `json:"secret,omitempty"`
	Status      *string        `json:"status,omitempty"`
}

// ListWebhooksRequest is the query of GET /webhooks.
type ListWebhooksRequest struct {
	MaxResults Int64  `json:"max_results,omitempty"`
	PageToken  string `json:"page_token,omitempty"`
}

// TestWebhookRequest is the body of POST /webhooks/{id}/test: the event to
// send an example of (default: the webhook's first).
type TestWebhookRequest struct {
	Event *WebhookEvent `json:"event,omitempty"`
}

// WebhookResponse answers create, get and update.
type WebhookResponse struct {
	Webhook Webhook `json:"webhook"`
}

// ListWebhooksResponse answers GET /webhooks.
type ListWebhooksResponse struct {
	Webhooks      []Webhook `json:"webhooks,omitempty"`
	NextPageToken string    `json:"next_page_token,omitempty"`
}

// WebhookTestResult is the outcome of a test delivery.
type WebhookTestResult struct {
	Success        bool   `json:"success"`
	ResponseStatus int    `json:"response_status,omitempty"`
	ResponseBody   string `json:"response_body,omitempty"`
	ErrorMessage   string `json:"error_message,omitempty"`
}

// TestWebhookResponse answers POST /webhooks/{id}/test.
type TestWebhookResponse struct {
	Result WebhookTestResult `json:"result"`
}
