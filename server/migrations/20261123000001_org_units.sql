-- Organisation units, the employees who can own them, and who owns which unit.
-- UUIDs are stored as lower-case hyphenated text.

CREATE TABLE employees (
    uuid     TEXT PRIMARY KEY NOT NULL,
    name     TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE
);

CREATE TABLE org_units (
    uuid    TEXT PRIMARY KEY NOT NULL,
    name    TEXT NOT NULL,
    -- NULL for a top-level unit; a unit with children cannot be deleted.
    parent  TEXT REFERENCES org_units (uuid) ON DELETE RESTRICT,
    -- Starts at 1; every write of the unit adds 1 (optimistic concurrency).
    version INTEGER NOT NULL DEFAULT 1 CHECK (version >= 1),
    CHECK (parent IS NULL OR parent <> uuid)
);

CREATE INDEX org_units_by_parent ON org_units (parent);

CREATE TABLE org_unit_owners (
    unit   TEXT NOT NULL REFERENCES org_units (uuid) ON DELETE CASCADE,
    person TEXT NOT NULL REFERENCES employees (uuid) ON DELETE CASCADE,
    PRIMARY KEY (unit, person)
);

CREATE INDEX org_unit_owners_by_person ON org_unit_owners (person);
