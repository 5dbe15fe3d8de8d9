"""The wiki plus one bare route rendering a 10 KB Jinja template, served by the same gunicorn.

Used by bench_page_views.py as the yardstick: page views should reach 0.6x the bare route.
"""

from flask import render_template_string

from wiki import create_app

app = create_app()

_PARAGRAPH = "<p>" + "Lorem ipsum dolor sit amet, consectetur adipiscing elit. " * 4 + "</p>\n"
_TEMPLATE = (
    "<!doctype html><html><head><title>{{ title }}</title></head><body><h1>{{ title }}</h1>"
    "{% for i in range(items) %}" + _PARAGRAPH + "{% endfor %}</body></html>"
)


@app.route("/__bare")
def bare():
    return render_template_string(_TEMPLATE, title="Bare route", items=42)  # ~10 KB
