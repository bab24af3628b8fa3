-- Schema v5 (additive): each session records which completed dream
-- reviewed it, so a dream reads every session not yet reviewed, whatever
-- its age (a time cutoff skipped sessions that arrived before a dream over
-- an explicit list).
ALTER TABLE sessions ADD COLUMN reviewed_by_dream_id TEXT REFERENCES dreams(id) ON DELETE SET NULL;

-- Back-fill from the dreams that completed: the latest one that read it.
UPDATE sessions SET reviewed_by_dream_id = (
    SELECT d.id FROM dreams d, json_each(d.session_ids) j
    WHERE d.status = 'completed' AND j.value = sessions.id
    ORDER BY d.created_at DESC, d.id DESC LIMIT 1
);

CREATE INDEX sessions_unreviewed ON sessions(agent_id, started_at) WHERE reviewed_by_dream_id IS NULL;
