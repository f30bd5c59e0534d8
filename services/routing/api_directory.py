"""Routing's JSON API of the region's service directory: the search staff type into when they pick a service (the
case page's combobox reads it); a thin adapter over ``directory_picker``."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

from services.routing import directory_picker
from services.routing.web import RuntimeDep, SessionDep
from shared.app import ConnDep
from shared.openapi import errors
from shared.text import ERROR_TYPE, forbidden_character

router = APIRouter(prefix="/api/v1/directory", tags=["directory"])
Lang = Literal["fi", "sv", "en"]


class ServicePick(BaseModel):
    id: str
    name: str
    detail: str


class DirectoryAnswer(BaseModel):
    services: list[ServicePick]


@router.get("", summary="Services of your region's directory for a family: by name, municipality and language",
            description="Services whose name (or organisation's name) holds every word of `q`, given in `language`"
                        " (the family's) and serving `municipality` (one of your region's ids); names in `lang`"
                        " (the reader's). Hidden services are never offered.",
            responses=errors({401: "no session: sign in first",
                              422: "a parameter is invalid (each one named in `fields`)"}))
async def search(
    session: SessionDep, conn: ConnDep, runtime: RuntimeDep,
    q: Annotated[str, Query(max_length=100, description="what was typed; empty lists the first services")] = "",
    municipality: Annotated[str | None, Query(max_length=64, description="the family's municipality id")] = None,
    language: Annotated[Lang, Query(description="the family's language")] = "fi",
    lang: Annotated[Lang | None, Query(description="the language of the names; yours by default")] = None,
    limit: Annotated[int, Query(ge=1, le=50)] = 20,
) -> DirectoryAnswer:
    region = runtime.regions.by_id[session.account.region]
    found_character = forbidden_character(q, multiline=False)
    if found_character is not None:
        where = found_character[0]
        raise RequestValidationError([{"type": ERROR_TYPE, "loc": ("query", "q"),
                                       "msg": f"holds a control or direction character at position {where}"}])
    if municipality is not None and all(m.id != municipality for m in region.municipalities):
        raise RequestValidationError([{"type": "value_error", "loc": ("query", "municipality"),
                                       "msg": f"no municipality '{municipality}' in your region"}])
    found = await directory_picker.picks(conn, region, q, municipality=municipality, language=language,
                                         lang=lang or session.account.language, limit=limit)
    return DirectoryAnswer(services=[ServicePick(id=p.id, name=p.name, detail=p.detail) for p in found])
