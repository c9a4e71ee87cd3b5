"""What every HTML page shares: escaping, the page frame, embedded figures.

Pages are self-contained (styles inline, figures embedded as PNG data URIs, no scripts from
anywhere) so a therapist can open one from an e-mail or a USB stick. Every user-provided
string (patient name, notes, file names, exercise titles from user files) goes through
:func:`esc`.
"""

from __future__ import annotations

import base64
import html
import io
from datetime import UTC, datetime
from typing import Any

from formcheck import __version__

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;background:#f4f5f7;color:#1d2228}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:1.7rem;margin:0 0 4px} h2{font-size:1.25rem;margin:28px 0 10px}
.meta{color:#555;font-size:.95rem;margin-bottom:18px}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{background:#fff;border-radius:10px;padding:12px 16px;box-shadow:0 1px 3px #0002;min-width:150px}
.card .v{font-size:1.6rem;font-weight:700} .card .k{color:#666;font-size:.85rem}
.ok{color:#1a7f37} .bad{color:#b42318} .warn{color:#9a6700}
table{border-collapse:collapse;width:100%;background:#fff;border-radius:10px;overflow:hidden;box-shadow:0 1px 3px #0002}
th,td{padding:6px 10px;border-bottom:1px solid #e5e7eb;text-align:left;font-size:.92rem}
th{background:#eef0f3} td.n{text-align:right;font-variant-numeric:tabular-nums}
figure{margin:0;background:#fff;border-radius:10px;padding:8px;box-shadow:0 1px 3px #0002}
figure img{width:100%;height:auto;display:block} figcaption{color:#555;font-size:.85rem;padding:4px}
.thumbs{display:flex;flex-wrap:wrap;gap:10px} .thumbs figure{width:200px}
.alert{background:#fdecea;border-left:5px solid #b42318;padding:10px 14px;border-radius:6px;margin:12px 0}
footer{color:#777;font-size:.8rem;margin-top:30px}
"""


def esc(value: Any) -> str:
    """A user-provided value as HTML text (quotes escaped too: safe in attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def now_utc_text() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def png_uri(fig: Any) -> str:
    """A matplotlib figure as an embedded PNG (data URI); the figure is closed."""
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def jpeg_uri(img_bgr: Any, quality: int = 80) -> str:
    import cv2

    ok, data = cv2.imencode(".jpg", img_bgr, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("could not encode a thumbnail")
    return "data:image/jpeg;base64," + base64.b64encode(data.tobytes()).decode("ascii")


def figure(uri: str, alt: str, caption: str = "") -> str:
    cap = f"<figcaption>{esc(caption)}</figcaption>" if caption else ""
    return f'<figure><img src="{uri}" alt="{esc(alt)}">{cap}</figure>'


def page(title: str, body: str) -> str:
    return (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src data:; "
        "style-src 'unsafe-inline'\">"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body><main>{body}"
        f"<footer>formcheck {esc(__version__)} - generated {esc(now_utc_text())}. formcheck measures movement "
        "from a camera; it is not a diagnosis. Stop if it hurts and tell your therapist.</footer>"
        "</main></body></html>\n"
    )


def mpl():
    """matplotlib with a file-only backend (no display needed)."""
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    return plt
