-- Schema v6: agents.provider is plain text. Which names are valid is the
-- provider registry's business (Rust, `provider::registry`), so a new
-- provider needs no migration. SQLite cannot drop a CHECK constraint, so
-- the table is rebuilt once, following SQLite's documented procedure: the
-- store runs migrations with foreign keys off (so dropping the old table
-- cascades nowhere) and checks every foreign key before turning them back
-- on; the tables that reference agents(id) name it by name and so point at
-- the rebuilt table. Columns, defaults, the other CHECK and the unique name
-- are as in 0001.

CREATE TABLE agents_v6 (
    id              TEXT PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE,
    provider        TEXT NOT NULL,
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

INSERT INTO agents_v6 (id, name, provider, model, system_prompt, tools, default_rubric_id,
                       dream_policy, dream_schedule, settings, created_at, updated_at)
SELECT id, name, provider, model, system_prompt, tools, default_rubric_id,
       dream_policy, dream_schedule, settings, created_at, updated_at
FROM agents;

DROP TABLE agents;

ALTER TABLE agents_v6 RENAME TO agents;
