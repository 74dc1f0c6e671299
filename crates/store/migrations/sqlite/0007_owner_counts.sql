-- How many customers each user owns, kept by triggers in the transaction that changes an
-- owner, so that checking the owner cap on every entry, claim, transfer and lead is one row
-- read instead of counting the owner's customers (50,000 index entries for a rep with a large
-- book). SQLite serializes writers anyway, so the counter row costs no concurrency here.
CREATE TABLE owner_counts (
    user_id  INTEGER PRIMARY KEY REFERENCES users (id),
    owned    INTEGER NOT NULL CHECK (owned >= 0)
);

INSERT INTO owner_counts (user_id, owned)
SELECT owner_id, COUNT(*) FROM customers WHERE owner_id IS NOT NULL GROUP BY owner_id;

CREATE TRIGGER owner_counts_insert AFTER INSERT ON customers
WHEN NEW.owner_id IS NOT NULL
BEGIN
    INSERT INTO owner_counts (user_id, owned) VALUES (NEW.owner_id, 1)
    ON CONFLICT (user_id) DO UPDATE SET owned = owned + 1;
END;

CREATE TRIGGER owner_counts_update AFTER UPDATE OF owner_id ON customers
WHEN OLD.owner_id IS NOT NEW.owner_id
BEGIN
    UPDATE owner_counts SET owned = owned - 1 WHERE user_id = OLD.owner_id;
    INSERT INTO owner_counts (user_id, owned) SELECT NEW.owner_id, 1 WHERE NEW.owner_id IS NOT NULL
    ON CONFLICT (user_id) DO UPDATE SET owned = owned + 1;
END;

CREATE TRIGGER owner_counts_delete AFTER DELETE ON customers
WHEN OLD.owner_id IS NOT NULL
BEGIN
    UPDATE owner_counts SET owned = owned - 1 WHERE user_id = OLD.owner_id;
END;
