-- Schema v7 (additive): evaluation sets, regression gates and their runs,
-- evaluation sessions (never reviewed by dreams, left out of normal stats)
-- and pinned memory lines.

-- An agent's evaluation set: ordered tasks, each graded by a rubric.
CREATE TABLE eval_tasks (
    id                TEXT PRIMARY KEY,
    agent_id          TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    position          INTEGER NOT NULL,
    name              TEXT NOT NULL DEFAULT '',
    task              TEXT NOT NULL,
    rubric_id         TEXT NOT NULL REFERENCES rubrics(id) ON DELETE CASCADE,
    -- The graded session it was taken from ("Use as a check"), if any.
    source_session_id TEXT,
    -- Bumped on every edit; a gate records the versions it ran.
    version           INTEGER NOT NULL DEFAULT 1,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX eval_tasks_agent ON eval_tasks(agent_id, position);

-- One replay of the evaluation set over two memory versions: a dream's
-- regression gate (before = memory as it is, after = with the proposal) or
-- a comparison of any two versions.
CREATE TABLE eval_gates (
    id          TEXT PRIMARY KEY,
    agent_id    TEXT NOT NULL REFERENCES agents(id) ON DELETE CASCADE,
    dream_id    TEXT REFERENCES dreams(id) ON DELETE CASCADE,
    kind        TEXT NOT NULL CHECK (kind IN ('gate', 'compare')),
    before_spec TEXT NOT NULL,
    after_spec  TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('running', 'passed', 'regressed', 'failed', 'canceled')),
    auto_apply  INTEGER NOT NULL DEFAULT 0,
    -- Tolerance, budget and concurrency, as they were when it started.
    settings    TEXT NOT NULL DEFAULT '{}',
    -- The tasks it replays (id, version, task, rubric), fixed at the start.
    tasks       TEXT NOT NULL DEFAULT '[]',
    summary     TEXT NOT NULL DEFAULT '{}',
    decision    TEXT,
    error       TEXT,
    created_at  TEXT NOT NULL,
    finished_at TEXT
);
CREATE INDEX eval_gates_agent ON eval_gates(agent_id, created_at);
CREATE INDEX eval_gates_dream ON eval_gates(dream_id) WHERE dream_id IS NOT NULL;
CREATE INDEX eval_gates_running ON eval_gates(status) WHERE status = 'running';

-- One task on one side of a gate.
CREATE TABLE eval_runs (
    gate_id     TEXT NOT NULL REFERENCES eval_gates(id) ON DELETE CASCADE,
    task_id     TEXT NOT NULL,
    side        TEXT NOT NULL CHECK (side IN ('before', 'after')),
    status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'error')),
    session_id  TEXT,
    outcome_id  TEXT,
    result      TEXT,
    passed      INTEGER,
    score       REAL,
    attempts    INTEGER NOT NULL DEFAULT 0,
    tokens      INTEGER NOT NULL DEFAULT 0,
    cost_usd    REAL NOT NULL DEFAULT 0,
    ms          INTEGER NOT NULL DEFAULT 0,
    error       TEXT,
    PRIMARY KEY (gate_id, task_id, side)
);

-- Sessions run by a gate or a calibration: dreams never review them and
-- normal outcome stats leave them out.
CREATE TABLE eval_sessions (
    session_id TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    gate_id    TEXT
);

-- Lines of a memory document the user pinned: dreams never delete or
-- change them.
CREATE TABLE pinned_lines (
    store_id   TEXT NOT NULL REFERENCES memory_stores(id) ON DELETE CASCADE,
    path       TEXT NOT NULL,
    line       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (store_id, path, line)
);
