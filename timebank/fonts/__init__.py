"""The fonts every PDF is drawn in: DejaVu Sans, and DejaVu Sans Mono for tables.

reportlab's standard fonts hold only the Windows Latin-1 characters, so
Welsh ŵ and ŷ, and names in Polish, Greek or Cyrillic, would print as "?".
These TrueType fonts hold them all. They ship in this folder, with their
licence (LICENSE), and are registered with reportlab once, on import; a
PDF embeds only the characters it uses.
"""

from pathlib import Path

from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

FOLDER = Path(__file__).resolve().parent

SANS = "DejaVuSans"
SANS_BOLD = "DejaVuSans-Bold"
MONO = "DejaVuSansMono"
MONO_BOLD = "DejaVuSansMono-Bold"

for name in (SANS, SANS_BOLD, MONO, MONO_BOLD):
    pdfmetrics.registerFont(TTFont(name, str(FOLDER / f"{name}.ttf")))
