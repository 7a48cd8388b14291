from datasette.permissions import Permission  # noqa
from datasette.version import __version_info__, __version__  # noqa
from datasette.events import Event  # noqa
from datasette.tokens import TokenHandler, TokenInvalid, TokenRestrictions  # noqa
from datasette.utils.asgi import (  # noqa
    Forbidden,
    NotFound,
    PayloadTooLarge,
    Request,
    Response,
)
from datasette.utils import actor_matches_allow  # noqa
from datasette.views import Context  # noqa
from .hookspecs import hookimpl  # noqa
from .hookspecs import hookspec  # noqa
