-- OTLP ingest: the value indexes of 0006 and 0007 ended with the trace id,
-- so that a span's entry for a common value (span type LLM, a model name,
-- the spans location tag) went to a place among that value's entries as
-- random as trace ids are: with MLflow's random ids a write of a few dozen
-- spans dirtied a page per span in each such index (a WAL frame each, and
-- a checkpoint's write back). Without the trace id an index's equal
-- values are kept in row order (SQLite's rowid; PostgreSQL's heap order),
-- so new rows append at the end of their value's entries. A search that
-- matches a value reads the trace id from the row, which the full-value
-- comparison read already.

DROP INDEX spans_name_prefix;
CREATE INDEX spans_name_prefix ON spans ((substr(name, 1, 200)));
DROP INDEX spans_type_prefix;
CREATE INDEX spans_type_prefix ON spans ((substr(type, 1, 200)));
DROP INDEX trace_tags_value_prefix;
CREATE INDEX trace_tags_value_prefix ON trace_tags (key, (substr(value, 1, 200)));
DROP INDEX span_attributes_value_prefix;
CREATE INDEX span_attributes_value_prefix ON span_attributes (key, (substr(value, 1, 200)));
