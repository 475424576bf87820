-- The head schema, rendered from the migrations by `python -m trackyard.store.migrations.head_sql`.
-- Do not edit: regenerate.

CREATE TABLE alembic_version (
    version_num VARCHAR(32) NOT NULL, 
    CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);

-- Running upgrade  -> 0001

CREATE TABLE experiments (
    experiment_id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    name VARCHAR(500) NOT NULL, 
    artifact_location TEXT, 
    lifecycle_stage VARCHAR(20) NOT NULL, 
    creation_time BIGINT, 
    last_update_time BIGINT, 
    UNIQUE (name)
);

CREATE TABLE experiment_tags (
    experiment_id INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (experiment_id, "key"), 
    FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE TABLE runs (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    run_uuid VARCHAR(32) NOT NULL, 
    experiment_id INTEGER NOT NULL, 
    name VARCHAR(250), 
    user_id VARCHAR(256), 
    status VARCHAR(20) NOT NULL, 
    start_time BIGINT, 
    end_time BIGINT, 
    lifecycle_stage VARCHAR(20) NOT NULL, 
    artifact_uri TEXT, 
    deleted_time BIGINT, 
    UNIQUE (run_uuid), 
    FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE INDEX runs_by_experiment ON runs (experiment_id, lifecycle_stage, start_time);

CREATE TABLE run_params (
    run_id INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (run_id, "key"), 
    FOREIGN KEY(run_id) REFERENCES runs (id)
);

CREATE INDEX run_params_by_key ON run_params ("key", value);

CREATE TABLE run_tags (
    run_id INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (run_id, "key"), 
    FOREIGN KEY(run_id) REFERENCES runs (id)
);

CREATE INDEX run_tags_by_key ON run_tags ("key", value);

CREATE TABLE metric_keys (
    id INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    PRIMARY KEY (id), 
    UNIQUE ("key")
);

CREATE TABLE metrics (
    run_id INTEGER NOT NULL, 
    key_id INTEGER NOT NULL, 
    step BIGINT NOT NULL, 
    timestamp BIGINT NOT NULL, 
    value FLOAT
);

CREATE UNIQUE INDEX metrics_points ON metrics (run_id, key_id, step, timestamp, value);

CREATE TABLE latest_metrics (
    run_id INTEGER NOT NULL, 
    key_id INTEGER NOT NULL, 
    step BIGINT NOT NULL, 
    timestamp BIGINT NOT NULL, 
    value FLOAT, 
    PRIMARY KEY (run_id, key_id)
);

CREATE INDEX latest_metrics_by_value ON latest_metrics (key_id, value);

CREATE TABLE datasets (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    experiment_id INTEGER NOT NULL, 
    name VARCHAR(500) NOT NULL, 
    digest VARCHAR(64) NOT NULL, 
    source_type VARCHAR(36), 
    source TEXT, 
    schema TEXT, 
    profile TEXT, 
    UNIQUE (experiment_id, name, digest)
);

CREATE TABLE run_inputs (
    run_id INTEGER NOT NULL, 
    dataset_id INTEGER NOT NULL, 
    PRIMARY KEY (run_id, dataset_id)
);

CREATE INDEX run_inputs_by_dataset ON run_inputs (dataset_id);

CREATE TABLE run_input_tags (
    run_id INTEGER NOT NULL, 
    dataset_id INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (run_id, dataset_id, "key")
);

CREATE TABLE run_model_inputs (
    run_id INTEGER NOT NULL, 
    model_id VARCHAR(64) NOT NULL, 
    PRIMARY KEY (run_id, model_id)
);

CREATE TABLE run_model_outputs (
    run_id INTEGER NOT NULL, 
    model_id VARCHAR(64) NOT NULL, 
    step BIGINT NOT NULL, 
    PRIMARY KEY (run_id, model_id)
);

INSERT INTO alembic_version (version_num) VALUES ('0001') RETURNING version_num;

-- Running upgrade 0001 -> 0002

CREATE TABLE registered_models (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    name VARCHAR(256) NOT NULL, 
    creation_time BIGINT, 
    last_updated_time BIGINT, 
    description TEXT, 
    UNIQUE (name)
);

CREATE INDEX registered_models_by_update ON registered_models (last_updated_time, name);

CREATE TABLE registered_model_tags (
    model_id INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (model_id, "key"), 
    FOREIGN KEY(model_id) REFERENCES registered_models (id)
);

CREATE INDEX registered_model_tags_by_key ON registered_model_tags ("key", model_id);

CREATE TABLE model_versions (
    model_id INTEGER NOT NULL, 
    version INTEGER NOT NULL, 
    creation_time BIGINT, 
    last_updated_time BIGINT, 
    description TEXT, 
    user_id VARCHAR(256), 
    current_stage VARCHAR(20) NOT NULL, 
    source TEXT, 
    storage_location TEXT, 
    run_id VARCHAR(32), 
    run_link TEXT, 
    status VARCHAR(20) NOT NULL, 
    status_message TEXT, 
    logged_model_id VARCHAR(64), 
    PRIMARY KEY (model_id, version), 
    FOREIGN KEY(model_id) REFERENCES registered_models (id)
);

CREATE INDEX model_versions_by_run ON model_versions (run_id);

CREATE TABLE model_version_tags (
    model_id INTEGER NOT NULL, 
    version INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (model_id, version, "key"), 
    FOREIGN KEY(model_id, version) REFERENCES model_versions (model_id, version)
);

CREATE TABLE registered_model_aliases (
    model_id INTEGER NOT NULL, 
    alias VARCHAR(255) NOT NULL, 
    version INTEGER NOT NULL, 
    PRIMARY KEY (model_id, alias), 
    FOREIGN KEY(model_id) REFERENCES registered_models (id)
);

CREATE TABLE logged_models (
    model_id VARCHAR(64) NOT NULL, 
    experiment_id INTEGER NOT NULL, 
    name VARCHAR(500) NOT NULL, 
    artifact_location TEXT NOT NULL, 
    creation_timestamp_ms BIGINT NOT NULL, 
    last_updated_timestamp_ms BIGINT NOT NULL, 
    status INTEGER NOT NULL, 
    lifecycle_stage VARCHAR(32) NOT NULL, 
    model_type VARCHAR(500), 
    source_run_id VARCHAR(32), 
    status_message TEXT, 
    PRIMARY KEY (model_id), 
    FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE INDEX logged_models_by_experiment ON logged_models (experiment_id, lifecycle_stage, creation_timestamp_ms);

CREATE TABLE logged_model_tags (
    model_id VARCHAR(64) NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (model_id, "key"), 
    FOREIGN KEY(model_id) REFERENCES logged_models (model_id)
);

CREATE TABLE logged_model_params (
    model_id VARCHAR(64) NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (model_id, "key"), 
    FOREIGN KEY(model_id) REFERENCES logged_models (model_id)
);

CREATE TABLE logged_model_metrics (
    model_id VARCHAR(64) NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    timestamp BIGINT NOT NULL, 
    step BIGINT NOT NULL, 
    run_id VARCHAR(32) NOT NULL, 
    value FLOAT, 
    dataset_name VARCHAR(500), 
    dataset_digest VARCHAR(64), 
    PRIMARY KEY (model_id, "key", timestamp, step, run_id), 
    FOREIGN KEY(model_id) REFERENCES logged_models (model_id)
);

CREATE INDEX logged_model_metrics_by_key ON logged_model_metrics ("key", value);

UPDATE alembic_version SET version_num='0002' WHERE alembic_version.version_num = '0001';

-- Running upgrade 0002 -> 0003

CREATE TABLE metric_points (
    run_id INTEGER NOT NULL, 
    key_id INTEGER NOT NULL, 
    step BIGINT NOT NULL, 
    timestamp BIGINT NOT NULL, 
    value FLOAT NOT NULL, 
    PRIMARY KEY (run_id, key_id, step, timestamp, value)
)
 WITHOUT ROWID;

INSERT OR IGNORE INTO metric_points (run_id, key_id, step, timestamp, value) SELECT run_id, key_id, step, timestamp, COALESCE(value, 'NaN') FROM metrics;

DROP TABLE metrics;

ALTER TABLE metric_points RENAME TO metrics;

UPDATE alembic_version SET version_num='0003' WHERE alembic_version.version_num = '0002';

-- Running upgrade 0003 -> 0004

CREATE TABLE metric_blocks (
    run_id INTEGER NOT NULL, 
    key_id INTEGER NOT NULL, 
    first_step BIGINT NOT NULL, 
    first_timestamp BIGINT NOT NULL, 
    last_step BIGINT NOT NULL, 
    last_timestamp BIGINT NOT NULL, 
    points BLOB NOT NULL, 
    PRIMARY KEY (run_id, key_id, last_step, last_timestamp)
)
 WITHOUT ROWID;

DROP TABLE metrics;

UPDATE alembic_version SET version_num='0004' WHERE alembic_version.version_num = '0003';

-- Running upgrade 0004 -> 0005

CREATE TABLE users (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    username VARCHAR(255) NOT NULL, 
    password_hash VARCHAR(255) NOT NULL, 
    is_admin BOOLEAN NOT NULL, 
    creation_time BIGINT NOT NULL, 
    UNIQUE (username)
);

CREATE TABLE access_tokens (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    user_id INTEGER NOT NULL, 
    kind VARCHAR(16) NOT NULL, 
    name VARCHAR(255) NOT NULL, 
    token_hash VARCHAR(64) NOT NULL, 
    creation_time BIGINT NOT NULL, 
    expiry_time BIGINT, 
    revoked_time BIGINT, 
    FOREIGN KEY(user_id) REFERENCES users (id), 
    UNIQUE (token_hash)
);

CREATE INDEX access_tokens_by_user ON access_tokens (user_id, kind);

CREATE TABLE roles (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    name VARCHAR(255) NOT NULL, 
    description TEXT, 
    UNIQUE (name)
);

CREATE TABLE user_roles (
    user_id INTEGER NOT NULL, 
    role_id INTEGER NOT NULL, 
    PRIMARY KEY (user_id, role_id), 
    FOREIGN KEY(user_id) REFERENCES users (id), 
    FOREIGN KEY(role_id) REFERENCES roles (id)
);

CREATE INDEX user_roles_by_role ON user_roles (role_id);

CREATE TABLE grants (
    id INTEGER NOT NULL PRIMARY KEY AUTOINCREMENT, 
    resource_type VARCHAR(32) NOT NULL, 
    resource_key INTEGER NOT NULL, 
    principal_type VARCHAR(8) NOT NULL, 
    principal_id INTEGER NOT NULL, 
    permission VARCHAR(16) NOT NULL, 
    level SMALLINT NOT NULL, 
    UNIQUE (resource_type, resource_key, principal_type, principal_id)
);

CREATE INDEX grants_by_principal ON grants (principal_type, principal_id);

UPDATE alembic_version SET version_num='0005' WHERE alembic_version.version_num = '0004';

-- Running upgrade 0005 -> 0006

CREATE TABLE traces (
    id INTEGER NOT NULL, 
    trace_id VARCHAR(64) NOT NULL, 
    experiment_id INTEGER NOT NULL, 
    request_time BIGINT NOT NULL, 
    execution_ms BIGINT, 
    state VARCHAR(20) NOT NULL, 
    client_request_id TEXT, 
    request_preview TEXT, 
    response_preview TEXT, 
    finalized SMALLINT NOT NULL, 
    PRIMARY KEY (id), 
    UNIQUE (trace_id), 
    FOREIGN KEY(experiment_id) REFERENCES experiments (experiment_id)
);

CREATE INDEX traces_by_experiment ON traces (experiment_id, request_time, trace_id);

CREATE TABLE trace_tags (
    trace_key INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (trace_key, "key")
)
 WITHOUT ROWID;

CREATE TABLE trace_metadata (
    trace_key INTEGER NOT NULL, 
    "key" VARCHAR(250) NOT NULL, 
    value TEXT, 
    PRIMARY KEY (trace_key, "key")
)
 WITHOUT ROWID;

CREATE TABLE trace_runs (
    trace_key INTEGER NOT NULL, 
    run_id VARCHAR(32) NOT NULL, 
    PRIMARY KEY (trace_key, run_id)
)
 WITHOUT ROWID;

CREATE INDEX trace_runs_by_run ON trace_runs (run_id);

CREATE TABLE spans (
    trace_key INTEGER NOT NULL, 
    span_id VARCHAR(16) NOT NULL, 
    parent_span_id VARCHAR(16), 
    name TEXT, 
    type VARCHAR(64), 
    status VARCHAR(10) NOT NULL, 
    start_ns BIGINT NOT NULL, 
    end_ns BIGINT, 
    content BLOB NOT NULL, 
    PRIMARY KEY (trace_key, span_id)
)
 WITHOUT ROWID;

CREATE TABLE assessments (
    assessment_id VARCHAR(50) NOT NULL, 
    trace_key INTEGER NOT NULL, 
    name TEXT NOT NULL, 
    kind VARCHAR(20) NOT NULL, 
    valid SMALLINT NOT NULL, 
    create_time BIGINT NOT NULL, 
    content TEXT NOT NULL, 
    PRIMARY KEY (assessment_id)
);

CREATE INDEX assessments_by_trace ON assessments (trace_key);

UPDATE alembic_version SET version_num='0006' WHERE alembic_version.version_num = '0005';

-- Running upgrade 0006 -> 0007

UPDATE alembic_version SET version_num='0007' WHERE alembic_version.version_num = '0006';

-- Running upgrade 0007 -> 0008

DROP INDEX traces_by_experiment;

CREATE INDEX traces_by_experiment ON traces (experiment_id, request_time DESC, trace_id);

UPDATE alembic_version SET version_num='0008' WHERE alembic_version.version_num = '0007';

