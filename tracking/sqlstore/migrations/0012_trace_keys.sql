-- OTLP ingest with MLflow's random trace ids: every index keyed by the
-- text trace id (trace_info's primary key, the primary keys of spans,
-- span_attributes, trace_tags, trace_request_metadata, assessments' trace
-- index) took each new trace's rows at a place as random as the id, a page
-- dirtied per index and per trace (a WAL frame each at commit, and a
-- checkpoint's write back). A trace now gets an integer key in insertion
-- order, trace_key; the text id keeps one UNIQUE index (the one random
-- insert per trace) and the tables that hang off a trace key on
-- (trace_key, ...), so their rows and index entries append at the end.
--
-- The tables are made anew under temporary names, filled from the old ones
-- (keys given in request time order), the old ones dropped children first
-- (so that no drop cascades), and the new ones renamed: SQLite rewrites the
-- children's REFERENCES on each rename, PostgreSQL's follow the table. The
-- indexes keep their names from 0003-0011.

CREATE TABLE trace_info_0012 (
    trace_key {{ID}},
    request_id VARCHAR(64) NOT NULL UNIQUE,
    experiment_id BIGINT NOT NULL REFERENCES experiments (experiment_id) ON DELETE CASCADE,
    timestamp_ms BIGINT NOT NULL,
    execution_time_ms BIGINT NOT NULL,
    status VARCHAR(50) NOT NULL,
    client_request_id VARCHAR(250),
    request_preview TEXT,
    response_preview TEXT
);

CREATE TABLE trace_tags_0012 (
    trace_key BIGINT NOT NULL REFERENCES trace_info_0012 (trace_key) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_key, key)
);

CREATE TABLE trace_request_metadata_0012 (
    trace_key BIGINT NOT NULL REFERENCES trace_info_0012 (trace_key) ON DELETE CASCADE,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_key, key)
);

CREATE TABLE spans_0012 (
    trace_key BIGINT NOT NULL REFERENCES trace_info_0012 (trace_key) ON DELETE CASCADE,
    span_id VARCHAR(32) NOT NULL,
    parent_span_id VARCHAR(32),
    name TEXT NOT NULL,
    type VARCHAR(500) NOT NULL,
    status VARCHAR(32) NOT NULL,
    start_time_unix_nano BIGINT NOT NULL,
    end_time_unix_nano BIGINT NOT NULL,
    content TEXT NOT NULL,
    PRIMARY KEY (trace_key, span_id)
);

CREATE TABLE span_attributes_0012 (
    trace_key BIGINT NOT NULL,
    span_id VARCHAR(32) NOT NULL,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_key, span_id, key),
    FOREIGN KEY (trace_key, span_id) REFERENCES spans_0012 (trace_key, span_id) ON DELETE CASCADE
);

CREATE TABLE assessments_0012 (
    assessment_id VARCHAR(64) PRIMARY KEY,
    trace_key BIGINT NOT NULL REFERENCES trace_info_0012 (trace_key) ON DELETE CASCADE,
    name VARCHAR(250) NOT NULL,
    kind VARCHAR(20) NOT NULL,
    value TEXT NOT NULL,
    create_time BIGINT NOT NULL,
    last_update_time BIGINT NOT NULL,
    body TEXT NOT NULL
);

INSERT INTO trace_info_0012 (request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id,
    request_preview, response_preview)
SELECT request_id, experiment_id, timestamp_ms, execution_time_ms, status, client_request_id, request_preview,
    response_preview FROM trace_info ORDER BY timestamp_ms, request_id;

INSERT INTO trace_tags_0012 (trace_key, key, value)
SELECT t.trace_key, o.key, o.value FROM trace_tags o JOIN trace_info_0012 t ON t.request_id = o.request_id
ORDER BY t.trace_key, o.key;

INSERT INTO trace_request_metadata_0012 (trace_key, key, value)
SELECT t.trace_key, o.key, o.value FROM trace_request_metadata o JOIN trace_info_0012 t ON t.request_id = o.request_id
ORDER BY t.trace_key, o.key;

INSERT INTO spans_0012 (trace_key, span_id, parent_span_id, name, type, status, start_time_unix_nano,
    end_time_unix_nano, content)
SELECT t.trace_key, o.span_id, o.parent_span_id, o.name, o.type, o.status, o.start_time_unix_nano,
    o.end_time_unix_nano, o.content FROM spans o JOIN trace_info_0012 t ON t.request_id = o.trace_id
ORDER BY t.trace_key, o.span_id;

INSERT INTO span_attributes_0012 (trace_key, span_id, key, value)
SELECT t.trace_key, o.span_id, o.key, o.value FROM span_attributes o JOIN trace_info_0012 t ON t.request_id = o.trace_id
ORDER BY t.trace_key, o.span_id, o.key;

INSERT INTO assessments_0012 (assessment_id, trace_key, name, kind, value, create_time, last_update_time, body)
SELECT o.assessment_id, t.trace_key, o.name, o.kind, o.value, o.create_time, o.last_update_time, o.body
FROM assessments o JOIN trace_info_0012 t ON t.request_id = o.trace_id
ORDER BY t.trace_key, o.assessment_id;

DROP TABLE span_attributes;
DROP TABLE spans;
DROP TABLE trace_tags;
DROP TABLE trace_request_metadata;
DROP TABLE assessments;
DROP TABLE trace_info;

ALTER TABLE trace_info_0012 RENAME TO trace_info;
ALTER TABLE trace_tags_0012 RENAME TO trace_tags;
ALTER TABLE trace_request_metadata_0012 RENAME TO trace_request_metadata;
ALTER TABLE spans_0012 RENAME TO spans;
ALTER TABLE span_attributes_0012 RENAME TO span_attributes;
ALTER TABLE assessments_0012 RENAME TO assessments;

-- 0003's, with the key where the text id was.
CREATE INDEX trace_info_experiment_time ON trace_info (experiment_id, timestamp_ms, request_id);
CREATE INDEX trace_info_time ON trace_info (timestamp_ms);
CREATE INDEX trace_request_metadata_key ON trace_request_metadata (key, trace_key);
CREATE INDEX assessments_trace ON assessments (trace_key);
-- 0011's (value indexes in row order) and 0009's.
CREATE INDEX spans_name_prefix ON spans ((substr(name, 1, 200)));
CREATE INDEX spans_type_prefix ON spans ((substr(type, 1, 200)));
-- trace_tags_value_prefix is made by 0013 (partial), so an upgrade builds it once.
CREATE INDEX span_attributes_value_prefix ON span_attributes (key, (substr(value, 1, 200)));
CREATE INDEX span_attributes_long ON span_attributes (key, trace_key) WHERE length(value) >= 200;
