-- GIN indexes that FerretDB 1.24 on PostgreSQL uses, applied by `scripts/infra up` to the database
-- FerretDB keeps its data in (idempotent: run it again after changing the list below).
--
-- Why: FerretDB turns an equality filter on a top-level field into `_jsonb->'field' @> value`, but
-- the indexes it creates itself (createIndexes, mongoose's syncIndexes) are btree indexes on
-- `(_jsonb->'field')`, which PostgreSQL cannot use for `@>`: every such query read the whole
-- collection. A GIN index on the same expression with jsonb_path_ops is used for `@>`.
--
-- How: FerretDB creates a collection's table lazily, under a generated name, and records it in its
-- schema's `_ferretdb_database_metadata` table. An event trigger attaches a row trigger to each new
-- metadata table; the row trigger creates, for each collection listed in aperture_jsonb_indexes,
-- the GIN indexes on the new table in the same transaction. Every database (PostgreSQL schema) the
-- services or the tests create is covered from its first collection on. On a managed PostgreSQL
-- under FerretDB, run this file once as a role allowed to create event triggers. A real MongoDB
-- does not need it: the mongoose schemas' own indexes serve the same queries there.

CREATE TABLE IF NOT EXISTS public.aperture_jsonb_indexes (
  collection text NOT NULL,
  field text NOT NULL,
  PRIMARY KEY (collection, field)
);

-- The fields the product filters collections on by equality (libs/persistence, services/*);
-- collection '*' is every collection (a lookup by _id read the whole collection without it).
DELETE FROM public.aperture_jsonb_indexes;
INSERT INTO public.aperture_jsonb_indexes (collection, field) VALUES
  ('*', '_id'),
  ('images', 'batchId'),
  ('images', 'listKey'),
  ('batch_tallies', 'batchId');

-- Creates the listed GIN indexes of one collection's table (if missing).
CREATE OR REPLACE FUNCTION public.aperture_index_table(schema_name text, collection text, table_name text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  f text;
BEGIN
  FOR f IN SELECT field FROM public.aperture_jsonb_indexes i WHERE i.collection IN (aperture_index_table.collection, '*') LOOP
    EXECUTE format('CREATE INDEX IF NOT EXISTS %I ON %I.%I USING gin ((_jsonb->%L) jsonb_path_ops)',
      left(table_name || '_' || replace(f, '_', '') || '_gin', 63), schema_name, table_name, f);
  END LOOP;
END $$;

-- Row trigger on each metadata table: a new collection gets its indexes at once.
CREATE OR REPLACE FUNCTION public.aperture_index_new_collection() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  PERFORM public.aperture_index_table(TG_TABLE_SCHEMA, NEW._jsonb->>'_id', NEW._jsonb->>'table');
  RETURN NEW;
END $$;

-- Attaches the row trigger to one schema's metadata table.
CREATE OR REPLACE FUNCTION public.aperture_watch_metadata_table(schema_name text) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
  EXECUTE format('CREATE OR REPLACE TRIGGER aperture_index_new_collection AFTER INSERT ON %I._ferretdb_database_metadata '
    'FOR EACH ROW EXECUTE FUNCTION public.aperture_index_new_collection()', schema_name);
END $$;

CREATE OR REPLACE FUNCTION public.aperture_on_create_table() RETURNS event_trigger
LANGUAGE plpgsql AS $$
DECLARE
  r record;
BEGIN
  FOR r IN SELECT * FROM pg_event_trigger_ddl_commands()
           WHERE command_tag = 'CREATE TABLE' AND object_type = 'table' LOOP
    IF r.object_identity LIKE '%._ferretdb_database_metadata' THEN
      PERFORM public.aperture_watch_metadata_table(r.schema_name);
    END IF;
  END LOOP;
END $$;

DROP EVENT TRIGGER IF EXISTS aperture_on_create_table;
CREATE EVENT TRIGGER aperture_on_create_table ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION public.aperture_on_create_table();

-- Databases that exist already: watch their metadata tables and index their collections.
DO $$
DECLARE
  s text;
  m record;
BEGIN
  FOR s IN SELECT table_schema FROM information_schema.tables WHERE table_name = '_ferretdb_database_metadata' LOOP
    PERFORM public.aperture_watch_metadata_table(s);
    FOR m IN EXECUTE format('SELECT _jsonb->>''_id'' AS collection, _jsonb->>''table'' AS tbl FROM %I._ferretdb_database_metadata', s) LOOP
      PERFORM public.aperture_index_table(s, m.collection, m.tbl);
    END LOOP;
  END LOOP;
END $$;
