-- SQLite keeps a count of each user's customers (sqlite/0007_owner_counts.sql). PostgreSQL
-- counts with the (owner_id, id) index instead: a counter row updated by every insert would
-- serialize concurrent writers of one owner (an import batch updates it thousands of times in
-- one transaction) and could deadlock transfers in opposite directions. This migration keeps
-- the two backends' versions in step.
SELECT 1;
