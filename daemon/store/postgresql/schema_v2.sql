-- One audit chain per clinic ("clinic:<id>"), the fleet's own records (policy, tokens) and the anchors
-- in "fleet". Every record so far is in the fleet chain, so its seq is unique and becomes its id.

-- The listing's order across chains: the order records were stored in.
ALTER TABLE audit ADD COLUMN id bigint;
UPDATE audit SET id = seq;
CREATE SEQUENCE audit_id_seq OWNED BY audit.id;
SELECT setval('audit_id_seq', coalesce((SELECT max(id) FROM audit), 0) + 1, false);
ALTER TABLE audit ALTER COLUMN id SET DEFAULT nextval('audit_id_seq');
ALTER TABLE audit ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX audit_listing ON audit (id);
CREATE INDEX audit_listing_by_clinic ON audit (clinic, id) WHERE clinic IS NOT NULL;

-- A clinic chain's head also keeps the shard that last appended to it and how far the fleet chain has
-- anchored it: the shard's owner anchors its chains that moved, and a later owner anchors what its
-- predecessor left unanchored.
ALTER TABLE audit_heads ADD COLUMN shard integer;
ALTER TABLE audit_heads ADD COLUMN anchored_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX audit_heads_unanchored ON audit_heads (shard) WHERE seq > anchored_seq;
