"""FastAPI dependencies shared by routers: the database, settings and principal."""

from __future__ import annotations

from fastapi import Request

from talentscout.config import Settings
from talentscout.db import Database


def get_db(request: Request) -> Database:
    db: Database = request.app.state.db
    return db


def get_settings_dep(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings
