-- One audit chain per clinic ("clinic:<id>"), the fleet's own records (policy, tokens) and the anchors
-- in "fleet". Every record so far is in the fleet chain, so its seq is unique and becomes its position.

-- The listing's order across chains. A transaction that stores audit records takes its positions last,
-- from audit_listing, and holds that row until it commits: positions are given in commit order, so a
-- reader paging by them never passes one that is still to come.
ALTER TABLE audit ADD COLUMN id bigint;
UPDATE audit SET id = seq;
ALTER TABLE audit ALTER COLUMN id SET NOT NULL;
CREATE UNIQUE INDEX audit_listing_order ON audit (id);
CREATE INDEX audit_listing_by_clinic ON audit (clinic, id) WHERE clinic IS NOT NULL;
CREATE TABLE audit_listing (
  id integer PRIMARY KEY CHECK (id = 1),
  last bigint NOT NULL
);
INSERT INTO audit_listing SELECT 1, coalesce(max(id), 0) FROM audit;

-- A clinic chain's head also keeps the shard that last appended to it and how far the fleet chain has
-- anchored it: the shard's owner anchors its chains that moved, and a later owner anchors what its
-- predecessor left unanchored.
ALTER TABLE audit_heads ADD COLUMN shard integer;
ALTER TABLE audit_heads ADD COLUMN anchored_seq bigint NOT NULL DEFAULT 0;
CREATE INDEX audit_heads_unanchored ON audit_heads (shard) WHERE seq > anchored_seq;
