package webhook_test

import (
	"fmt"

	"github.com/berthml/berth/webhook"
)

// A receiver checks a delivery's signature from its three headers and the
// raw body.
func ExampleVerify() {
	body := []byte(`{"entity": "model_version", "action": "created", "timestamp": "2026-01-01T00:00:00.000000+00:00", "data": {}}`)
	id, ts := "6b750cf5-8591-403a-aa4e-3f00aa7ca8ad", "1767225600"
	sig := webhook.Sign("s3cret", id, ts, body) // X-MLflow-Signature; Python's hmac gives the same
	fmt.Println(sig)
	fmt.Println(webhook.Verify("s3cret", id, ts, body, sig))
	fmt.Println(webhook.Verify("s3cret", id, ts, append(body, ' '), sig))
	// Output:
	// v1,Ph5PezwVtrFHp0Hdi5oediqN/dUdEaifh7MtgAV7sZU=
	// true
	// false
}

func ExampleParseEvent() {
	ev, err := webhook.ParseEvent("MODEL_VERSION_ALIAS", "CREATED")
	fmt.Println(ev, err)
	_, err = webhook.ParseEvent("MODEL_VERSION", "SET")
	fmt.Println(err)
	// Output:
	// model_version_alias.created <nil>
	// Invalid action 'set' for entity 'model_version'. Valid actions are: ['created']
}
