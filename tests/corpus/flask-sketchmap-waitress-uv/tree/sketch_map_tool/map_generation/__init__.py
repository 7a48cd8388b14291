from .generate_pdf import generate_pdf
from .qr_code import qr_code

__all__ = ("qr_code", "generate_pdf")
