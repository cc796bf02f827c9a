"""Site settings: /_emdash/api/settings"""

from typing import Any

from django.http import HttpRequest
from ninja import Router
from pydantic import BaseModel, StrictBool, StrictInt, StrictStr, create_model

from emdash.api.auth import actor_of
from emdash.api.bodies import Body
from emdash.core import site_settings

router = Router(tags=["settings"])

# JSON "5" is not 5 and 1 is not true: settings keep the types of their defaults.
STRICT_TYPES: dict[type, Any] = {str: StrictStr, int: StrictInt, bool: StrictBool}

# Both models follow the known settings, so a new setting needs no change here.
SiteSettingsOut: type[BaseModel] = create_model(
    "SiteSettingsOut",
    **{key: (type(value), ...) for key, value in site_settings.DEFAULTS.items()},
)
SiteSettingsChangesIn: type[Body] = create_model(
    "SiteSettingsChangesIn",
    __base__=Body,
    **{
        key: (STRICT_TYPES.get(type(value), type(value)) | None, None)
        for key, value in site_settings.DEFAULTS.items()
    },
)


@router.get(
    "",
    response=SiteSettingsOut,
    operation_id="get_settings",
    url_name="get_settings",
    summary="Get the site settings",
)
def get_settings(request: HttpRequest) -> BaseModel:
    return SiteSettingsOut(**site_settings.get_all(actor_of(request)))


@router.patch(
    "",
    response=SiteSettingsOut,
    operation_id="update_settings",
    url_name="update_settings",
    summary="Change some site settings",
)
def update_settings(request: HttpRequest, payload: SiteSettingsChangesIn) -> BaseModel:  # type: ignore[valid-type]
    changed = site_settings.update(actor_of(request), payload.changes())
    return SiteSettingsOut(**changed)
