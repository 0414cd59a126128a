"""Alembic migrations. HEAD_REVISION lets start-up skip Alembic when the schema is current;
a test checks it against the newest script."""

HEAD_REVISION = "0068"
