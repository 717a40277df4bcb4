"""The revisions, oldest first by number; each declares its own DDL and never imports a store."""
