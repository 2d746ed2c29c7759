"""The dashboard's custom components (``st.components.v2``), their JavaScript fetched once per tab.

An inline ``js`` string travels inside the element on every rerun that shows
the component: a matrix-panel click's answer was 5.8 KB, of which 5.3 KB were
the panel's own script and style (``tests/e2e``). Each component's script
lives in ``dashboard/static/`` instead, served by Streamlit's static file
serving (``server.enableStaticServing`` in ``.streamlit/config.toml``); the
element carries a two-line module that imports it by URL, versioned by its
content, so the browser loads and evaluates it once.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

STATIC = Path(__file__).with_name("static")
#: Said when the static files are not served (the app was started without the repository's config).
NOT_SERVED = ("The dashboard's scripts are not served: start it from the repository's folder, where "
              ".streamlit/config.toml turns on server.enableStaticServing (see README.md).")


def loader_module(script: str) -> str:
    """The inline module that imports ``dashboard/static/<script>`` (versioned by its content) and runs it.

    Page URLs are one segment below the app's base path, so ``app/static/`` resolves against the page's URL
    under any ``server.baseUrlPath``.

    Examples
    --------
    >>> "app/static/clickable.js?v=" in loader_module("clickable.js")
    True
    """
    version = hashlib.sha256((STATIC / script).read_bytes()).hexdigest()[:12]
    return ("export default async function (component) {\n"
            f"  const url = new URL('app/static/{script}?v={version}', window.location.href);\n"
            "  return (await import(url.href)).default(component);\n}\n")


def define(name: str, *, script: str, css: str):
    """Register component ``name`` whose JavaScript is ``dashboard/static/<script>`` and whose style is ``css``."""
    return st.components.v2.component(name, js=loader_module(script), css=css)


def served() -> bool:
    """True when Streamlit serves ``dashboard/static/`` (the components cannot load otherwise)."""
    return bool(st.get_option("server.enableStaticServing"))
