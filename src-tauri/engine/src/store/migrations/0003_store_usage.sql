-- Schema v3: each memory store carries its live size and document count,
-- kept current by triggers, so a write's capacity check and a store's
-- summary are one row read instead of a scan of every document.

ALTER TABLE memory_stores ADD COLUMN used_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE memory_stores ADD COLUMN document_count INTEGER NOT NULL DEFAULT 0;

UPDATE memory_stores SET
  used_bytes = (SELECT COALESCE(SUM(v.size), 0) FROM documents d
                JOIN document_versions v ON v.id = d.head_version_id
                WHERE d.store_id = memory_stores.id AND d.deleted = 0),
  document_count = (SELECT COUNT(*) FROM documents d
                    WHERE d.store_id = memory_stores.id AND d.deleted = 0);

-- A version's size never changes (document_versions_immutable), so a
-- document's contribution is the size of its head version while live.
CREATE TRIGGER documents_usage_insert AFTER INSERT ON documents
BEGIN
  UPDATE memory_stores SET
    used_bytes = used_bytes + CASE WHEN NEW.deleted THEN 0 ELSE
      COALESCE((SELECT size FROM document_versions WHERE id = NEW.head_version_id), 0) END,
    document_count = document_count + CASE WHEN NEW.deleted THEN 0 ELSE 1 END
  WHERE id = NEW.store_id;
END;

CREATE TRIGGER documents_usage_update AFTER UPDATE OF head_version_id, deleted, store_id ON documents
BEGIN
  UPDATE memory_stores SET
    used_bytes = used_bytes - CASE WHEN OLD.deleted THEN 0 ELSE
      COALESCE((SELECT size FROM document_versions WHERE id = OLD.head_version_id), 0) END,
    document_count = document_count - CASE WHEN OLD.deleted THEN 0 ELSE 1 END
  WHERE id = OLD.store_id;
  UPDATE memory_stores SET
    used_bytes = used_bytes + CASE WHEN NEW.deleted THEN 0 ELSE
      COALESCE((SELECT size FROM document_versions WHERE id = NEW.head_version_id), 0) END,
    document_count = document_count + CASE WHEN NEW.deleted THEN 0 ELSE 1 END
  WHERE id = NEW.store_id;
END;

CREATE TRIGGER documents_usage_delete AFTER DELETE ON documents
BEGIN
  UPDATE memory_stores SET
    used_bytes = used_bytes - CASE WHEN OLD.deleted THEN 0 ELSE
      COALESCE((SELECT size FROM document_versions WHERE id = OLD.head_version_id), 0) END,
    document_count = document_count - CASE WHEN OLD.deleted THEN 0 ELSE 1 END
  WHERE id = OLD.store_id;
END;
