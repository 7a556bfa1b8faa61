-- berth tracking schema v1: experiments, runs, metrics, params, tags,
-- dataset inputs, registered models, model versions, aliases.
-- {{ID}} expands to the dialect's auto-incrementing integer primary key.

CREATE TABLE experiments (
    experiment_id {{ID}},
    name VARCHAR(500) NOT NULL UNIQUE,
    artifact_location TEXT NOT NULL,
    lifecycle_stage VARCHAR(32) NOT NULL,
    creation_time BIGINT NOT NULL,
    last_update_time BIGINT NOT NULL
);

CREATE TABLE experiment_tags (
    seq {{ID}},
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (experiment_id, key)
);

CREATE TABLE runs (
    run_uuid VARCHAR(32) PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id),
    name VARCHAR(250) NOT NULL,
    user_id VARCHAR(256) NOT NULL,
    status VARCHAR(20) NOT NULL,
    start_time BIGINT NOT NULL,
    end_time BIGINT,
    lifecycle_stage VARCHAR(20) NOT NULL,
    artifact_uri TEXT NOT NULL,
    deleted_time BIGINT
);
CREATE INDEX runs_experiment_start ON runs (experiment_id, start_time);

CREATE TABLE tags (
    seq {{ID}},
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (run_uuid, key)
);

CREATE TABLE params (
    seq {{ID}},
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (run_uuid, key)
);

CREATE TABLE metrics (
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    timestamp BIGINT NOT NULL,
    step BIGINT NOT NULL,
    is_nan SMALLINT NOT NULL,
    PRIMARY KEY (run_uuid, key, step, timestamp, value, is_nan)
);

CREATE TABLE latest_metrics (
    seq {{ID}},
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value DOUBLE PRECISION NOT NULL,
    timestamp BIGINT NOT NULL,
    step BIGINT NOT NULL,
    is_nan SMALLINT NOT NULL,
    UNIQUE (run_uuid, key)
);

CREATE TABLE datasets (
    dataset_uuid VARCHAR(36) PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    name VARCHAR(500) NOT NULL,
    digest VARCHAR(36) NOT NULL,
    source_type VARCHAR(36) NOT NULL,
    source TEXT NOT NULL,
    schema_json TEXT NOT NULL,
    profile TEXT NOT NULL,
    UNIQUE (experiment_id, name, digest)
);

CREATE TABLE inputs (
    seq {{ID}},
    run_uuid VARCHAR(32) NOT NULL REFERENCES runs (run_uuid) ON DELETE CASCADE,
    dataset_uuid VARCHAR(36) NOT NULL REFERENCES datasets (dataset_uuid) ON DELETE CASCADE,
    UNIQUE (run_uuid, dataset_uuid)
);

CREATE TABLE input_tags (
    seq {{ID}},
    input_seq BIGINT NOT NULL REFERENCES inputs (seq) ON DELETE CASCADE,
    key VARCHAR(255) NOT NULL,
    value VARCHAR(500) NOT NULL,
    UNIQUE (input_seq, key)
);

CREATE TABLE registered_models (
    name VARCHAR(256) PRIMARY KEY,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    description TEXT NOT NULL
);

CREATE TABLE registered_model_tags (
    seq {{ID}},
    name VARCHAR(256) NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (name, key)
);

CREATE TABLE model_versions (
    name VARCHAR(256) NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    version BIGINT NOT NULL,
    creation_time BIGINT NOT NULL,
    last_updated_time BIGINT NOT NULL,
    description TEXT NOT NULL,
    user_id VARCHAR(256) NOT NULL,
    current_stage VARCHAR(20) NOT NULL,
    source TEXT NOT NULL,
    run_id VARCHAR(32) NOT NULL,
    run_link TEXT NOT NULL,
    status VARCHAR(20) NOT NULL,
    status_message TEXT NOT NULL,
    PRIMARY KEY (name, version)
);
CREATE INDEX model_versions_run ON model_versions (run_id);

CREATE TABLE model_version_tags (
    seq {{ID}},
    name VARCHAR(256) NOT NULL,
    version BIGINT NOT NULL,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    UNIQUE (name, version, key),
    FOREIGN KEY (name, version) REFERENCES model_versions (name, version) ON UPDATE CASCADE ON DELETE CASCADE
);

CREATE TABLE registered_model_aliases (
    name VARCHAR(256) NOT NULL REFERENCES registered_models (name) ON UPDATE CASCADE ON DELETE CASCADE,
    alias VARCHAR(255) NOT NULL,
    version BIGINT NOT NULL,
    PRIMARY KEY (name, alias)
);
