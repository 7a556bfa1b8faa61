-- OTLP ingest: trace_tags (key, request_id) served no query. A tag filter
-- reads 0006's (key, value prefix, request_id) index, which leads with the
-- key as well, and a trace's own tags come by the primary key (request_id,
-- key). Each new trace wrote two entries into it (its artifact location
-- and spans location tags), at places as random as trace ids: dropping it
-- takes a sixth of the index pages a trace's first write dirties.

DROP INDEX trace_tags_key_value;
