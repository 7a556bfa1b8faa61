-- traces/search: span.attributes.<key> with LIKE, ILIKE or != reads the
-- key's rows once. A value shorter than 200 characters is whole in 0007's
-- index (its first 200 characters), so it is compared there, without
-- reading its row; the values of 200 characters or more, found through
-- this partial index, are read and compared whole.

CREATE INDEX span_attributes_long ON span_attributes (key, trace_id) WHERE length(value) >= 200;
