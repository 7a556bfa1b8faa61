-- MLflow 3 evaluation datasets: the dataset, the experiments it is linked
-- to, and its records (one per distinct inputs: input_hash is the SHA-256
-- of the inputs' canonical JSON; seq keeps the order they came in). tags, inputs, outputs, expectations and
-- source hold JSON text.

CREATE TABLE evaluation_datasets (
    dataset_id VARCHAR(36) PRIMARY KEY,
    name VARCHAR(255) NOT NULL,
    tags TEXT NOT NULL,
    dataset_schema TEXT NOT NULL,
    profile TEXT NOT NULL,
    digest VARCHAR(64) NOT NULL,
    created_time BIGINT NOT NULL,
    last_update_time BIGINT NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    last_updated_by VARCHAR(255) NOT NULL
);
CREATE INDEX evaluation_datasets_name ON evaluation_datasets (name);

CREATE TABLE evaluation_dataset_experiments (
    dataset_id VARCHAR(36) NOT NULL REFERENCES evaluation_datasets (dataset_id) ON DELETE CASCADE,
    experiment_id BIGINT NOT NULL,
    PRIMARY KEY (dataset_id, experiment_id)
);
CREATE INDEX evaluation_dataset_experiments_exp ON evaluation_dataset_experiments (experiment_id);

CREATE TABLE evaluation_dataset_records (
    seq {{ID}},
    dataset_record_id VARCHAR(36) NOT NULL UNIQUE,
    dataset_id VARCHAR(36) NOT NULL REFERENCES evaluation_datasets (dataset_id) ON DELETE CASCADE,
    input_hash VARCHAR(64) NOT NULL,
    inputs TEXT NOT NULL,
    outputs TEXT,
    expectations TEXT,
    tags TEXT,
    source TEXT,
    source_id VARCHAR(255),
    source_type VARCHAR(32),
    created_time BIGINT NOT NULL,
    last_update_time BIGINT NOT NULL,
    created_by VARCHAR(255) NOT NULL,
    last_updated_by VARCHAR(255) NOT NULL,
    UNIQUE (dataset_id, input_hash)
);
CREATE INDEX evaluation_dataset_records_order ON evaluation_dataset_records (dataset_id, seq);
