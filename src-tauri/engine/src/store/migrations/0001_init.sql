-- Reverie schema, version 1. Ids are ULIDs, times are UTC RFC 3339 with
-- milliseconds (fixed width, so text order is time order). JSON columns hold
-- small lists and payloads; everything queried by value has its own column.

CREATE TABLE agents (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    provider        TEXT NOT NULL CHECK (provider IN ('anthropic', 'openai')),
    model           TEXT NOT NULL,
    system_prompt   TEXT NOT NULL DEFAULT '',
    tools           TEXT NOT NULL DEFAULT '[]',
    default_rubric_id TEXT REFERENCES rubrics(id) ON DELETE SET NULL,
    dream_policy    TEXT NOT NULL DEFAULT 'review' CHECK (dream_policy IN ('review', 'auto')),
    dream_schedule  TEXT,
    settings        TEXT NOT NULL DEFAULT '{}',
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

-- A coordinator's roster: the agents it may delegate to (itself allowed).
CREATE TABLE roster_entries (
    lead_id     TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    member_id   TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    position    INTEGER NOT NULL,
    PRIMARY KEY (lead_id, member_id)
);

CREATE TABLE memory_stores (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    description     TEXT NOT NULL DEFAULT '',
    instructions    TEXT NOT NULL DEFAULT '',
    size_limit_bytes INTEGER NOT NULL,
    -- The agent whose default store this is; NULL for shared stores.
    owner_agent_id  TEXT REFERENCES agents(id) ON DELETE CASCADE,
    mirror_dir      TEXT,
    created_at      TEXT NOT NULL
);

CREATE TABLE agent_stores (
    agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    store_id    TEXT NOT NULL REFERENCES memory_stores(id) ON DELETE CASCADE,
    access      TEXT NOT NULL CHECK (access IN ('read_only', 'read_write')),
    position    INTEGER NOT NULL,
    PRIMARY KEY (agent_id, store_id)
);

-- A document is an identity; its content lives in immutable versions. The
-- row points at the newest version and caches its path for lookups.
CREATE TABLE documents (
    id              TEXT PRIMARY KEY,
    store_id        TEXT NOT NULL REFERENCES memory_stores(id) ON DELETE CASCADE,
    path            TEXT NOT NULL,
    head_version_id TEXT NOT NULL,
    deleted         INTEGER NOT NULL DEFAULT 0,
    pinned          INTEGER NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX documents_live_path ON documents(store_id, path) WHERE deleted = 0;

CREATE TABLE document_versions (
    id          TEXT PRIMARY KEY,
    document_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq         INTEGER NOT NULL,
    path        TEXT NOT NULL,
    op          TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'rename', 'restore')),
    -- NULL once redacted; sha256 and size keep describing what was there.
    content     TEXT,
    sha256      TEXT NOT NULL,
    size        INTEGER NOT NULL,
    author_kind TEXT NOT NULL CHECK (author_kind IN ('user', 'agent', 'dream', 'external')),
    author_id   TEXT,
    session_id  TEXT,
    dream_id    TEXT,
    reason      TEXT NOT NULL DEFAULT '',
    redacted_at TEXT,
    created_at  TEXT NOT NULL,
    UNIQUE (document_id, seq)
);
CREATE INDEX document_versions_dream ON document_versions(dream_id) WHERE dream_id IS NOT NULL;

-- Versions are immutable: the only change allowed is a redaction, which
-- removes the content and nothing else.
CREATE TRIGGER document_versions_immutable
BEFORE UPDATE ON document_versions
WHEN NOT (NEW.content IS NULL AND NEW.redacted_at IS NOT NULL
          AND NEW.id = OLD.id AND NEW.document_id = OLD.document_id AND NEW.seq = OLD.seq
          AND NEW.path = OLD.path AND NEW.op = OLD.op AND NEW.sha256 = OLD.sha256
          AND NEW.size = OLD.size AND NEW.author_kind = OLD.author_kind
          AND NEW.created_at = OLD.created_at)
BEGIN
    SELECT RAISE(ABORT, 'document versions are immutable; only redaction may clear content');
END;

CREATE TABLE sessions (
    id              TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    -- Subagent threads are sessions too: parent is the delegating thread,
    -- root the session the user started.
    parent_id       TEXT REFERENCES sessions(id) ON DELETE CASCADE,
    root_id         TEXT NOT NULL,
    task            TEXT NOT NULL,
    status          TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed', 'interrupted', 'canceled')),
    final_answer    TEXT,
    error           TEXT,
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens     INTEGER NOT NULL DEFAULT 0,
    cost_usd        REAL NOT NULL DEFAULT 0,
    started_at      TEXT NOT NULL,
    ended_at        TEXT
);
CREATE INDEX sessions_agent_started ON sessions(agent_id, started_at);
CREATE INDEX sessions_started ON sessions(started_at);
CREATE INDEX sessions_status ON sessions(status) WHERE status = 'running';
CREATE INDEX sessions_root ON sessions(root_id);

