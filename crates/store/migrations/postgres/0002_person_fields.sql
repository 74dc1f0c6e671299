-- People (B2C): date of birth and identity number; postal code for everyone.
ALTER TABLE customers ADD COLUMN postcode TEXT;
ALTER TABLE customers ADD COLUMN birth_date TEXT;
ALTER TABLE customers ADD COLUMN id_number TEXT;
-- Version of the matching profile stored in `profile`; older ones are rebuilt on start.
ALTER TABLE customers ADD COLUMN profile_version BIGINT NOT NULL DEFAULT 1;
CREATE INDEX customers_profile_version ON customers (profile_version);
