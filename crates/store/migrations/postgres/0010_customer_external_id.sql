-- The customer's record id in the CRM it was imported from (客户编号, Account ID): what a
-- follow-up history file names it by. Several customers may carry one (two source systems,
-- a merge), so the index is not unique.
ALTER TABLE customers ADD COLUMN external_id TEXT;
CREATE INDEX customers_external_id ON customers (external_id);

-- A follow-up history file names customers by their name too: an exact look-up of the
-- folded name.
CREATE INDEX customers_name_search ON customers (name_search);