-- The append-only log. seq is the rowid: monotonic, and `at` is stamped
-- under the write lock, so seq order is time order and one index serves
-- paging by position and by time. session_id is the root session (one
-- timeline); thread_id the subagent session whose thread wrote it, NULL for
-- the root's own thread, so single-agent sessions never touch that index.
-- Each index costs a page write per commit: keep them few.
CREATE TABLE events (
    seq         INTEGER PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    thread_id   TEXT,
    parent_thread_id TEXT,
    kind        TEXT NOT NULL,
    at          TEXT NOT NULL,
    latency_ms  INTEGER,
    input_tokens  INTEGER,
    output_tokens INTEGER,
    cache_creation_input_tokens INTEGER,
    cache_read_input_tokens     INTEGER,
    cost_usd    REAL,
    data        TEXT NOT NULL
);
CREATE INDEX events_session ON events(session_id, seq);
CREATE INDEX events_session_kind ON events(session_id, kind, seq);
CREATE INDEX events_thread ON events(thread_id, seq) WHERE thread_id IS NOT NULL;

CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'session events are append-only'); END;

CREATE TABLE dreams (
    id              TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    input_store_id  TEXT NOT NULL REFERENCES memory_stores(id) ON DELETE CASCADE,
    output_store_id TEXT REFERENCES memory_stores(id) ON DELETE SET NULL,
    mode            TEXT NOT NULL CHECK (mode IN ('create_new', 'update_existing')),
    status          TEXT NOT NULL CHECK (status IN ('pending', 'running', 'completed', 'failed', 'canceled')),
    -- What happened to the proposal: staged for review, applied, etc.
    review          TEXT NOT NULL DEFAULT 'none' CHECK (review IN ('none', 'staged', 'applied', 'partially_applied', 'rejected', 'reverted')),
    trigger_kind    TEXT NOT NULL CHECK (trigger_kind IN ('schedule', 'tray', 'ui', 'cli')),
    provider        TEXT NOT NULL,
    model           TEXT NOT NULL,
    instructions    TEXT NOT NULL DEFAULT '',
    budget_tokens   INTEGER,
    session_ids     TEXT NOT NULL DEFAULT '[]',
    progress        TEXT NOT NULL DEFAULT '{}',
    input_tokens    INTEGER NOT NULL DEFAULT 0,
    output_tokens   INTEGER NOT NULL DEFAULT 0,
    cache_creation_input_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_input_tokens     INTEGER NOT NULL DEFAULT 0,
    cost_usd        REAL NOT NULL DEFAULT 0,
    error           TEXT,
    created_at      TEXT NOT NULL,
    started_at      TEXT,
    finished_at     TEXT,
    applied_at      TEXT,
    reverted_at     TEXT
);
CREATE INDEX dreams_agent_created ON dreams(agent_id, created_at);

-- A dream's proposal: ordered edits, each with why and from which sessions.
CREATE TABLE proposal_edits (
    id              TEXT PRIMARY KEY,
    dream_id        TEXT NOT NULL REFERENCES dreams(id) ON DELETE CASCADE,
    position        INTEGER NOT NULL,
    op              TEXT NOT NULL CHECK (op IN ('create', 'rewrite', 'merge', 'delete')),
    path            TEXT NOT NULL,
    merged_paths    TEXT NOT NULL DEFAULT '[]',
    content         TEXT,
    -- sha256 of the document when the dream read it: apply detects changes.
    base_sha256     TEXT,
    reason          TEXT NOT NULL,
    source_session_ids TEXT NOT NULL DEFAULT '[]',
    decision        TEXT NOT NULL DEFAULT 'pending' CHECK (decision IN ('pending', 'accepted', 'rejected', 'applied', 'reverted')),
    UNIQUE (dream_id, position)
);

CREATE TABLE rubrics (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    current_version INTEGER NOT NULL,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE rubric_versions (
    rubric_id   TEXT NOT NULL REFERENCES rubrics(id) ON DELETE CASCADE,
    version     INTEGER NOT NULL,
    document    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    PRIMARY KEY (rubric_id, version)
);

CREATE TABLE outcomes (
    id              TEXT PRIMARY KEY,
    session_id      TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
    agent_id        TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    rubric_id       TEXT NOT NULL REFERENCES rubrics(id) ON DELETE CASCADE,
    rubric_version  INTEGER NOT NULL,
    task            TEXT NOT NULL,
    max_iterations  INTEGER NOT NULL CHECK (max_iterations BETWEEN 1 AND 20),
    result          TEXT CHECK (result IN ('needs_revision', 'satisfied', 'max_iterations_reached', 'failed', 'interrupted')),
    explanation     TEXT NOT NULL DEFAULT '',
    iterations      INTEGER NOT NULL DEFAULT 0,
    score           REAL,
    created_at      TEXT NOT NULL,
    finished_at     TEXT
);
CREATE INDEX outcomes_rubric_created ON outcomes(rubric_id, created_at);
CREATE INDEX outcomes_agent_created ON outcomes(agent_id, created_at);

CREATE TABLE outcome_verdicts (
    outcome_id      TEXT NOT NULL REFERENCES outcomes(id) ON DELETE CASCADE,
    iteration       INTEGER NOT NULL,
    criterion_index INTEGER NOT NULL,
    criterion_name  TEXT NOT NULL,
    passed          INTEGER NOT NULL,
    score           REAL NOT NULL,
    evidence        TEXT NOT NULL DEFAULT '',
    gap             TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (outcome_id, iteration, criterion_index)
);

-- Work that must happen once (a running session, a dream, a schedule slot)
-- is claimed here, not by hoping two processes never race.
CREATE TABLE leases (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    acquired_at TEXT NOT NULL,
    expires_at  TEXT NOT NULL
);

-- Non-secret settings. API keys never go here: they live in the keychain.
CREATE TABLE settings (
    key     TEXT PRIMARY KEY,
    value   TEXT NOT NULL
);
