-- MLflow 3 traces: trace info, its tags and metadata, spans received over
-- OTLP, and assessments. Deleting a trace row deletes the rest.

CREATE TABLE trace_info (
    request_id VARCHAR(64) PRIMARY KEY,
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    timestamp_ms BIGINT NOT NULL,
    execution_time_ms BIGINT NOT NULL,
    status VARCHAR(50) NOT NULL,
    client_request_id VARCHAR(250),
    request_preview TEXT,
    response_preview TEXT
);
CREATE INDEX trace_info_experiment_time ON trace_info (experiment_id, timestamp_ms, request_id);
CREATE INDEX trace_info_time ON trace_info (timestamp_ms);

CREATE TABLE trace_tags (
    request_id VARCHAR(64) NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (request_id, key)
);
CREATE INDEX trace_tags_key_value ON trace_tags (key, request_id);

CREATE TABLE trace_request_metadata (
    request_id VARCHAR(64) NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (request_id, key)
);
CREATE INDEX trace_request_metadata_key ON trace_request_metadata (key, request_id);

CREATE TABLE spans (
    trace_id VARCHAR(64) NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    span_id VARCHAR(32) NOT NULL,
    parent_span_id VARCHAR(32),
    name TEXT NOT NULL,
    type VARCHAR(500) NOT NULL,
    status VARCHAR(32) NOT NULL,
    start_time_unix_nano BIGINT NOT NULL,
    end_time_unix_nano BIGINT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id)
);

CREATE TABLE assessments (
    assessment_id VARCHAR(64) PRIMARY KEY,
    trace_id VARCHAR(64) NOT NULL REFERENCES trace_info (request_id) ON DELETE CASCADE,
    name VARCHAR(250) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    value TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    last_update_time BIGINT NOT NULL,
    body TEXT NOT NULL
);
CREATE INDEX assessments_trace ON assessments (trace_id);
