-- Gateway keys: only the SHA-256 of each secret is kept. A name is unique
-- among keys not revoked, so a revoked key's name can be issued again.
CREATE TABLE gateway_keys (
	key_id VARCHAR(32) PRIMARY KEY,
	name VARCHAR(255) NOT NULL,
	secret_sha256 CHAR(64) NOT NULL UNIQUE,
	hint VARCHAR(16) NOT NULL,
	endpoints TEXT NOT NULL,
	requests_per_minute BIGINT NOT NULL,
	tokens_per_minute BIGINT NOT NULL,
	day_tokens BIGINT NOT NULL,
	month_tokens BIGINT NOT NULL,
	day_spend_nanos BIGINT NOT NULL,
	month_spend_nanos BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	created_at BIGINT NOT NULL,
	revoked_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX gateway_keys_live_name ON gateway_keys (name) WHERE revoked_at = 0;
-- Usage per key and period: period is "minute", "day" or "month" and
-- start its first second (Unix, UTC). Every replica adds what it admitted.
CREATE TABLE gateway_key_usage (
	key_id VARCHAR(32) NOT NULL,
	period VARCHAR(8) NOT NULL,
	start BIGINT NOT NULL,
	requests BIGINT NOT NULL,
	tokens BIGINT NOT NULL,
	cost_nanos BIGINT NOT NULL,
	PRIMARY KEY (key_id, period, start)
);
CREATE INDEX gateway_key_usage_period ON gateway_key_usage (period, start);
