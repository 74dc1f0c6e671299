-- Free text on a customer (备注): a rep's notes, and values an import or an inbound lead
-- carried that could not be used as what their column said, kept as typed.
ALTER TABLE customers ADD COLUMN note TEXT;

-- Each imported row's warnings: values kept unverified or kept in the note.
ALTER TABLE import_results ADD COLUMN warnings TEXT NOT NULL DEFAULT '';
