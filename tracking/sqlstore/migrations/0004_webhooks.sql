-- MLflow 3 webhooks: one row per webhook, one per event it listens to.
-- secret holds the secret sealed by webhook.Cipher (AES-GCM), never plain.

CREATE TABLE webhooks (
    webhook_id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(256) NOT NULL,
    description TEXT NOT NULL,
    url TEXT NOT NULL,
    status VARCHAR(20) NOT NULL,
    secret TEXT NOT NULL,
    creation_timestamp BIGINT NOT NULL,
    last_updated_timestamp BIGINT NOT NULL
);

CREATE TABLE webhook_events (
    seq {{ID}},
    webhook_id VARCHAR(36) NOT NULL REFERENCES webhooks (webhook_id) ON DELETE CASCADE,
    entity VARCHAR(50) NOT NULL,
    action VARCHAR(50) NOT NULL,
    UNIQUE (webhook_id, entity, action)
);
CREATE INDEX webhook_events_event ON webhook_events (entity, action);
