-- OTLP ingest: after 0012 a new trace's rows append at the end of every
-- index but two: the text id's UNIQUE index, and 0011's tag value index
-- for the trace's mlflow.artifactLocation tag, whose value holds the trace
-- id (<experiment location>/traces/<id>/artifacts) and so sorts as
-- randomly as MLflow's ids. That tag is never looked up by value through
-- the index (a filter on it is checked per trace, as a common value is):
-- the index leaves it out.

-- 0012 no longer makes the index; a database migrated to 0012 before it did
-- still has the full one.
DROP INDEX IF EXISTS trace_tags_value_prefix;
CREATE INDEX trace_tags_value_prefix ON trace_tags (key, (substr(value, 1, 200))) WHERE key <> 'mlflow.artifactLocation';
