-- The audit log's tables, as in the SQLite store (privllm/audit/schema.py), one log per
-- schema. The runner (privllm/audit/pg_schema.py) applies this inside one transaction
-- under the log's advisory lock and inserts the signed head row in that same transaction.
-- Text that is compared or ordered (time, period) is COLLATE "C": byte order, as SQLite.

CREATE TABLE log_head (
    id integer PRIMARY KEY CHECK (id = 1),
    format integer NOT NULL,
    log_id bytea NOT NULL,
    key_id text NOT NULL,
    chain_key bytea NOT NULL,
    anchor_seq bigint NOT NULL,
    anchor_mac bytea NOT NULL,
    last_seq bigint NOT NULL,
    last_mac bytea NOT NULL,
    last_period text COLLATE "C" NOT NULL,
    head_mac bytea NOT NULL
);

CREATE TABLE records (
    seq bigint PRIMARY KEY,
    call_id text NOT NULL UNIQUE,
    time text COLLATE "C" NOT NULL,
    provider text COLLATE "C" NOT NULL,
    model text NOT NULL,
    endpoint_host text,
    endpoint_kind text,
    decision text NOT NULL,
    rule text,
    status text NOT NULL,
    latency_ms double precision,
    prompt_tokens bigint,
    completion_tokens bigint,
    total_tokens bigint,
    findings text NOT NULL,
    content_mode text NOT NULL,
    period text COLLATE "C" NOT NULL,
    payload bytea,
    map bytea,
    mac bytea NOT NULL
);

CREATE INDEX records_by_time ON records (time);
CREATE INDEX records_by_period ON records (period);

CREATE TABLE data_keys (
    period text COLLATE "C" PRIMARY KEY,
    wrapped bytea NOT NULL
);

CREATE TABLE map_keys (
    call_id text PRIMARY KEY,
    wrapped bytea NOT NULL
);
