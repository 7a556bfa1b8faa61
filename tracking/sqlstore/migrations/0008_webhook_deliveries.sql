-- The webhook delivery queue, shared by every replica on one database: one
-- row per (event, webhook) delivery still to be made. A replica claims due
-- rows for one attempt under a lease (FOR UPDATE SKIP LOCKED on PostgreSQL;
-- SQLite's single writer serialises claims), then deletes the row (delivered,
-- or failed for good) or writes back its next attempt time. A row whose
-- lease ran out (its replica died mid-attempt) is claimed again by another.
-- body is the exact JSON every attempt sends; delivery_id and ts are its
-- X-MLflow-Delivery-Id and X-MLflow-Timestamp, the same on every attempt.
-- No foreign key to webhooks: a webhook deleted after its event was queued
-- is found missing at delivery and its rows dropped (DeleteWebhook also
-- deletes them).

CREATE TABLE webhook_deliveries (
    delivery_id VARCHAR(36) PRIMARY KEY,
    webhook_id VARCHAR(36) NOT NULL,
    entity VARCHAR(50) NOT NULL,
    action VARCHAR(50) NOT NULL,
    body TEXT NOT NULL,
    ts BIGINT NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at BIGINT NOT NULL,
    lease_owner VARCHAR(36) NOT NULL,
    lease_until BIGINT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id);
