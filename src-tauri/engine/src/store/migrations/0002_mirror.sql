-- Reverie schema, version 2: the folder mirror's memory (additive only).

-- What a mirrored document looked like when the store and the folder last
-- agreed: one row per document path and folder. A sync compares both sides
-- against it to tell which side changed (or both: a conflict). `dir` is the
-- folder's absolute path, so mirroring to another folder starts afresh.
CREATE TABLE mirror_entries (
    store_id    TEXT NOT NULL REFERENCES memory_stores(id) ON DELETE CASCADE,
    dir         TEXT NOT NULL,
    path        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    synced_at   TEXT NOT NULL,
    PRIMARY KEY (store_id, dir, path)
);

-- Changes made on both sides since the last sync. Nothing is dropped: the
-- store keeps its version at `path`, and the folder's text is kept as a
-- document of its own at `conflict_path` (NULL when it was kept at `path`,
-- or when the folder had deleted the file).
CREATE TABLE mirror_conflicts (
    id              TEXT PRIMARY KEY,
    store_id        TEXT NOT NULL REFERENCES memory_stores(id) ON DELETE CASCADE,
    dir             TEXT NOT NULL,
    path            TEXT NOT NULL,
    conflict_path   TEXT,
    kind            TEXT NOT NULL CHECK (kind IN ('both_changed', 'deleted_in_store', 'deleted_in_folder')),
    store_sha256    TEXT,
    folder_sha256   TEXT,
    detected_at     TEXT NOT NULL,
    resolved_at     TEXT
);
CREATE INDEX mirror_conflicts_open ON mirror_conflicts(store_id, detected_at) WHERE resolved_at IS NULL;
