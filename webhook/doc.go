// Package webhook is MLflow 3's webhooks: the events a webhook listens to,
// the payloads sent for them, the HMAC signature, the rules a webhook URL
// must follow (https only, no private addresses, unless allowed), the
// encryption of stored secrets, and a Dispatcher that delivers in the
// background with retries.
//
// A delivery is a POST of the JSON envelope
//
//	{"entity": "model_version", "action": "created", "timestamp": "…", "data": {…}}
//
// with the headers X-MLflow-Delivery-Id (a UUID), X-MLflow-Timestamp (Unix
// seconds) and, when the webhook has a secret, X-MLflow-Signature:
// "v1," + base64(HMAC-SHA256(secret, delivery_id + "." + timestamp + "." +
// body)), as MLflow 3.6 sends them.
//
// The package imports no HTTP framework and no storage: the tracking server
// keeps webhooks in its store and hands events to a Dispatcher.
package webhook
