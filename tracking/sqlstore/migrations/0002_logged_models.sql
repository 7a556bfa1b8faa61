-- berth tracking schema v2: MLflow 3's logged models, their tags, params
-- and metrics, and the logged models runs use and produce.

CREATE TABLE logged_models (
    model_id VARCHAR(36) PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
    name VARCHAR(500) NOT NULL,
    artifact_location TEXT NOT NULL,
    creation_timestamp_ms BIGINT NOT NULL,
    last_updated_timestamp_ms BIGINT NOT NULL,
    status VARCHAR(32) NOT NULL,
    status_message TEXT NOT NULL,
    lifecycle_stage VARCHAR(32) NOT NULL,
    model_type VARCHAR(500) NOT NULL,
    source_run_id VARCHAR(32) NOT NULL
);
CREATE INDEX logged_models_experiment_created ON logged_models (experiment_id, creation_timestamp_ms);

CREATE TABLE logged_model_tags (
    model_id VARCHAR(36) NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

CREATE TABLE logged_model_params (
    model_id VARCHAR(36) NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (model_id, key)
);

CREATE TABLE logged_model_metrics (
    seq {{ID}},
    model_id VARCHAR(36) NOT NULL REFERENCES logged_models (model_id) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    is_nan SMALLINT NOT NULL,
    timestamp BIGINT NOT NULL,
    step BIGINT NOT NULL,
    run_id VARCHAR(32) NOT NULL,
    dataset_name VARCHAR(500) NOT NULL,
    dataset_digest VARCHAR(36) NOT NULL,
    UNIQUE (model_id, key, step, timestamp, run_id, dataset_name, dataset_digest)
);
CREATE INDEX logged_model_metrics_key ON logged_model_metrics (key, model_id, step, timestamp, seq);

CREATE TABLE run_models (
    seq {{ID}},
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    model_id VARCHAR(36) NOT NULL,
    direction VARCHAR(8) NOT NULL,
    step BIGINT NOT NULL,
    UNIQUE (run_uuid, model_id, direction)
);
