-- traces/search: span.attributes.<key> filters. Each stored span's
-- attributes, one row each, as text (a string attribute's string, any other
-- value its JSON), so that a filter reads an index instead of every span's
-- JSON. The indexed value is its first 200 characters, as in 0006; the
-- query compares the full value as well. Rows go with their span.

CREATE TABLE span_attributes (
    trace_id VARCHAR(64) NOT NULL,
    span_id VARCHAR(32) NOT NULL,
    key VARCHAR(250) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (trace_id, span_id, key),
    FOREIGN KEY (trace_id, span_id) REFERENCES spans (trace_id, span_id) ON DELETE CASCADE
);
CREATE INDEX span_attributes_value_prefix ON span_attributes (key, (substr(value, 1, 200)), trace_id);
