-- traces/search: a span-name, span-type or tag filter that matches few
-- traces (or none) is answered from an index instead of probing every trace
-- of the experiment. The indexed key is the value's first 200 characters
-- (an expression index, on SQLite and PostgreSQL alike), so a long span name
-- or tag value never exceeds PostgreSQL's index row limit; the query
-- compares the full value as well.

CREATE INDEX spans_name_prefix ON spans ((substr(name, 1, 200)), trace_id);
CREATE INDEX spans_type_prefix ON spans ((substr(type, 1, 200)), trace_id);
CREATE INDEX trace_tags_value_prefix ON trace_tags (key, (substr(value, 1, 200)), request_id);
