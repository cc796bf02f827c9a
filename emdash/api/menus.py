"""Menus: /_emdash/api/menus/..."""

from typing import ClassVar

from django.http import HttpRequest
from ninja import Router
from pydantic import Field, StrictStr

from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.content.schemas import MenuListOut, MenuOut, menu_out
from emdash.content.services import menus

router = Router(tags=["menus"])


class MenuItemIn(Body):
    nullable: ClassVar[frozenset[str]] = frozenset({"url", "entry", "target"})

    label: StrictStr
    url: StrictStr | None = Field(None, description="A URL or path; or give entry")
    entry: StrictStr | None = Field(None, description="An entry id; or give url")
    target: StrictStr | None = Field(None, description='"" or "_blank"')
    children: list["MenuItemIn"] | None = None


class MenuIn(Body):
    label: StrictStr | None = None
    items: list[MenuItemIn] = Field(description="The whole tree; replaces the old one")


@router.get(
    "",
    response=MenuListOut,
    operation_id="list_menus",
    url_name="list_menus",
    summary="List menus with their items",
)
def list_menus(request: HttpRequest) -> MenuListOut:
    return MenuListOut(items=[menu_out(m) for m in menus.list_menus(actor_of(request))])


@router.get(
    "/{slug}",
    response=MenuOut,
    operation_id="get_menu",
    url_name="get_menu",
    summary="Get a menu",
)
def get_menu(request: HttpRequest, slug: str) -> MenuOut:
    return menu_out(menus.get_menu(actor_of(request), slug))


@router.put(
    "/{slug}",
    response=MenuOut,
    operation_id="save_menu",
    url_name="save_menu",
    summary="Create or replace a menu",
)
def save_menu(request: HttpRequest, slug: str, payload: MenuIn) -> MenuOut:
    items = payload.changes()["items"]
    menu = menus.save_menu(actor_of(request), slug, label=payload.label, items=items)
    return menu_out(menu)


@router.delete(
    "/{slug}",
    response={204: None},
    operation_id="delete_menu",
    url_name="delete_menu",
    summary="Delete a menu",
)
def delete_menu(request: HttpRequest, slug: str) -> None:
    menus.delete_menu(actor_of(request), slug)
