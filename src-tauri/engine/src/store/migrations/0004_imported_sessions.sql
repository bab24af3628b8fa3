-- Schema v4: sessions imported from other tools' logs (additive only).
--
-- An imported session is an ordinary session (its events are ordinary
-- events, stamped with the source's own times where it had them); this row
-- says where it came from and what the source said about how it went.
-- `import_key` is the sha256 of the agent and the record's canonical JSON,
-- so importing the same file twice finds every record already there.
CREATE TABLE session_imports (
    session_id    TEXT PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    import_key    TEXT NOT NULL,
    format        TEXT NOT NULL CHECK (format IN ('anthropic', 'openai', 'managed_agents')),
    file_name     TEXT NOT NULL,
    -- Where in the file: the record's 1-based number, and its line in a
    -- JSON Lines file (or the line its element ends on in a JSON array).
    record        INTEGER NOT NULL,
    line          INTEGER,
    -- The source's own id (a Managed Agents session id, a τ-bench task and trial).
    original_id   TEXT,
    -- The system prompt the source ran with, for export back to its format.
    system_prompt TEXT,
    -- The source's verdict, when it had one: a reward in 0..1 and/or pass/fail.
    reward        REAL,
    passed        INTEGER CHECK (passed IN (0, 1)),
    imported_at   TEXT NOT NULL
);
CREATE UNIQUE INDEX session_imports_key ON session_imports(import_key);
