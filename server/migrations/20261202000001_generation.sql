-- A counter every org-unit or owner write adds 1 to in its transaction, so a reader can tell in
-- one row whether the organisation changed since it last looked (the list cache, one per server
-- instance; the row is shared by all of them).

CREATE TABLE org_generation (
    id         INTEGER PRIMARY KEY NOT NULL CHECK (id = 1),
    generation BIGINT NOT NULL
);

INSERT INTO org_generation (id, generation) VALUES (1, 0);
