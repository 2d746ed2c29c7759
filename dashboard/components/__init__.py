"""Adapters around the dashboard's custom components (``st.components.v2``), their JavaScript fetched once per tab.

An inline ``js`` string travels inside the element on every rerun that shows
the component: a matrix-panel click's answer was 5.8 KB, of which 5.3 KB were
the panel's own script and style (``tests/e2e``). Each component's script
lives in ``dashboard/static/`` instead, served by Streamlit's static file
serving (``server.enableStaticServing`` in ``dashboard/.streamlit/config.toml``,
which Streamlit reads beside the main script, so it holds from any working
folder); the element carries a two-line module that imports it by URL,
versioned by its content, so the browser loads and evaluates it once. Styles
are files there too, read once per server.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import streamlit as st

STATIC = Path(__file__).resolve().parents[1] / "static"
#: Said when the static files are not served (the app was started without the repository's config).
NOT_SERVED = ("The dashboard's scripts are not served: server.enableStaticServing is off (dashboard/.streamlit/"
              "config.toml turns it on; a --server.enableStaticServing=false flag or setting overrides it).")


def loader_module(script: str) -> str:
    """The inline module that imports ``dashboard/static/<script>`` (versioned by its content and that of the
    shared modules in ``static/lib/`` it imports) and runs it.

    Page URLs are one segment below the app's base path, so ``app/static/`` resolves against the page's URL
    under any ``server.baseUrlPath``.

    Examples
    --------
    >>> "app/static/clickable.js?v=" in loader_module("clickable.js")
    True
    """
    digest = hashlib.sha256((STATIC / script).read_bytes())
    for shared in sorted((STATIC / "lib").glob("*.js")):
        digest.update(shared.read_bytes())
    version = digest.hexdigest()[:12]
    return ("export default async function (component) {\n"
            f"  const url = new URL('app/static/{script}?v={version}', window.location.href);\n"
            "  return (await import(url.href)).default(component);\n}\n")


def define(name: str, *, script: str, styles: tuple[str, ...]):
    """Register component ``name`` whose JavaScript is ``dashboard/static/<script>`` and whose style is the
    stylesheets ``styles`` of that folder, in order."""
    css = "".join((STATIC / style).read_text(encoding="utf-8") for style in styles)
    return st.components.v2.component(name, js=loader_module(script), css=css)


def served() -> bool:
    """True when Streamlit serves ``dashboard/static/`` (the components cannot load otherwise)."""
    return bool(st.get_option("server.enableStaticServing"))
