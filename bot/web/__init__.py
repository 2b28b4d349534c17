"""Public web pages: product origin, stamp checks, the JSON API, photos, health.

app.py            create_app and serve, the route table
product_pages.py  /p/{code} and /01/{gtin} (GS1 Digital Link)
stamp_pages.py    /s/{serial} and /01/{gtin}/…/21/{serial}: is this stamp genuine?
api.py            /api/v1/products/{code}
media.py          /media/…: content-addressed photos and thumbnails
facts.py          what a page says about a product, shared by HTML and JSON
errors.py         localized 404 and error pages, the error middleware
cache.py          rendered pages kept for a short time
templates.py      the Jinja2 environment; templates/ holds the pages and CSS
language.py, clients.py, gs1.py, responses.py, state.py: small helpers
"""

from bot.web.app import create_app, serve

__all__ = ["create_app", "serve"]
