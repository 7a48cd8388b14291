from .clip import clip
from .detect_markings import detect_markings
from .georeference import georeference
from .polygonize import polygonize
from .post_process import post_process
from .qr_code_reader import read_qr_code

__all__ = (
    "clip",
    "detect_markings",
    "georeference",
    "polygonize",
    "post_process",
    "read_qr_code",
)
